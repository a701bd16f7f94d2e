"""The graph GOVGRAPH_DB names, opened from the settings: the one way the command line, the
API app and the notebook API open it (docs/settings.md lists the settings it reads)."""

from __future__ import annotations

from api.settings import Settings
from graph.backend import Backend, open_backend


def open_graph(
    settings: Settings, *, read_only: bool = False, timed: bool = False, server: bool = False
) -> Backend:
    """The backend `settings.db` names: an embedded store's path or a Neo4j URI.

    `timed`: each read is bounded by GOVGRAPH_QUERY_TIMEOUT_MS, for what serves queries; a bulk
    load is not, or the embedded store would cut it short. `server`: the long-running server,
    whose embedded store may take GOVGRAPH_BUFFER_POOL_MB of memory (others take the store's
    default). Raises graph.errors.GraphError or ValueError when the store cannot be opened.
    """
    return open_backend(
        settings.db,
        read_only=read_only,
        user=settings.neo4j_user,
        password=settings.neo4j_password.get_secret_value(),
        database=settings.neo4j_database,
        timeout_ms=settings.query_timeout_ms if timed else None,
        read_threads=settings.read_threads,
        buffer_pool_mb=settings.buffer_pool_mb if server else 0,
    )
