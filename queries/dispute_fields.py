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
from itertools import accumulate
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar

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


def combined(column: pa.ChunkedArray) -> pa.Array:
    """`column`'s chunks as one array (of none, an empty one made as `ints` makes one:
    `combine_chunks` converts an empty list)."""
    return column.combine_chunks() if column.num_chunks else pa.nulls(0, column.type)


def scalar(value: int, typecode: str) -> pa.Scalar:
    """`value` as an Arrow scalar of the array type `typecode`, made as `ints` makes one."""
    return ints(array(typecode, (value,)))[0]


_FEW = 256  # a value appended is looked for among a column's values when they are no more


class _Column:
    """One of FIELDS of every dispute numbered: each one's as a code (a byte, two or four)
    into the column's distinct values. A pointer each took 0.76 MiB a field for a city's
    90,000 disputes, its 8 fields 6.9 MiB; a byte each for those of a few values.

    Shared by the fields caught up from the ones that read it, which append to it: a reader
    takes what it asks by number, below its own count."""

    __slots__ = ("codes", "values")

    def __init__(self, codes: array[int], values: list[Any]) -> None:
        self.codes, self.values = codes, values

    @classmethod
    def of(cls, values: Iterable[Any]) -> _Column:
        """`values` (Python's), each distinct one held once."""
        coded: dict[Any, int] = {}
        codes = [coded.setdefault(v, len(coded)) for v in values]
        return cls(array(_typecode(len(coded)), codes), list(coded))

    @classmethod
    def read(cls, values: pa.ChunkedArray, held: dict[Any, Any]) -> _Column:
        """An Arrow column's values, each distinct one made once (`dictionary_encode`)."""
        encoded = pc.dictionary_encode(combined(values))
        distinct = [held.setdefault(v, v) for v in encoded.dictionary.to_pylist()]
        distinct.append(None)  # a null's
        codes = pc.fill_null(encoded.indices.cast(pa.int32()), scalar(len(distinct) - 1, "i"))
        typecode = _typecode(len(distinct))
        held_codes = array(typecode)
        if len(codes):
            held_codes.frombytes(codes.cast(_ARROW[typecode]).buffers()[1])
            del held_codes[len(codes) :]  # a buffer may be longer than its array
        return cls(held_codes, distinct)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, n: int) -> Any:
        return self.values[self.codes[n]]

    def taken(self, numbers: Sequence[int]) -> list[Any]:
        """The values of the disputes numbered `numbers`, in that order: their codes taken
        by `itemgetter` (a map of the array's `__getitem__` took twice as long)."""
        if len(numbers) < 2:
            return [self.values[self.codes[n]] for n in numbers]
        return list(map(self.values.__getitem__, itemgetter(*numbers)(self.codes)))

    def append(self, value: Any) -> None:
        """`value` for the next dispute: the code of an equal value when the column has few,
        else a new one (the codes made wider when they must)."""
        values = self.values
        if len(values) <= _FEW and value in values:
            code = values.index(value)
        else:
            code = len(values)
            values.append(value)
        wider = _typecode(len(values))
        if array(wider).itemsize > self.codes.itemsize:
            # the fields before read this one, which holds theirs as they were
            self.codes = array(wider, self.codes)
        self.codes.append(code)


def _typecode(distinct: int) -> str:
    """The narrowest array type coding `distinct` values."""
    return "B" if distinct <= 1 << 8 else "H" if distinct <= 1 << 16 else "i"


STRIDE = 32  # every STRIDE-th key read sampled, for a bisection in C first

Text = TypeVar("Text", str, bytes)


def place_in_text(
    text: Text, at: array[int], samples: list[Text], key: Text, first: int, end: int
) -> int | None:
    """The number of `key` among the sorted keys numbered `first` to `end`, held one after
    another in `text` (key n is text[at[n]:at[n + 1]]), every STRIDE-th of them in `samples`;
    None when they do not hold it. A bisection among the samples, then `key` searched for in
    the text of the STRIDE keys from the sample on and its place found among their starts:
    all in C (a bisection in Python among those keys, a slice each step, took twice the
    instructions; ~180 calls a request of a mediator's 20 disputes)."""
    i = bisect.bisect_right(samples, key)
    if not i:
        return None
    lo = first + (i - 1) * STRIDE  # between the i-th key sampled and the next
    hi = min(end, lo + STRIDE)
    stop, size = at[hi], len(key)
    found = text.find(key, at[lo], stop)
    while found >= 0:  # a whole key, not within one or across two
        n = bisect.bisect_left(at, found, lo, hi)
        if n < hi and at[n] == found and at[n + 1] == found + size:
            return n
        found = text.find(key, found + 1, stop)
    return None


