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
