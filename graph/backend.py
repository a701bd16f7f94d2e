"""The one interface every storage backend implements, and how a backend is chosen."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

from graph.labels import EVERYTHING
from graph.schema import NodeType, RelType

Row = dict[str, Any]
Params = Mapping[str, Any]
Statement = tuple[str, Params]
Reader = Callable[[str, Params], list[Row]]
T = TypeVar("T")


class Written(NamedTuple):
    """One write of a backend with a `version`: the version it ended at, the labels and types
    it changed (`graph.labels.changed_by`), and, where its writer named them, the label and
    keys of the nodes it was about (the node `write_locked` locked, the nodes of a small
    upsert); None where it did not."""

    version: int
    changed: frozenset[str]
    about: tuple[str, frozenset[str]] | None


def writes_changing(
    backend: Backend, since: int, until: int, names: frozenset[str]
) -> list[Written] | None:
    """The writes of `backend` that ended after `since` and by `until` and changed any of
    `names` (or could not tell what they changed: `graph.labels.EVERYTHING`), oldest first:
    what a reader holding what it read at `since` must look at to be current at `until`.
    None when the backend does not tell its writes (`Backend.writes_since`) or no longer keeps
    them all."""
    writes = backend.writes_since(since)
    if writes is None:
        return None
    wanted = names | {EVERYTHING}
    return [w for w in writes if w.version <= until and w.changed & wanted]


class Backend(Protocol):
    """A graph store. Opened by the command or the app's lifespan and passed down.

    A backend may also have `version`: a number that changes whenever the graph it reads may
    have changed, odd while a write of this process is under way, and `stamp(labels)`: the
    version at which any of `labels` last changed. What was read can be held for as long as
    they stay the same (`queries.read_model`), and `writes_since(version)` tells what the
    writes since then changed (`Written`), so that what was read can be brought current by
    reading only that. The embedded store has all three; Neo4j, which other clients write to
    unseen, has neither `version` nor `stamp` (their absence is how the read model knows not
    to hold anything), and its `writes_since` tells nothing.
    """

    def read(self, query: str, params: Params | None = None) -> list[Row]:
        """Run a read query; return its rows as dicts keyed by column name."""
        ...

    def write(self, statements: Sequence[tuple[str, Params]]) -> None:
        """Run write statements in one transaction: all of them happen, or none."""
        ...

    def write_locked(
        self,
        label: str,
        key: str,
        work: Callable[[Reader], tuple[Sequence[Statement], T]],
        committed: Callable[[int | None], None] | None = None,
    ) -> T:
        """One write transaction that first locks the node `label` {key} (if it exists), then
        calls `work(read)`, whose reads see every write committed before the lock was taken,
        and runs the statements it returns; returns what `work` answered with them. Writers
        of one node so decide one after the other (the dispute workflow: read the log, decide,
        append). `work` may be called again if the transaction is retried. The write is about
        that node (`Written.about`): the relationships it creates of the read model's cases
        are the node's own (queries.cases).

        `committed`, when given, is called once the statements have committed (never when
        they failed, nor when `work` returned none): on a backend with a `version`, with the
        version the write ended at, still under the lock and before any reader can see that
        version (what a writer tells of its write is there for every reader who sees it:
        `workflow.store`); elsewhere (Neo4j) with None, after the commit."""
        ...

    def init_schema(self) -> None:
        """Create every table, constraint and index the schema declares; safe to repeat."""
        ...

    def is_empty(self, label_or_type: str) -> bool:
        """Whether a node label or relationship type has no records yet."""
        ...

    def upsert_nodes(self, node_type: NodeType, rows: Sequence[Row], *, bulk: bool) -> None:
        """Insert or update nodes by key, in one transaction.

        Every row holds the same properties: those are set, the others left as they are (or
        empty on a new node). `bulk` promises that none of the keys exists yet, so the store's
        fast path may be used.
        """
        ...

    def upsert_rels(
        self, rel_type: RelType, groups: Mapping[tuple[str, str], Sequence[Row]], *, bulk: bool
    ) -> None:
        """Insert or update relationships by `rid`, all groups in one transaction.

        `groups` maps a (from label, to label) pair to its rows. Each row holds `from` and `to`
        (endpoint keys), `rid` (identity) and the same properties, which are set; both
        endpoints exist.
        """
        ...

    def writes_since(self, version: int) -> list[Written] | None:
        """The writes of this process that ended after `version`, oldest first; None when
        they are not known (some no longer kept; on Neo4j, never: other clients write
        unseen)."""
        ...

    def drop_cached_pages(self) -> None:
        """Give back the memory the store keeps of pages read, where it keeps them in this
        process (the embedded store); nothing where they are another process's (Neo4j)."""
        ...

    def close(self) -> None: ...


class UnknownBackend(ValueError):
    """GOVGRAPH_DB names no backend this project has."""


DEFAULT_DB = "./data/govgraph.lbdb"
NEO4J_SCHEMES = ("neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc")
VALID_FORMS = (
    "Valid forms: a file path for the embedded store, e.g. ./data/govgraph.lbdb; "
    "neo4j://host:7687 for a Neo4j cluster (neo4j+s:// for Aura and TLS, neo4j+ssc:// for a "
    "self-signed certificate); bolt://host:7687 for one Neo4j server (also bolt+s://, "
    "bolt+ssc://)."
)


def open_backend(
    db: str = DEFAULT_DB,
    *,
    read_only: bool = False,
    user: str = "neo4j",
    password: str = "",
    database: str = "neo4j",
    timeout_ms: int | None = None,
    read_threads: int = 1,
    buffer_pool_mb: int = 0,
) -> Backend:
    """Open the backend `db` names: a file path for the embedded store, or a Neo4j URI.

    `user`, `password` and `database` are used for a Neo4j URI only (pass the password as
    plain text). `timeout_ms` limits each read query; None keeps the backend's default (none
    for the embedded store, 10 s for Neo4j), 0 means no limit of ours. `read_threads` is how
    many threads one read may use on the embedded store (0: one per core); Neo4j decides its own.
    `buffer_pool_mb` bounds the embedded store's memory (0: LadybugDB's default, 80% of RAM).
    """
    if "://" in db:
        scheme = db.split("://", 1)[0].lower()
        if scheme not in NEO4J_SCHEMES:
            raise UnknownBackend(
                f"GOVGRAPH_DB={db!r}: no backend speaks {scheme}://. {VALID_FORMS}"
            )
        from graph.neo4j import DEFAULT_TIMEOUT_MS, Neo4jBackend

        return Neo4jBackend.connect(
            db,
            user=user,
            password=password,
            database=database,
            read_only=read_only,
            timeout_ms=DEFAULT_TIMEOUT_MS if timeout_ms is None else timeout_ms,
        )
    from graph.embedded import EmbeddedBackend

    return EmbeddedBackend(
        Path(db),
        read_only=read_only,
        timeout_ms=timeout_ms or 0,
        read_threads=read_threads,
        buffer_pool_mb=buffer_pool_mb,
    )
