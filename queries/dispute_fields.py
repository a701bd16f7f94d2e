"""A dispute's own properties, of every dispute, held beside the read model
(`queries.read_model`): what the GraphQL list `disputes` filters and sorts on (its report
day, status, outcome, channel, warning and settled level), so that a place's list
(`disputes(within:)`, whose keys the cases hold) is filtered, counted and cut into a page
without Cypher (api.graphql.lists), and what the headline questions show of it besides (its
title and recorded count of parties), so that they read no dispute per question
(`queries.cases.Own`). All of them are `FIELDS`.

Every workflow event sets its dispute's status, and a report creates one: both are writes
locked on their dispute (`Backend.write_locked`, whose `Written.about` names it). The next
list after them reads only those disputes again, by key (one read; none for a dispute whose
fields the cases' catch-up read along with its ties at the same version, `read_along`, nor
for a new one whose report's writer told what it wrote, `reported`, while no later write
touched it: the question after a report reads nothing of it), and gives new fields
that share their storage with the fields before (`DisputeFields.caught_up`): a new dispute
is appended to the shared columns, past the count of the fields before, which see nothing
past it; a changed one's values go into the new fields' own small overlay (`changed`, by
number), copied from the fields before. Nothing is written before everything is read, so a
catch-up that fails leaves the fields as they were, and a list under way keeps the fields it
began with. Once the overlay holds `_CHANGED` values, or a dispute is gone (no more in the
store), or the fields are not the latest (others appended past them), the catch-up copies
the columns into storage of its own instead (a gone dispute's number freed, the others
renumbered). After any other write that changed a Dispute (a load, a write that named
nothing) they are read whole (one read: 90,000 disputes on a city). While a write is under
way, or another list is catching them up, lists read Cypher.

A place's disputes sorted by report day (with their numbers) are kept per place (`place`):
a report day never changes once reported and a dispute keeps its number while none is gone,
so the order kept lasts across events; when the cases give the place a new list of keys
(after a report: the old one plus the new disputes) the order is carried forward, the new
disputes put in by bisection, rather than sorted again. A catch-up that saw a report day
change, or a dispute go, keeps none. A filter is then a pass over a column, with no lookup
by key.
"""

from __future__ import annotations

import bisect
import copy
import weakref
from array import array
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import date
from itertools import repeat
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from graph.backend import Backend, Row, writes_changing
from graph.ddl import ident
from graph.labels import EVERYTHING

FIELDS = (
    "reported_on",
    "status",
    "outcome",
    "channel",
    "warning",
    "settled_level",
    "title",
    "parties",
)
REPORTED_ON = FIELDS.index("reported_on")
CHANGED = frozenset({"Dispute", EVERYTHING})
_COLUMNS = "d.id AS id" + "".join(", d." + ident(f) + " AS " + ident(f) for f in FIELDS)
_ALL = "MATCH (d:Dispute) RETURN " + _COLUMNS
_BY_KEY = "UNWIND $keys AS k MATCH (d:Dispute {id: k}) RETURN " + _COLUMNS
_KEPT = 512  # places kept (`place`)
_CHANGED = 2048  # values in the overlay (`changed`) before the columns are copied with them
_CARRIED = 256  # disputes numbered since a place was kept, past which it is sorted again

Place = tuple[list[str], list[int], list[int]]  # `DisputeFields.place`
_Kept = tuple[Sequence[str], Place, int]  # a place's keys, its order, the count it was made at


# Per backend: the FIELDS of disputes read at a version beside what another reader read of
# them (`read_along`), for the catch-up to that same version
_read_along: weakref.WeakKeyDictionary[Any, tuple[int, dict[str, Row]]] = (
    weakref.WeakKeyDictionary()
)


def read_along(backend: Backend, version: int, rows: Iterable[Row]) -> None:
    """The FIELDS of disputes (rows with "id") read after `version` (at which no write was
    under way) together with what another reader reads of them (a report's ties:
    `queries.cases`): the catch-up to that same version takes them from here rather than
    reading them again. Held until the next such read; one at another version is ignored."""
    _read_along[backend] = (version, {row["id"]: row for row in rows})


class Reported(NamedTuple):
    """What the report of `dispute` wrote, as its writer knows it (`workflow.store`), in the
    write that ended at `version`: the dispute's FIELDS (with "id") and its ties that hold a
    dispute at one end, each (type, start label, start key, start's name, end label, end key,
    the tie's properties), every end in the store when written."""

    version: int
    dispute: str
    fields: Row
    ties: tuple[tuple[str, str, str, Any, str, str, Row], ...]

    def nodes(self) -> set[tuple[str, str]]:
        """The nodes on it (label, key): what a later write must leave alone for it to hold."""
        return {("Dispute", self.dispute)} | {
            end for t in self.ties for end in ((t[1], t[2]), (t[4], t[5]))
        }


