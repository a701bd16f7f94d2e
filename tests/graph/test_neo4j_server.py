"""The Neo4j backend against a real Neo4j server: how it is reached, how its failures become
the project's errors with nothing half-written, and bookmarks across processes.

The server is the test run's (`neo4j_server`, tests/conftest.py); the tests that kill a server
start one of their own (`neo4j_launch`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph.backend import open_backend
from graph.dump import dump
from graph.embedded import EmbeddedBackend
from graph.errors import (
    AuthenticationFailed,
    BackendUnavailable,
    BadQuery,
    ConstraintViolation,
    GraphError,
    QueryTimeout,
)
from graph.neo4j import Neo4jBackend
from graph.schema import SCHEMA
from loaders.load import load

GRID = SCHEMA.node("Grid")
ROOT = Path(__file__).resolve().parents[2]
SLOW = (  # a few seconds of work for the server, whatever it runs in
    "UNWIND range(1, 30000) AS a UNWIND range(1, 30000) AS b "
    "WITH a, b WHERE (a * b) % 7 = 3 RETURN count(*) AS n"
)


def grid(id_: str, name: str) -> dict[str, Any]:
    return {"id": id_, "name": name, "level": 1, "kind": "basic", "source": "test"}


def grids(graph: Neo4jBackend) -> list[dict[str, Any]]:
    return graph.read("MATCH (g:Grid) RETURN g.id AS id, g.name AS name ORDER BY id")


# -- reaching the server ---------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_open_backend_reaches_the_server_by_either_scheme(neo4j_server: Any, scheme: str) -> None:
    """`neo4j://` asks the server for a routing table, as on a cluster (one member here)."""
    uri = scheme + "://" + neo4j_server.uri.split("://", 1)[1]
    backend = open_backend(uri, user=neo4j_server.user, password=neo4j_server.password)
    try:
        assert isinstance(backend, Neo4jBackend)
        assert backend.read("RETURN $x AS x", {"x": "网格"}) == [{"x": "网格"}]
    finally:
        backend.close()


def test_a_wrong_password_is_refused_as_authentication_failed(neo4j_server: Any) -> None:
    with pytest.raises(AuthenticationFailed, match="GOVGRAPH_NEO4J_PASSWORD"):
        open_backend(neo4j_server.uri, user=neo4j_server.user, password="not-the-password")


def test_a_database_the_server_lacks_is_backend_unavailable(neo4j_server: Any) -> None:
    with pytest.raises(BackendUnavailable, match="GOVGRAPH_NEO4J_DATABASE"):
        open_backend(
            neo4j_server.uri,
            user=neo4j_server.user,
            password=neo4j_server.password,
            database="nosuchdatabase",
        )


def test_the_server_listens_on_the_loopback_address_only(neo4j_server: Any) -> None:
    if not neo4j_server.uri.startswith("bolt://127.0.0.1:"):
        pytest.skip("a server given by GOVGRAPH_TEST_NEO4J_URI listens where it was told")
    port = int(neo4j_server.uri.rsplit(":", 1)[1])
    listening = []  # the local addresses of the sockets listening on the port, from the kernel
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                listening.append(address)
    # 127.0.0.1, as the JVM may open it: IPv4, or IPv6's IPv4-mapped ::ffff:127.0.0.1
    assert listening in (["0100007F"], ["0000000000000000FFFF00000100007F"])


# -- failures: the project's errors, nothing half-written ------------------------------------


def test_a_constraint_violation_leaves_nothing_of_the_write(neo4j_backend: Neo4jBackend) -> None:
    neo4j_backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=True)
    create = "UNWIND $rows AS r CREATE (g:Grid) SET g = r"
    with pytest.raises(ConstraintViolation, match="G1"):
        neo4j_backend.write(
            [
                ("MATCH (g:Grid {id: 'G1'}) SET g.name = $name", {"name": "改名"}),
                (create, {"rows": [grid("G2", "二号"), grid("G1", "重复")]}),
            ]
        )
    assert grids(neo4j_backend) == [{"id": "G1", "name": "一号"}]


def test_a_write_past_its_time_limit_leaves_nothing(neo4j_backend: Neo4jBackend) -> None:
    timed = Neo4jBackend(
        neo4j_backend._driver, database=neo4j_backend.database, write_timeout_ms=300
    )
    with pytest.raises(QueryTimeout):
        timed.write(
            [
                ("UNWIND $rows AS r CREATE (g:Grid) SET g = r", {"rows": [grid("G1", "一号")]}),
                (SLOW, {}),
            ]
        )
    assert grids(neo4j_backend) == []


def test_a_write_in_a_read_only_backend_is_refused_by_the_server(
    neo4j_backend: Neo4jBackend,
) -> None:
    """`read` runs in a read transaction: a write slipped into it is the server's to refuse."""
    with pytest.raises(BadQuery):
        neo4j_backend.read("CREATE (g:Grid {id: 'G1'}) RETURN g.id AS id")
    assert grids(neo4j_backend) == []


def _running(graph: Neo4jBackend, marker: str) -> bool:
    rows = graph.read("SHOW TRANSACTIONS YIELD currentQuery RETURN currentQuery AS q")
    return any(marker in (r["q"] or "") for r in rows)


