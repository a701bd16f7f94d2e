"""The reference LadybugDB's Python binding keeps to every date it returns, given back.

LadybugDB 0.22 (the `ladybug` package, its C++ binding) returns each DATE and TIMESTAMP value
as a new `datetime.date` / `datetime.datetime` holding one reference too many, so none is
ever freed: 32 bytes (48 for a timestamp) per value read, for good. A server reading dates
on every request (reported-on days, terms of posts, the disputes' lists) kept about 300,000
of them a minute under the soak, +9 MiB a minute of Python's arenas (docs/benchmarks.md,
December 4). Other values (strings, numbers, intervals, maps, lists) are freed as they
should be.

`Leak.probe(conn)` asks the store for a date and a timestamp and counts their references;
`release(rows)` then gives back the extra one of each date or timestamp in the rows, once
per object, only for a kind the probe found leaking, so a binding that stops leaking (or
leaks differently) is left alone rather than freed early.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_DECREF = ctypes.pythonapi.Py_DecRef
_DECREF.argtypes = [ctypes.py_object]
_DECREF.restype = None
# Column types whose values hold no date: their values are not looked at.
_DATELESS = frozenset(
    "STRING BOOL INT8 INT16 INT32 INT64 INT128 UINT8 UINT16 UINT32 UINT64 SERIAL FLOAT "
    "DOUBLE INTERVAL BLOB UUID INTERNAL_ID".split()
)


@dataclass(frozen=True)
class Leak:
    kinds: frozenset[type] = frozenset()

    @classmethod
    def probe(cls, conn: Any) -> Leak:
        """The kinds of value `conn`'s binding returns with one reference too many."""
        result = conn.execute(
            "RETURN date('2000-01-01') AS d, timestamp('2000-01-01 00:00:00') AS t"
        )
        try:
            day, moment = result.get_next()
        finally:
            result.close()
        del result  # whatever it holds, dropped: what is left is ours or the leak
        # each is held by its name here and by getrefcount's argument: one more is the leak
        kinds = set()
        if sys.getrefcount(day) == 3:
            kinds.add(type(day))
        if sys.getrefcount(moment) == 3:
            kinds.add(type(moment))
        leak = cls(frozenset(kinds))
        leak.release([[day, moment]], ["DATE", "TIMESTAMP"])
        return leak

    def release(self, rows: Sequence[Sequence[Any]], types: Sequence[str]) -> None:
        """Give back the extra reference of each date or timestamp in `rows` (as the binding
        returns them, with their columns' `types`), once per object."""
        if not self.kinds:
            return
        columns = [i for i, name in enumerate(types) if name not in _DATELESS]
        if not columns:
            return
        seen: set[int] = set()
        for row in rows:
            for i in columns:
                self._walk(row[i], seen)

    def _walk(self, value: Any, seen: set[int]) -> None:
        kind = type(value)
        if kind in self.kinds:
            if id(value) not in seen:
                seen.add(id(value))
                _DECREF(value)
        elif kind is list:
            for item in value:
                self._walk(item, seen)
        elif kind is dict:
            for item in value.values():
                self._walk(item, seen)
