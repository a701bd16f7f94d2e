"""Settings: one class, read from the environment (prefix GOVGRAPH_) when a command or the app
starts, never at import. docs/settings.md lists each one; a test keeps the two equal."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.backend import DEFAULT_DB
from loaders.load import DEFAULT_BATCH_SIZE


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
    warm_up: bool = Field(
        True,
        description="On start, ask the ladder of one grid per unit in the background, so that "
        "the first questions read only their own grid (about 5 s for the demo, 35 s for a city).",
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
    pseudonym_key: SecretStr = Field(
        SecretStr(""),
        description="Secret key of researchers' pseudonyms (at least 16 bytes; "
        "`python -c 'import graph.pseudonym as p; print(p.new_key())'`).",
    )


def get_settings() -> Settings:
    return Settings()
