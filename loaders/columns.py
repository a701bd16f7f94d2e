"""Rows held column by column, as the loaders hand them to a store."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload


class ColumnRows(Sequence[dict[str, Any]]):
    """Rows held column by column (`by_column`), each read as a dict. A store may take the
    columns as they are; to any other reader they are a sequence of dicts."""

    def __init__(self, by_column: dict[str, list[Any]]) -> None:
        self.by_column = by_column
        self._length = len(next(iter(by_column.values()))) if by_column else 0

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> ColumnRows: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | ColumnRows:
        if isinstance(index, slice):
            return ColumnRows({k: v[index] for k, v in self.by_column.items()})
        return {k: v[index] for k, v in self.by_column.items()}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        names = list(self.by_column)
        for values in zip(*self.by_column.values(), strict=True):
            yield dict(zip(names, values, strict=True))
