"""Settings: one class, read from the environment (prefix GOVGRAPH_) when a command or the app
starts, never at import. docs/settings.md lists each one; a test keeps the two equal."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.backend import DEFAULT_DB
from loaders.load import DEFAULT_BATCH_SIZE
from loaders.read import MAX_BYTES, MAX_ROWS


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVGRAPH_", extra="ignore")

    db: str = Field(
        DEFAULT_DB,
        description="Where the graph is: a file path for the embedded LadybugDB store.",
    )
    batch_size: int = Field(
        DEFAULT_BATCH_SIZE,
        ge=1,
        description="Rows per transaction when loading; a killed load keeps whole batches.",
    )
    bulk_batch_size: int = Field(
        1_000_000,
        ge=1,
        description="Rows per transaction while a load fills a type the embedded store holds "
        "nothing of (its bulk path, COPY), each COPY committed with a checkpoint; a file at "
        "most a quarter over it goes in one. A million took the city's first load 91-98 s of "
        "CPU against 117-128 s at 100,000, for 80-100 MiB more at its peak, when measured "
        "(docs/benchmarks.md). A killed load keeps whole batches. Neo4j takes "
        "GOVGRAPH_BATCH_SIZE rows at a time throughout.",
    )
    load_max_bytes: int = Field(
        MAX_BYTES,
        ge=1,
        description="Largest file `govgraph load` reads, in bytes (1 GiB); a larger one is "
        "refused whole, to be split into several files of the same type.",
    )
    load_max_rows: int = Field(
        MAX_ROWS,
        ge=1,
        description="Most lines (sheet rows) after the header of one file `govgraph load` reads; "
        "a longer file is refused whole.",
    )
    query_timeout_ms: int = Field(
        10_000,
        ge=0,
        description="Time limit of one read query in milliseconds (0 for none).",
    )
    read_threads: int = Field(
        1,
        ge=0,
        description="Threads one read query may use on the embedded store (0: one per core). "
        "One lets concurrent requests run side by side, one per core; a researcher running "
        "large queries one at a time may prefer 0.",
    )
    buffer_pool_mb: int = Field(
        2048,
        ge=0,
        description="Memory the embedded store may take, in MiB, whatever opens it (the "
        "server, any command; a load at most GOVGRAPH_LOAD_BUFFER_POOL_MB of it): its pages "
        "and the work of every read or COPY "
        "at once (one needing more than is left fails; 1024 was too little for the demo under "
        "20 clients, 64 for a load of a city of 100,000 people: see docs/benchmarks.md). The "
        "store keeps what it used, so a server's memory climbs to this and stays (0: "
        "LadybugDB's default, 80% of the machine's memory, which a busy server reaches).",
    )
    load_buffer_pool_mb: int = Field(
        384,
        ge=0,
        description="The most of GOVGRAPH_BUFFER_POOL_MB an embedded store takes, in MiB, when "
        "opened to load (`govgraph load`, `govgraph init`, `govgraph demo`; 0: all of it). A "
        "COPY's work must fit (a million relationships of the city's `lives_in` took more than "
        "320), and its commit's checkpoint fills the rest with pages (the city's first load "
        "1.4 GiB at its peak with 2048, docs/benchmarks.md). A larger bulk batch or wider files "
        "may need more: a load it stops says to raise it.",
    )
    neo4j_user: str = Field("neo4j", description="User name for a Neo4j GOVGRAPH_DB.")
    neo4j_password: SecretStr = Field(
        SecretStr(""), description="Password for a Neo4j GOVGRAPH_DB (never logged)."
    )
    neo4j_database: str = Field("neo4j", description="Database name on a Neo4j server.")
    mode: Literal["development", "production"] = Field(
        "production",
        description="API mode: development serves GraphiQL and answers introspection; "
        "production does neither.",
    )
    cors_origins: list[str] = Field(
        [],
        description="Origins whose pages may call the API from a browser (CORS), as a JSON "
        'list, e.g. ["http://localhost:5173"]; none by default.',
    )
    host: str = Field("127.0.0.1", description="Address the API server listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the API server listens on.")
    workers: int = Field(
        1,
        ge=1,
        description="API server processes. The embedded store is owned by one process "
        "(it reads and writes it), so it takes 1; with Neo4j, one per core serves the most "
        "requests.",
    )
    tokens: str = Field(
        "./data/tokens.json",
        description="File of API tokens: only their SHA-256 hashes, with role and scope.",
    )
    allow_anonymous: bool = Field(
        True,
        description="Serve a request without a token as a viewer (personal data masked); "
        "false answers it 401.",
    )
    max_body_bytes: int = Field(
        1_048_576,
        ge=1,
        description="Largest request body the API reads, in bytes (1 MiB); a larger one is "
        "answered 413 before it is parsed.",
    )
    max_query_chars: int = Field(
        50_000,
        ge=1,
        description="Longest GraphQL query text, in characters, comments included; a longer one "
        "is refused before it is parsed or cached.",
    )
    max_depth: int = Field(
        10, ge=1, description="Deepest nesting of fields a GraphQL query may have."
    )
    max_aliases: int = Field(15, ge=0, description="Most aliases one GraphQL query may use.")
    max_tokens: int = Field(
        2000, ge=1, description="Most tokens (names, brackets, colons) one GraphQL query may have."
    )
    cypher_row_cap: int = Field(
        5000, ge=1, description="Most rows POST /cypher returns; more are cut and flagged."
    )
    audit_log: str = Field(
        "./data/audit.jsonl",
        description="Append-only, hash-chained log of every ad-hoc Cypher query.",
    )
    research_copies: str = Field(
        "",
        description="Folder of the copies of the graph that ad-hoc Cypher reads (de-identified "
        "for researchers, raw for admins); empty: beside the store, `<GOVGRAPH_DB>.copies`.",
    )
    research_refresh_seconds: int = Field(
        300,
        ge=0,
        description="How stale ad-hoc Cypher's copy of the graph may grow: a copy younger than "
        "this is read even after writes (every dispute action is one), as rebuilding reads the "
        "whole graph; 0 rebuilds after every write.",
    )
    research_memory_mb: int = Field(
        1024,
        ge=64,
        description="Memory one ad-hoc Cypher query may take beyond what its store maps; a "
        "query needing more is stopped with a 400.",
    )
    malloc_stats: str = Field(
        "",
        description="A file to which the server appends its allocator's figures (Python's "
        "arenas held and blocks in use, glibc's heaps, resident memory), one JSON line every "
        "GOVGRAPH_MALLOC_STATS_SECONDS: for soaks (docs/benchmarks.md); empty: none.",
    )
    malloc_stats_seconds: float = Field(
        60, gt=0, description="How often the server appends to GOVGRAPH_MALLOC_STATS, in seconds."
    )
    pseudonym_key: SecretStr = Field(
        SecretStr(""),
        description="Secret key of researchers' pseudonyms (at least 16 bytes; "
        "`python -c 'import graph.pseudonym as p; print(p.new_key())'`).",
    )


def get_settings() -> Settings:
    return Settings()
