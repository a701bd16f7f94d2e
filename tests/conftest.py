"""Fixtures shared by the test packages: a fresh embedded graph, files to load into it, the
demo graph, and a real Neo4j server (`neo4j_backend`)."""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

import pytest

from graph.backend import Backend
from graph.embedded import EmbeddedBackend

if TYPE_CHECKING:
    from graph.neo4j import Neo4jBackend


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[EmbeddedBackend]:
    """An empty graph with the whole schema, in this test's own folder; closed afterwards."""
    graph = EmbeddedBackend(tmp_path / "g.lbdb")
    graph.init_schema()
    yield graph
    graph.close()


@pytest.fixture
def example_files() -> list[Path]:
    """fixtures/examples: one small file per type, a slice of 嘉善县 that loads clean."""
    return sorted((Path(__file__).resolve().parents[1] / "fixtures" / "examples").glob("*.csv"))


@pytest.fixture
def examples_graph(backend: EmbeddedBackend, example_files: list[Path]) -> EmbeddedBackend:
    """`backend` with the example files loaded (not one row rejected)."""
    from loaders.load import load

    assert load(backend, example_files).rejects == []
    return backend


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """`write_csv(name, rows, encoding="utf-8")`: a CSV of `rows` (the header first) in the
    test's folder, in `encoding` ("utf-8-sig" for a BOM, "gbk", ...), with "\\n" line ends."""

    def write(name: str, rows: Sequence[Sequence[object]], encoding: str = "utf-8") -> Path:
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(rows)
        path = tmp_path / name
        path.write_bytes(text.getvalue().encode(encoding))
        return path

    return write


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[Path]]:
    """The demo counties' files, generated once per session: (division codes, file paths)."""
    import sys

    sys.path.insert(0, str(ROOT / "fixtures"))
    import generate

    files = generate.generate(tmp_path_factory.mktemp("demo") / "files")
    return list(generate.DIVISIONS["demo"]), files


def load_demo(graph: Backend, demo_files: tuple[list[str], list[Path]]) -> None:
    """Load the demo counties into `graph`: their division chains, then their files."""
    from loaders.divisions import divisions_within
    from loaders.load import Loader, MemoryTable

    codes, files = demo_files
    loader = Loader(graph)
    for code in codes:
        chain = divisions_within(code)
        loader.load_tables(
            [MemoryTable(code, "units", chain.units), MemoryTable(code, "part_of", chain.part_of)]
        )
    report = loader.load_paths(files)
    assert report.rejects == [], report.rejects[:5]


