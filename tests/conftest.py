"""Fixtures shared by the test packages: a fresh embedded graph, and files to load into it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

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
