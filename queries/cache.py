"""Results of named queries kept between calls for as long as the graph stays the same.

The ladders, centers, posts, list items and pools the headline queries read change when a
load runs, not between two requests, and reading them is most of an answer's time (LadybugDB
spends a few tenths of a millisecond setting up each join, whatever it then finds). So:

    rows = run_kept(backend, "grid_step", grid="330421-G0096")
    rows = run_each(backend, "ladder_unit_bodies", "units", "anchor", units=[...], as_of=day)

`run_kept` keeps a query's rows per parameter set. `run_each` is for a query that answers each
element of one list parameter on its own, naming the element in one column: its rows are kept
per element, and only the elements not asked about before are read. Two disputes in one town
share the town's center, committees and court, so the second reads only its own grids.

Kept rows are valid while nothing the query reads has changed: the embedded store stamps each
label and type with the version of the last write of its process that changed it
(`EmbeddedBackend.stamp`, `graph.labels`), and no other process can change what it reads. So
a dispute's event, which changes disputes and their log, leaves the ladders, teams and pools
kept. Rows read under a stamp that has moved on since are neither taken nor kept; nothing is
kept while a write is under way. A backend without a version (Neo4j, which other clients
write to unseen) is read every time. Rows are shared between callers: treat them as
read-only.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable, Mapping
from datetime import date
from typing import Any

from cachetools import LRUCache

from graph.backend import Backend, Row
from graph.labels import read_by
from queries.library import dialect_of, get_query, run

MAX_ROWS = 100_000  # rows kept per backend (about 1 KB each); the least recent go first


class _Kept:
    """One backend's kept rows, each with the stamp of what its query read when it was read."""

    def __init__(self) -> None:
        self.rows: LRUCache[Hashable, tuple[int, list[Row]]] = LRUCache(MAX_ROWS, getsizeof=_size)
        self.lock = threading.Lock()

    def get(self, stamp: int, key: Hashable) -> list[Row] | None:
        with self.lock:
            found = self.rows.get(key)
        return found[1] if found is not None and found[0] == stamp else None

    def put(self, stamp: int, key: Hashable, rows: list[Row]) -> None:
        with self.lock:
            if len(rows) <= MAX_ROWS:
                self.rows[key] = (stamp, rows)


_kept: weakref.WeakKeyDictionary[Any, _Kept] = weakref.WeakKeyDictionary()
_kept_lock = threading.Lock()


def _size(entry: tuple[int, list[Row]]) -> int:
    return max(1, len(entry[1]))


def _store(backend: Backend, name: str) -> tuple[_Kept, int] | None:
    """The backend's kept rows and the stamp of what the query `name` reads, now (taken
    before the query runs), or None when the backend keeps no stamps."""
    version = getattr(backend, "version", None)
    stamp = getattr(backend, "stamp", None)
    if version is None or stamp is None or (isinstance(version, int) and version % 2):
        return None  # no version, or a write under way (graph.embedded)
    with _kept_lock:
        kept = _kept.get(backend)
        if kept is None:
            kept = _kept[backend] = _Kept()
    return kept, int(stamp(read_by(get_query(name, dialect_of(backend)).text)))


def frozen(value: Any) -> Hashable:
    """A parameter value as a key, each value tagged with its type (1, 1.0 and True, a map and
    a list of pairs, are different parameters)."""
    if isinstance(value, list | tuple):
        return ("list", tuple(frozen(v) for v in value))
    if isinstance(value, Mapping):
        return ("map", tuple(sorted((str(k), frozen(v)) for k, v in value.items())))
    if isinstance(value, str | int | float | bool | date) or value is None:
        return (type(value).__name__, value)
    raise TypeError(f"a kept query takes plain values, not {type(value).__name__}")


def run_kept(backend: Backend, name: str, **params: Any) -> list[Row]:
    """`queries.library.run`, with the rows kept for the same parameters."""
    found = _store(backend, name)
    if found is None:
        return run(backend, name, **params)
    kept, stamp = found
    key = (name, frozen(params))
    rows = kept.get(stamp, key)
    if rows is None:
        rows = run(backend, name, **params)
        kept.put(stamp, key, rows)
    return list(rows)


def run_each(backend: Backend, name: str, by: str, column: str, **params: Any) -> list[Row]:
    """`queries.library.run` for a query answering each element of the list `params[by]`
    on its own, with rows naming their element in `column`: kept per element, so that only
    elements not asked about before (with the same other parameters) are read. The rows come
    grouped by element, in the order of `params[by]`."""
    elements = list(dict.fromkeys(params[by]))
    found = _store(backend, name)
    if found is None:
        return run(backend, name, **params)
    kept, stamp = found
    others = frozen({k: v for k, v in params.items() if k != by})
    keys = {e: (name, others, frozen(e)) for e in elements}
    have = {e: kept.get(stamp, keys[e]) for e in elements}
    missing = [e for e in elements if have[e] is None]
    if missing:
        read: dict[Any, list[Row]] = {e: [] for e in missing}
        for row in run(backend, name, **{**params, by: missing}):
            read[row[column]].append(row)
        for e in missing:
            kept.put(stamp, keys[e], read[e])
            have[e] = read[e]
    return [row for e in elements for row in have[e] or []]
