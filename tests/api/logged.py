"""A graph under another name, keeping the text of every read: tests that count what a
request reads (a read model attached to it is its own)."""

from __future__ import annotations

from typing import Any


class Logged:
    def __init__(self, graph: Any) -> None:
        self._graph = graph
        self.reads: list[str] = []

    def read(self, query: str, params: Any = None) -> Any:
        self.reads.append(query)
        return self._graph.read(query, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)
