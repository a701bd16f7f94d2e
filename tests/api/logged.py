"""A graph under another name, keeping the text of every read: tests that count what a
request reads (a read model attached to it is its own)."""

from __future__ import annotations

from typing import Any


class Logged:
    def __init__(self, graph: Any) -> None:
        self._graph = graph
        self.reads: list[str] = []
        self.params: list[Any] = []  # each read's parameters, beside `reads`

    def read(self, query: str, params: Any = None) -> Any:
        self.reads.append(query)
        self.params.append(params)
        return self._graph.read(query, params)

    def keys_read(self, query: str) -> list[list[str]]:
        """The `$keys` of each read of `query`, in order."""
        return [list(p["keys"]) for q, p in zip(self.reads, self.params, strict=True) if q == query]

    def clear(self) -> None:
        self.reads.clear()
        self.params.clear()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)