_REPORTS = 256  # reports kept per store, the latest (a catch-up takes them within a few)

# Per store (the one whose journal tells its writes, `_store`): the reports its writer made
# lately, by dispute (`reported`)
_reported: weakref.WeakKeyDictionary[Any, dict[str, Reported]] = weakref.WeakKeyDictionary()


def _store(backend: Backend) -> Any:
    """The store whose journal `backend` tells (the backend itself, or the one a wrapper of
    it forwards `writes_since` to): what a writer and a reader of one store both name."""
    return getattr(backend.writes_since, "__self__", backend)


def reported(backend: Backend, report: Reported) -> None:
    """What a report wrote, from its writer: a reader catching up takes it rather than
    reading the new dispute (the store's first read of new ties costs p90 8-12 ms on the demo,
    docs/benchmarks.md) while it holds (`reports_holding`). Told before any reader can see
    `report.version` (`Backend.write_locked`'s `committed`): a reader who sees it finds this."""
    kept = _reported.setdefault(_store(backend), {})
    kept[report.dispute] = report
    while len(kept) > _REPORTS:
        del kept[next(iter(kept))]  # the oldest (a dict keeps the order of insertion)


def reports_holding(backend: Backend, disputes: Iterable[str], version: int) -> dict[str, Reported]:
    """The reports of `disputes` their writer told (`reported`) that are still what the store
    holds of them at `version`: the report's write ended by `version`, and every write after
    it up to `version` named what it was about, none a node on the report (not the dispute,
    its parties, its grid, ...: an event of it, a party renamed). Any other write since (a
    load, a write that named nothing) and the dispute is read."""
    kept = _reported.get(_store(backend))
    if not kept:
        return {}
    holding = {}
    for d in disputes:
        report = kept.get(d)
        writes = (
            None
            if report is None or report.version > version
            else backend.writes_since(report.version)
        )
        if report is None or writes is None:
            continue
        nodes = report.nodes()
        if all(
            w.about is not None and not any((w.about[0], k) in nodes for k in w.about[1])
            for w in writes
            if w.version <= version
        ):
            holding[d] = report
    return holding


def _by_key(backend: Backend, version: int, keys: list[str]) -> list[Row]:
    """The rows of `_BY_KEY` for `keys` as they are at `version` (no write since it): those
    read along at that version (`read_along`) or told by their report's writer and holding
    at it (`reports_holding`), the rest read now (none when none is left). Rows read along at
    another version are not taken: a write since may have changed them."""
    along = _read_along.get(backend)
    held = along[1] if along is not None and along[0] == version else {}
    told = reports_holding(backend, [k for k in keys if k not in held], version)
    held = {**held, **{k: r.fields for k, r in told.items()}}
    rest = [k for k in keys if k not in held]
    rows = [held[k] for k in keys if k in held]
    return rows + backend.read(_BY_KEY, {"keys": rest}) if rest else rows


_ARROW = {"B": pa.uint8(), "H": pa.uint16(), "i": pa.int32(), "q": pa.int64(), "Q": pa.uint64()}


def ints(values: array[int]) -> pa.Array:
    """`values` as an Arrow array (a copy of their bytes). Made from bytes, never from Python
    values: pyarrow imports pandas the first time it converts one (its check for pandas
    objects), 34 MiB in a process that only reads (docs/benchmarks.md)."""
    return pa.Array.from_buffers(_ARROW[values.typecode], len(values), [None, pa.py_buffer(values)])


def scalar(value: int, typecode: str) -> pa.Scalar:
    """`value` as an Arrow scalar of the array type `typecode`, made as `ints` makes one."""
    return ints(array(typecode, (value,)))[0]


def _column(values: pa.ChunkedArray, held: dict[Any, Any]) -> list[Any]:
    """A column's values, each distinct one made once (Arrow's `dictionary_encode`)."""
    encoded = pc.dictionary_encode(values.combine_chunks())
    distinct = [held.setdefault(v, v) for v in encoded.dictionary.to_pylist()]
    distinct.append(None)  # a null's
    indices = pc.fill_null(encoded.indices.cast(pa.int32()), scalar(len(distinct) - 1, "i"))
    numbers = array("i")
    numbers.frombytes(
        memoryview(indices.buffers()[1])[indices.offset * 4 : (indices.offset + len(indices)) * 4]
    )
    return list(map(distinct.__getitem__, numbers))


