"""The graph GOVGRAPH_DB names, opened from the settings: the one way the command line, the
API app and the notebook API open it (docs/settings.md lists the settings it reads), and the
one place a read model (queries.read_model) is attached to it."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from api.settings import Settings
from graph.backend import Backend, open_backend
from graph.errors import BackendUnavailable, GraphError
from queries import read_model
from workflow.store import prime

log = logging.getLogger("govgraph.api")


def open_graph(
    settings: Settings,
    *,
    read_only: bool = False,
    timed: bool = False,
    modelled: bool = False,
    upgrading: bool = False,
) -> Backend:
    """The backend `settings.db` names: an embedded store's path or a Neo4j URI.

    `timed`: each read is bounded by GOVGRAPH_QUERY_TIMEOUT_MS, for what serves queries; a bulk
    load is not, or the embedded store would cut it short. An embedded store takes at most
    GOVGRAPH_BUFFER_POOL_MB for its pages, whatever opens it (the server, a load, any command):
    LadybugDB's default, 80% of RAM, bounds nothing. `modelled`: the structure the headline
    questions walk is read into memory before the first question, for what asks many (the
    server, a notebook); a one-shot command asks a few, which Cypher answers in less time
    than the model takes to read (docs/benchmarks.md). An embedded store that lacks part of
    the schema (made by an older govgraph, or just created) is refused, saying which command
    brings it up to date, unless `upgrading` (what `govgraph init` and `govgraph load` do):
    every query would fail on what it lacks. An `upgrading` opening is one that loads, which
    takes at most GOVGRAPH_LOAD_BUFFER_POOL_MB of the pool (`buffer_pool_mb`).
    Raises graph.errors.GraphError or ValueError when the store cannot be opened.
    """
    backend = open_backend(
        settings.db,
        read_only=read_only,
        user=settings.neo4j_user,
        password=settings.neo4j_password.get_secret_value(),
        database=settings.neo4j_database,
        timeout_ms=settings.query_timeout_ms if timed else None,
        read_threads=settings.read_threads,
        buffer_pool_mb=buffer_pool_mb(settings, loading=upgrading),
    )
    if not upgrading:
        _check_schema(backend, settings.db)
    if modelled:
        _attach_model(backend, writing=not read_only)
    return backend


def buffer_pool_mb(settings: Settings, *, loading: bool) -> int:
    """The embedded store's pool, in MiB (0: LadybugDB's default, 80% of RAM): for a load, at
    most GOVGRAPH_LOAD_BUFFER_POOL_MB. A load's COPYs need what one batch holds, whatever the
    store's size, and each commit's checkpoint fills what the pool leaves with pages it has
    written and will not read again; a server keeps the pages its questions read."""
    whole, load = settings.buffer_pool_mb, settings.load_buffer_pool_mb
    if not loading or not load:
        return whole
    return min(whole, load) if whole else load


def _check_schema(backend: Backend, db: str) -> None:
    gaps_of = getattr(backend, "schema_gaps", None)  # Neo4j holds no table to compare
    if gaps_of is None:
        return
    from graph.embedded import outdated

    try:
        gaps = gaps_of()
    except BaseException:
        backend.close()
        raise
    if gaps:
        backend.close()
        raise BackendUnavailable(outdated(Path(db), gaps))


def _attach_model(backend: Backend, *, writing: bool) -> None:
    """Read the model; a store without a version (Neo4j) reads Cypher instead. One that takes
    the workflow's writes reads the latest event's time too, for the first append (`prime`)."""
    started = time.monotonic()
    try:
        model = read_model.attach(backend)
    except Exception:  # it only saves time: never let it fail the opening (they read Cypher)
        log.exception("the read model could not be read; the questions read the store")
        return
    if model is None:
        return
    if writing:
        try:
            prime(backend)
        except GraphError:  # it only saves time, as the model does
            log.exception("the latest event's time could not be read; the first report reads it")
    backend.drop_cached_pages()  # the pages the bulk reads left, which no question reads
    log.info(
        "read model: %d grids read in %.1f s", len(model.nodes["Grid"]), time.monotonic() - started
    )
