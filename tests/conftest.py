"""Fixtures shared by the test packages: a fresh embedded graph, and files to load into it."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from graph.embedded import EmbeddedBackend


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


@pytest.fixture(scope="session")
def demo_graph(
    demo_files: tuple[list[str], list[Path]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmbeddedBackend]:
    """The demo graph (嘉善 and 景宁), built once per session. Tests only read from it."""
    from loaders.divisions import divisions_within
    from loaders.load import Loader, MemoryTable

    codes, files = demo_files
    graph = EmbeddedBackend(tmp_path_factory.mktemp("demo-graph") / "demo.lbdb")
    graph.init_schema()
    loader = Loader(graph)
    for code in codes:
        chain = divisions_within(code)
        loader.load_tables(
            [MemoryTable(code, "units", chain.units), MemoryTable(code, "part_of", chain.part_of)]
        )
    report = loader.load_paths(files)
    assert report.rejects == [], report.rejects[:5]
    yield graph
    graph.close()


# -- a real server and a real browser --------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package: `make browser` installs it
# CI sets this so that a machine without the browser fails instead of skipping.
REQUIRE_BROWSER = os.environ.get("GOVGRAPH_REQUIRE_BROWSER") == "1"


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