class DisputeFields:
    """Every dispute's FIELDS as read at `version`, as columns: the dispute numbered n
    (`numbered`, below `count`; `keys[n]` is its key) has FIELDS[i] `values(i, [n])[0]`,
    which is `changed[i][n]` when the overlay holds it, else `columns[i][n]`. A dispute keeps
    its number while none is gone.

    Never changed once read (lists on other threads read them): `caught_up` gives new ones,
    which share `keys`, `number` and `columns` and append to them; each sees nothing
    numbered past its own `count`, and holds its own overlay."""

    def __init__(self, version: int, keys: list[str], columns: tuple[list[Any], ...]) -> None:
        self.version = version
        self.keys = keys
        self.number: dict[str, int] = {k: n for n, k in enumerate(self.keys)}
        self.columns = columns
        self.count = len(self.keys)
        self.changed: tuple[dict[int, Any], ...] = tuple({} for _ in FIELDS)
        self._places: dict[Hashable, _Kept] = {}

    @classmethod
    def read(cls, backend: Backend) -> DisputeFields:
        """Every dispute's, read whole; on the embedded store as one Arrow table, each
        column's distinct values made once (`_column`): a dict per row, made and dropped,
        left 35 MiB of a city's Python heap free but held, between the values kept."""
        version = int(getattr(backend, "version", 0))  # before the read: see ReadModel
        held: dict[Any, Any] = {}  # each repeated value (days, statuses) once
        tables = getattr(backend, "table_snapshot", None)
        if tables is not None:
            with tables() as read:
                table = read(_ALL)
            columns = tuple(_column(table.column(f), held) for f in FIELDS)
            return cls(version, table.column("id").to_pylist(), columns)
        rows = backend.read(_ALL)
        return cls(
            version,
            [row["id"] for row in rows],
            tuple(
                [None if row[f] is None else held.setdefault(row[f], row[f]) for row in rows]
                for f in FIELDS
            ),
        )

    def current(self, backend: Backend) -> bool:
        stamp = getattr(backend, "stamp", None)
        return stamp is not None and int(stamp(CHANGED)) <= self.version

    def numbered(self, key: str) -> int | None:
        """`key`'s number, None when these do not hold it."""
        n = self.number.get(key)
        return n if n is not None and n < self.count else None

    def values(self, at: int, numbers: Iterable[int]) -> list[Any]:
        """FIELDS[at] of the disputes numbered `numbers`, in that order."""
        column, changed = self.columns[at], self.changed[at]
        if not changed:
            return list(map(column.__getitem__, numbers))
        return [changed[n] if n in changed else column[n] for n in numbers]

    def _value(self, at: int) -> Callable[[int], Any]:
        """FIELDS[at] of a dispute by its number."""
        column, changed = self.columns[at], self.changed[at]
        if not changed:
            return column.__getitem__
        return lambda n: changed[n] if n in changed else column[n]

    def caught_up(self, backend: Backend, version: int) -> DisputeFields | None:
        """These brought to `version` (at which no write is under way) by reading again the
        disputes each write since that changed a Dispute was about; None when one named none,
        or another label's node, or the writes since are no longer known."""
        writes = writes_changing(backend, self.version, version, CHANGED)
        if writes is None:
            return None
        keys: set[str] = set()
        for w in writes:
            if w.about is None or w.about[0] != "Dispute":
                return None
            keys |= w.about[1]
        rows = _by_key(backend, version, sorted(keys))
        # every value taken before anything is written: a row that fails writes nothing
        found = {row["id"]: tuple(row[f] for f in FIELDS) for row in rows}
        new = copy.copy(self)
        new.version = version
        gone = {k for k in keys if k not in found and self.numbered(k) is not None}
        fresh = [(k, found[k]) for k in sorted(found) if self.numbered(k) is None]
        overlay = list(self.changed)  # each copied when first written: these keep theirs
        copied: set[int] = set()
        day, changed_day = self._value(REPORTED_ON), False
        for k, values in found.items():
            n = self.numbered(k)
            if n is None:
                continue
            changed_day = changed_day or values[REPORTED_ON] != day(n)
            for at, value in enumerate(values):
                same = value == self.columns[at][n]
                if same and n not in overlay[at]:
                    continue
                if at not in copied:
                    overlay[at] = dict(overlay[at])
                    copied.add(at)
                if same:
                    del overlay[at][n]
                else:
                    overlay[at][n] = value
        new.changed = tuple(overlay)
        latest = all(len(c) == self.count for c in (self.keys, self.number, *self.columns))
        owned = bool(gone) or not latest or sum(map(len, overlay)) > _CHANGED
        if owned:
            new._own(gone)
        for k, values in fresh:  # past every other's count: none sees them
            for column, value in zip(new.columns, values, strict=True):
                column.append(value)
            new.keys.append(k)
            new.number[k] = len(new.keys) - 1
        new.count = len(new.keys)
        # the places kept hold while no report day changed (an event never sets one) and no
        # dispute went (numbers stay): a new dispute is in a new list of its place's keys.
        # Storage of its own starts a dict of its own: the places these kept, none later's
        if gone or changed_day:
            new._places = {}
        elif owned:
            kept = list(self._places.items())  # one copy (atomic): lists may be adding
            new._places = {where: k for where, k in kept if k[2] <= self.count}
        return new

    def _own(self, gone: set[str]) -> None:
        """Storage of these fields' own: the columns copied with the overlay in them, without
        the disputes `gone` (the others numbered again, in the same order)."""
        kept = [n for n in range(self.count) if self.keys[n] not in gone]
        self.keys = [self.keys[n] for n in kept]
        self.number = {k: n for n, k in enumerate(self.keys)}
        self.columns = tuple(self.values(at, kept) for at in range(len(FIELDS)))
        self.changed = tuple({} for _ in FIELDS)
        self.count = len(self.keys)

    def place(self, keys: Sequence[str], where: Hashable) -> Place | None:
        """The disputes of `keys` (ascending, as `disputes_within` gives them for the place
        `where`) sorted by (report day, key), with their numbers in that order and in
        `keys`' order; kept for `where`, and carried forward to its next list of keys when
        that is the same plus disputes numbered since. None when one of them is not held
        (reported since these were read: Cypher answers)."""
        kept = self._places.get(where)
        if kept is not None and kept[2] > self.count:
            return self._sorted(keys)  # kept by later fields: may hold disputes these do not
        if kept is not None and kept[0] is keys:
            return kept[1]
        found = None if kept is None else self._carried(keys, kept)
        if found is None:
            found = self._sorted(keys)
            if found is None:
                return None
        if len(self._places) >= _KEPT:
            self._places.clear()
        self._places[where] = (keys, found, self.count)
        return found

    def _sorted(self, keys: Sequence[str]) -> Place | None:
        """`place` sorted afresh (None when one of `keys` is not held)."""
        count = self.count
        by_key = list(map(self.number.get, keys, repeat(count)))
        if by_key and max(by_key) >= count:
            return None
        day = self.values(REPORTED_ON, by_key)
        at = sorted(range(len(keys)), key=day.__getitem__)  # stable: ties by key
        return list(map(keys.__getitem__, at)), list(map(by_key.__getitem__, at)), by_key

    def _carried(self, keys: Sequence[str], kept: _Kept) -> Place | None:
        """The place kept, for `keys` when they are its keys plus disputes numbered since it
        was kept (each put in by bisection on (report day, key)); else None."""
        old, (ordered, in_order, by_key), fence = kept
        added = len(keys) - len(old)
        if added < 0 or self.count - fence > _CARRIED:
            return None
        put: list[tuple[int, int]] = []  # (its place in `keys`, its number)
        for n in range(fence, self.count):
            i = bisect.bisect_left(keys, self.keys[n])
            if i < len(keys) and keys[i] == self.keys[n]:
                put.append((i, n))
        if len(put) != added:
            return None
        put.sort()
        rest: list[str] = []
        start = 0
        for i, _ in put:
            rest.extend(keys[start:i])
            start = i + 1
        rest.extend(keys[start:])
        if rest != (old if isinstance(old, list) else list(old)):
            return None  # not the same keys besides: sorted again
        ordered, in_order, by_key = list(ordered), list(in_order), list(by_key)
        day = self._value(REPORTED_ON)
        for i, n in put:  # ascending: each goes where it ends
            by_key.insert(i, n)
            k = keys[i]
            at = bisect.bisect_left(
                range(len(ordered)), (day(n), k), key=lambda j: (day(in_order[j]), ordered[j])
            )
            ordered.insert(at, k)
            in_order.insert(at, n)
        return ordered, in_order, by_key

    def reported(
        self, keys: list[str], numbers: list[int], since: date | None, until: date | None
    ) -> tuple[list[str], list[int]]:
        """Those of `keys` (sorted by report day, with their `numbers`) reported
        `since`..`until`, both days included (None: unbounded), in the same order."""
        day = self._value(REPORTED_ON)
        at = range(len(numbers))
        first = 0 if since is None else bisect.bisect_left(at, since, key=lambda i: day(numbers[i]))
        end = (
            len(at)
            if until is None
            else bisect.bisect_right(at, until, key=lambda i: day(numbers[i]))
        )
        return keys[first:end], numbers[first:end]

    def day(self, key: str) -> Any:
        """The day `key` was reported."""
        return self._value(REPORTED_ON)(self.number[key])