@pytest.fixture(scope="session")
def demo_graph(
    demo_files: tuple[list[str], list[Path]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmbeddedBackend]:
    """The demo graph (嘉善 and 景宁), built once per session. Tests only read from it."""
    graph = EmbeddedBackend(tmp_path_factory.mktemp("demo-graph") / "demo.lbdb")
    graph.init_schema()
    load_demo(graph, demo_files)
    yield graph
    graph.close()


# -- a real server and a real browser --------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package: `make browser` installs it
# CI sets this so that a machine without the browser fails instead of skipping.
REQUIRE_BROWSER = os.environ.get("GOVGRAPH_REQUIRE_BROWSER") == "1"


ServerProcess = tuple[subprocess.Popen[bytes], str]


@pytest.fixture
def serve_process(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """`serve_process(db, **settings)`: `govgraph serve` on the store `db` in a process of its
    own (one a test may kill), with its token file and audit log in the test's folder unless
    `settings` say otherwise; the process and its base URL once /healthz answers. Whatever is
    still running is killed after the test."""
    import socket

    import httpx

    from api.app import settings_environment
    from api.settings import Settings

    started: list[subprocess.Popen[bytes]] = []
    code = (
        "from api.app import serve; from api.settings import Settings; "
        "serve(Settings(), log_level='warning')"
    )

    def start(db: Path, **settings: Any) -> ServerProcess:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        chosen = {
            "tokens": str(tmp_path / "tokens.json"),
            "audit_log": str(tmp_path / "audit.jsonl"),
            **settings,
        }
        config = Settings(_env_file=None, db=str(db), port=port, **chosen)
        env = {**os.environ, **settings_environment(config)}
        root = Path(__file__).resolve().parents[1]
        server = subprocess.Popen([sys.executable, "-c", code], cwd=root, env=env)
        started.append(server)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90  # a busy machine opens the store slowly
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=5).status_code == 200:
                    return server, url
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("the server did not answer within 90 s")

    yield start
    for server in started:
        if server.poll() is None:
            server.kill()
        server.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (which never downloads a browser).

    Playwright's synchronous API runs an event loop of its own on this thread for as long as
    it is open, which async tests cannot share: so it is opened per module, and browser tests
    live in modules of their own (tests/*/test_*_browser.py) with no async test beside them."""
    missing = (
        f"no browser at {CHROMIUM}: run `make browser` (installs Debian's chromium)"
        if not CHROMIUM.exists()
        else None
    )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "playwright is not installed: run `make` to install the locked dependencies"
    if missing:
        if REQUIRE_BROWSER:
            pytest.fail(missing)
        pytest.skip(missing)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            # As root, Chromium needs --no-sandbox; the rest keep it from calling home.
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


@contextmanager
def _live_server(app: Any) -> Iterator[str]:
    """`app` served by uvicorn on a free loopback port in a thread; yields its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def _offline(page: Any) -> list[str]:
    """Cut `page` off from every host but this machine, as a center's offline network would:
    each request elsewhere is aborted and its URL added to the list returned."""
    tried: list[str] = []

    def route(handle: Any) -> None:
        host = urlsplit(handle.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            handle.continue_()
        else:
            tried.append(handle.request.url)
            handle.abort()

    page.route("**/*", route)
    return tried


@pytest.fixture(scope="session")
def live_server() -> Callable[[Any], Any]:
    """`with live_server(app) as url:` serves `app` over real HTTP on loopback (a module may
    keep one server for all its tests)."""
    return _live_server


@pytest.fixture(scope="session")
def offline() -> Callable[[Any], list[str]]:
    """`tried = offline(page)`: the page reaches only this machine; `tried` lists the rest."""
    return _offline


# -- a real Neo4j ----------------------------------------------------------------------------
#
# `neo4j_backend` is an empty Neo4j database with the whole schema, emptied again after the
# test; any test package may ask for it. By default the server is Neo4j Community launched for
# the session by tests/neo4j_server (Java and Maven needed; the first run fetches Neo4j through
# Maven). GOVGRAPH_TEST_NEO4J_URI (with _USER, _PASSWORD, _DATABASE: neo4j / "" / neo4j) points
# the tests at a server of your own instead; its database must be empty and disposable.
# Without Java or Maven the Neo4j tests skip, saying what is missing, unless
# GOVGRAPH_REQUIRE_NEO4J=1 (CI sets it), which makes that a failure.


def _load_launcher() -> ModuleType:
    """tests/neo4j_server/server.py, which is not in a package the tests can import."""
    name = "govgraph_neo4j_test_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tests/neo4j_server/server.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules[name]


launcher = _load_launcher()


def no_neo4j(why: str) -> NoReturn:
    """Skip the test for lack of a Neo4j server, or fail it when GOVGRAPH_REQUIRE_NEO4J=1."""
    if os.environ.get("GOVGRAPH_REQUIRE_NEO4J") == "1":
        pytest.fail(f"GOVGRAPH_REQUIRE_NEO4J=1, but {why}", pytrace=False)
    pytest.skip(why)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Every skip for lack of a Neo4j server is told at one place, so `-ra` folds them all
    into one line (a skip in a fixture is otherwise told at each test)."""
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = report.longrepr[2]
        if "no Neo4j server for the Neo4j tests" in reason:
            report.longrepr = (__file__, None, reason)
    return report


@dataclass(frozen=True)
class Neo4jAt:
    """Where a Neo4j server answers and as whom."""

    uri: str
    user: str
    password: str
    database: str = "neo4j"


@pytest.fixture(scope="session")
def neo4j_built() -> object:
    """The Neo4j test server, built (once; cached in build/neo4j-server/)."""
    why = launcher.missing()
    if why:
        no_neo4j(why)
    return launcher.build()


@pytest.fixture
def neo4j_launch(neo4j_built: object, tmp_path: Path) -> Iterator[Callable[..., object]]:
    """`neo4j_launch(home=None, port=0, password=None)`: a server of the test's own (for
    tests that stop or restart one), on `home` (default: a new folder); stopped after it."""
    started: list = []

    def launch(home: Path | None = None, **options: object) -> object:
        server = launcher.start(neo4j_built, home or tmp_path / f"neo4j-{len(started)}", **options)
        started.append(server)
        return server

    yield launch
    for server in started:
        server.stop()


@pytest.fixture
def neo4j_admin(neo4j_built: object) -> Callable[..., subprocess.CompletedProcess[str]]:
    """`neo4j_admin(home, *args)`: `neo4j-admin ARGS` (Neo4j's own, from Maven Central) on
    the server home `home`, e.g. `database import full …`; no server may run on it."""
    return lambda home, *args: launcher.admin(neo4j_built, home, *args)


@pytest.fixture(scope="session")
def neo4j_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Neo4jAt]:
    """The server the Neo4j tests use: GOVGRAPH_TEST_NEO4J_URI's, or one started for the run."""
    uri = os.environ.get("GOVGRAPH_TEST_NEO4J_URI")
    if uri:
        yield Neo4jAt(
            uri,
            os.environ.get("GOVGRAPH_TEST_NEO4J_USER", "neo4j"),
            os.environ.get("GOVGRAPH_TEST_NEO4J_PASSWORD", ""),
            os.environ.get("GOVGRAPH_TEST_NEO4J_DATABASE", "neo4j"),
        )
        return
    built = request.getfixturevalue("neo4j_built")
    server = launcher.start(built, tmp_path_factory.mktemp("neo4j-home"))
    try:
        yield Neo4jAt(server.uri, server.user, server.password, server.database)
    finally:
        server.stop()


def connect_neo4j(at: Neo4jAt, **config: object) -> Neo4jBackend:
    """A new backend (a new driver: as another process would have) on the server `at`."""
    from graph.neo4j import Neo4jBackend

    # patient: a cold server on a busy machine may take more than the default 10 s to answer
    config.setdefault("timeout_ms", 60_000)
    return Neo4jBackend.connect(
        at.uri, user=at.user, password=at.password, database=at.database, **config
    )


@pytest.fixture(scope="session")
def neo4j_graph(neo4j_server: Neo4jAt) -> Iterator[Neo4jBackend]:
    """One backend (one driver) on the server for the whole session, schema created. The
    database must start empty: the tests delete everything in it."""
    graph = connect_neo4j(neo4j_server)
    held = graph.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    if held:
        graph.close()
        pytest.fail(
            f"{neo4j_server.uri} database {graph.database!r} holds {held} nodes; the Neo4j "
            "tests delete everything, so they run only on an empty, disposable database"
        )
    graph.init_schema()
    yield graph
    graph.close()


def wipe(graph: Neo4jBackend) -> None:
    """Delete every node and relationship, a batch per transaction (the schema stays)."""
    while graph.read("MATCH (n) RETURN count(n) AS n")[0]["n"]:
        graph.write([("MATCH (n) WITH n LIMIT 10000 DETACH DELETE n", {})])


@pytest.fixture
def neo4j_connect(neo4j_server: Neo4jAt) -> Iterator[Callable[..., Neo4jBackend]]:
    """`neo4j_connect(**config)`: another backend on the test server with a driver of its own,
    as another process has; `config` goes to `Neo4jBackend.connect`. Closed after the test."""
    opened: list[Neo4jBackend] = []

    def connect(**config: object) -> Neo4jBackend:
        opened.append(connect_neo4j(neo4j_server, **config))
        return opened[-1]

    yield connect
    for graph in opened:
        graph.close()


@pytest.fixture
def neo4j_backend(neo4j_graph: Neo4jBackend) -> Iterator[Neo4jBackend]:
    """An empty Neo4j graph with the whole schema; emptied again after the test."""
    held = neo4j_graph.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    assert held == 0, f"the Neo4j test database holds {held} nodes: is a `neo4j_demo` loaded?"
    try:
        yield neo4j_graph
    finally:
        wipe(neo4j_graph)


@pytest.fixture(scope="module")
def neo4j_demo(
    request: pytest.FixtureRequest,
    demo_files: tuple[list[str], list[Path]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Neo4jBackend]:
    """The demo graph loaded into Neo4j as `demo_graph` is loaded (a minute or more), for the
    tests of one module, which only read from it. On a server of its own, stopped after the
    module; with GOVGRAPH_TEST_NEO4J_URI, on that server, emptied after the module (then the
    module must not ask for `neo4j_backend`)."""
    patient = {"timeout_ms": 120_000}  # a dump reads 55,000 people in one query
    if os.environ.get("GOVGRAPH_TEST_NEO4J_URI"):
        shared = request.getfixturevalue("neo4j_graph")
        graph = connect_neo4j(request.getfixturevalue("neo4j_server"), **patient)
        try:
            load_demo(graph, demo_files)
            yield graph
        finally:
            wipe(shared)
            graph.close()
        return
    built = request.getfixturevalue("neo4j_built")
    server = launcher.start(built, tmp_path_factory.mktemp("neo4j-demo"))
    graph = connect_neo4j(Neo4jAt(server.uri, server.user, server.password), **patient)
    try:
        graph.init_schema()
        load_demo(graph, demo_files)
        yield graph
    finally:
        graph.close()
        server.stop()