def test_the_server_killed_mid_load_loses_nothing_committed_and_keeps_nothing_half_written(
    neo4j_launch: Callable[..., Any], example_files: list[Path], tmp_path: Path
) -> None:
    """Kill -9 the server during a load, while another write is open; start it again on its
    files. What the loader had committed is there, the open transaction left nothing, and
    the load run again ends as a clean one."""
    server = neo4j_launch()
    # a cold server on a busy machine may take more than the default 10 s for a first query
    settings = {
        "max_transaction_retry_time": 2,
        "connection_acquisition_timeout": 5,
        "timeout_ms": 120_000,
    }
    graph = Neo4jBackend.connect(server.uri, user="neo4j", password=server.password, **settings)
    graph.init_schema()
    batches, stop_after = 0, 4
    marker = "written-by-the-open-transaction"
    failures: list[BaseException] = []

    def open_write() -> None:
        """A write that is still running when the server dies: 50 grids, then slow work."""
        rows = [grid(f"{marker}-{i}", marker) for i in range(50)]
        try:
            graph.write(
                [
                    ("UNWIND $rows AS r CREATE (g:Grid) SET g = r", {"rows": rows}),
                    (SLOW + " // " + marker, {}),
                ]
            )
        except BaseException as exc:
            failures.append(exc)

    def kill_after_some_batches(name: str, rows: int) -> None:
        nonlocal batches
        batches += 1
        if batches == stop_after:
            writer = threading.Thread(target=open_write)
            writer.start()
            deadline = time.monotonic() + 60
            while not _running(graph, marker):
                assert time.monotonic() < deadline, "the open write never started"
                time.sleep(0.05)
            server.kill()
            writer.join(60)

    try:
        with pytest.raises(BackendUnavailable):
            load(graph, example_files, batch_size=3, on_progress=kill_after_some_batches)
        assert [type(f) for f in failures] == [BackendUnavailable]
    finally:
        graph.close()
    # What a load stopped after the same batches holds, on the embedded store.
    expected = EmbeddedBackend(tmp_path / "stopped.lbdb")
    expected.init_schema()
    done = 0

    class Stop(Exception):
        pass

    def stop(name: str, rows: int) -> None:
        nonlocal done
        done += 1
        if done == stop_after:
            raise Stop

    with pytest.raises(Stop):
        load(expected, example_files, batch_size=3, on_progress=stop)
    again = neo4j_launch(server.home, password=server.password)
    graph = Neo4jBackend.connect(
        again.uri, user="neo4j", password=server.password, timeout_ms=120_000
    )
    try:
        assert dump(graph) == dump(expected)
        load(graph, example_files, batch_size=3)
        load(expected, example_files, batch_size=3)
        assert dump(graph) == dump(expected)
    finally:
        graph.close()
        expected.close()


# -- bookmarks: a write through one process, read by the next request through another --------

WRITER = """
import json, sys
from graph.neo4j import Neo4jBackend
uri, password, key = sys.argv[1:]
graph = Neo4jBackend.connect(uri, user="neo4j", password=password)
graph.write([("CREATE (g:Grid {id: $id, name: '写入', level: 1, kind: 'basic'})", {"id": key})])
print(json.dumps(graph.bookmarks()))
graph.close()
"""


def test_a_write_in_one_process_is_read_by_the_next_request_in_another(
    neo4j_backend: Neo4jBackend, neo4j_server: Any
) -> None:
    """The writer, a process of its own, hands out its bookmarks; this process reads through
    a view that waits for them. One server cannot lag behind itself: what shows that the
    bookmarks reach the server is that it refuses one it never gave, for that view alone."""
    written = subprocess.run(
        [sys.executable, "-c", WRITER, neo4j_server.uri, neo4j_server.password, "G-bookmark"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    bookmarks = json.loads(written.stdout)
    assert bookmarks and all(isinstance(b, str) and b for b in bookmarks)
    request = neo4j_backend.after(bookmarks)
    assert grids(request) == [{"id": "G-bookmark", "name": "写入"}]
    with pytest.raises(BadQuery, match="bookmark"):
        neo4j_backend.after(["FB:not-a-bookmark"]).read("RETURN 1 AS one")
    assert neo4j_backend.read("RETURN 1 AS one") == [{"one": 1}]  # the process's own: intact


def test_the_bookmarks_after_a_write_name_it(neo4j_backend: Neo4jBackend) -> None:
    before = neo4j_backend.bookmarks()
    neo4j_backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=False)
    after = neo4j_backend.bookmarks()
    assert after and after != before
    view = neo4j_backend.after(after)
    view.upsert_nodes(GRID, [grid("G2", "二号")], bulk=False)
    assert view.bookmarks() != after  # the view's own write, for its reply
    assert neo4j_backend.bookmarks() == after  # not the process's, until a query of its own
    view.close()  # a view does not close the driver
    assert [g["id"] for g in grids(neo4j_backend)] == ["G1", "G2"]


def test_a_graph_error_names_the_server_code(neo4j_backend: Neo4jBackend) -> None:
    with pytest.raises(GraphError, match=r"Neo\.ClientError\.Statement\.SyntaxError"):
        neo4j_backend.read("MATCH (g:Grid RETURN g")