def _utf8(keys: pa.Array) -> tuple[bytes, array[int]]:
    """Strings (no nulls) as the UTF-8 of each, one after another, and where each starts in
    it, with its end last."""
    keys = keys.cast(pa.string())
    at = array("i")
    if len(keys):
        _, offsets, data = keys.buffers()
        at.frombytes(offsets[4 * keys.offset : 4 * (keys.offset + len(keys) + 1)])
    else:
        at.append(0)
        data = None
    first, last = at[0], at[-1]
    if first:
        at = array("i", (n - first for n in at))
    return (bytes(data[first:last]) if data is not None else b""), at


class DisputeFields:
    """Every dispute's FIELDS as read at `version`, as columns: the dispute numbered n
    (`numbered`, below `count`; `key(n)` is its key) has FIELDS[i] `values(i, [n])[0]`,
    which is `changed[i][n]` when the overlay holds it, else `columns[i][n]`. A dispute keeps
    its number while none is gone.

    The disputes read are numbered in the order of their keys, held as the UTF-8 of each,
    one after another (key n is `_text[_at[n]:_at[n + 1]]`), found by bisection (`_find`):
    a str object for each key and a dict numbering them took 12 MiB for a city's 90,000
    disputes, 1.5 now. Those numbered since (reports) are in a dict, as before.

    Never changed once read (lists on other threads read them): `caught_up` gives new ones,
    which share the disputes numbered since (`_added`, `_added_keys`) and `columns` and
    append to them; each sees nothing numbered past its own `count`, and holds its own
    overlay."""

    def __init__(
        self, version: int, keys: tuple[bytes, array[int]], columns: tuple[_Column, ...]
    ) -> None:
        self.version = version
        self._text, self._at = keys  # never changed once read
        self._read = len(self._at) - 1
        self._samples = [
            self._text[self._at[n] : self._at[n + 1]] for n in range(0, self._read, STRIDE)
        ]
        self._added: dict[str, int] = {}
        self._added_keys: list[str] = []
        self.columns = columns
        self.count = self._read
        self.changed: tuple[dict[int, Any], ...] = tuple({} for _ in FIELDS)
        self._places: dict[Hashable, _Kept] = {}

    @classmethod
    def read(cls, backend: Backend) -> DisputeFields:
        """Every dispute's, read whole; on the embedded store as one Arrow table, each
        column's distinct values made once (`_Column.read`): a dict per row, made and dropped,
        left 35 MiB of a city's Python heap free but held, between the values kept."""
        version = int(getattr(backend, "version", 0))  # before the read: see ReadModel
        held: dict[Any, Any] = {}  # each repeated value (days, statuses) once
        tables = getattr(backend, "table_snapshot", None)
        if tables is not None:
            with tables() as read:
                table = read(_ALL)
            table = table.take(pc.sort_indices(table.column("id")))  # numbered in key order
            columns = tuple(_Column.read(table.column(f), held) for f in FIELDS)
            fields = cls(version, _utf8(combined(table.column("id"))), columns)
            del table
            pa.default_memory_pool().release_unused()
            return fields
        rows = sorted(backend.read(_ALL), key=lambda row: str(row["id"]))
        encoded = [str(row["id"]).encode() for row in rows]
        return cls(
            version,
            (b"".join(encoded), array("i", accumulate(map(len, encoded), initial=0))),
            tuple(_Column.of(row[f] for row in rows) for f in FIELDS),
        )

    def current(self, backend: Backend) -> bool:
        stamp = getattr(backend, "stamp", None)
        return stamp is not None and int(stamp(CHANGED)) <= self.version

    def numbered(self, key: str) -> int | None:
        """`key`'s number, None when these do not hold it."""
        n = self._find(key)
        return n if n is not None and n < self.count else None

    def _find(self, key: Any) -> int | None:
        """The number of `key`, however recent (others' appends too)."""
        if not isinstance(key, str):
            return None
        n = place_in_text(self._text, self._at, self._samples, key.encode(), 0, self._read)
        return self._added.get(key) if n is None else n

    def _numbers(self, keys: Sequence[str]) -> list[int]:
        """The number of each of `keys`, `count` for one these do not hold: the keys read
        found by Arrow (`search_sorted`) all at once, for a place's thousands (by
        bisection each, 1.5 µs a key)."""
        count, read = self.count, self._read
        if not keys:
            return []
        found = [count] * len(keys)
        if read:
            joined = "".join(keys)
            utf8 = joined.encode()
            # a key's length in bytes its length in characters when all are ASCII
            lengths = map(len, keys if len(utf8) == len(joined) else [k.encode() for k in keys])
            wanted = pa.StringArray.from_buffers(
                len(keys),
                pa.py_buffer(array("i", accumulate(lengths, initial=0))),
                pa.py_buffer(utf8),
            )
            text = pa.StringArray.from_buffers(
                read, pa.py_buffer(self._at), pa.py_buffer(self._text)
            )
            at = pc.min_element_wise(pc.search_sorted(text, wanted), scalar(read - 1, "Q"))
            same = pc.equal(text.take(at), wanted)
            numbers = pc.if_else(same, at, scalar(count, "Q"))
            held = array("Q")
            held.frombytes(numbers.buffers()[1])
            found = held[: len(keys)].tolist()
        if count > read:  # the rest may be among those numbered since
            added = self._added
            found = [
                n if n < count else min(added.get(k, count), count)
                for n, k in zip(found, keys, strict=True)
            ]
        return found

    def key(self, n: int) -> str:
        """The key of the dispute numbered `n`."""
        if n < self._read:
            at = self._at
            return self._text[at[n] : at[n + 1]].decode()
        return self._added_keys[n - self._read]

    def _numbered(self) -> int:
        """How many disputes are numbered, by these fields or by any caught up from them."""
        return self._read + len(self._added_keys)

    def values(self, at: int, numbers: Iterable[int]) -> list[Any]:
        """FIELDS[at] of the disputes numbered `numbers`, in that order."""
        column, changed = self.columns[at], self.changed[at]
        numbers = numbers if isinstance(numbers, Sequence) else list(numbers)
        if not changed:
            return column.taken(numbers)
        return list(map(changed.get, numbers, column.taken(numbers)))

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
        latest = all(len(c) == self.count for c in self.columns)
        latest = latest and self._numbered() == self.count
        owned = bool(gone) or not latest or sum(map(len, overlay)) > _CHANGED
        if owned:
            new._own(gone)
        for k, values in fresh:  # past every other's count: none sees them
            for column, value in zip(new.columns, values, strict=True):
                column.append(value)
            new._added[k] = new._numbered()
            new._added_keys.append(k)
        new.count = new._numbered()
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
        count, read = self.count, self._read
        columns = [self.values(at, range(count)) for at in range(len(FIELDS))]
        if gone:
            out = {self._find(k) for k in gone}
            kept = [n for n in range(count) if n not in out]
            columns = [[column[n] for n in kept] for column in columns]
            keys = [self.key(n).encode() for n in kept if n < read]
            self._text = b"".join(keys)
            self._at = array("i", accumulate(map(len, keys), initial=0))
            self._read = len(keys)
            self._samples = [keys[n] for n in range(0, len(keys), STRIDE)]
            added = [self.key(n) for n in kept if n >= read]
        else:
            added = self._added_keys[: count - read]
        self._added_keys = added
        self._added = {k: n for n, k in enumerate(added, self._read)}
        self.columns = tuple(_Column.of(column) for column in columns)
        self.changed = tuple({} for _ in FIELDS)
        self.count = self._numbered()

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
        by_key = self._numbers(keys)
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
            k = self.key(n)
            i = bisect.bisect_left(keys, k)
            if i < len(keys) and keys[i] == k:
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
        n = self.numbered(key)
        if n is None:
            raise KeyError(key)
        return self._value(REPORTED_ON)(n)
