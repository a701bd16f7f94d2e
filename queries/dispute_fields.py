"""What the GraphQL list `disputes` filters and sorts on, of every dispute, held beside the
read model (`queries.read_model`): its report day, status, outcome, channel, warning and
settled level (`FIELDS`), so that a place's list (`disputes(within:)`, whose keys the cases
hold) is filtered, counted and cut into a page without Cypher (api.graphql.lists).

Every workflow event sets its dispute's status, and a report creates one: both are writes
locked on their dispute (`Backend.write_locked`, whose `Written.about` names it). The next
list after them reads only those disputes again, by key (one read), into a copy
(`DisputeFields.caught_up`); after any other write that changed a Dispute (a load, a write
that named nothing) they are read whole (one read: 90,000 disputes on a city). While a write
is under way, or another list is catching them up, lists read Cypher.

They are held as columns, a dispute's by its number, and a place's disputes (sorted by report
day, with their numbers) are kept per list of keys (`place`): the cases keep one list per
place until a report adds to it, and a dispute's report day and number never change, so a
place kept lasts across events; a filter is then a pass over a column, with no lookup by key.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Sequence
from datetime import date
from typing import Any

from graph.backend import Backend, Row
from graph.ddl import ident
from graph.labels import EVERYTHING

FIELDS = ("reported_on", "status", "outcome", "channel", "warning", "settled_level")
REPORTED_ON = FIELDS.index("reported_on")
CHANGED = frozenset({"Dispute", EVERYTHING})
_COLUMNS = "d.id AS id" + "".join(", d." + ident(f) + " AS " + ident(f) for f in FIELDS)
_ALL = "MATCH (d:Dispute) RETURN " + _COLUMNS
_BY_KEY = "UNWIND $keys AS k MATCH (d:Dispute {id: k}) RETURN " + _COLUMNS
_KEPT = 512  # sorts kept (`in_order`): one per place asked, of each version of its disputes

Place = tuple[list[str], list[int], list[int]]  # `DisputeFields.place`


class DisputeFields:
    """Every dispute's FIELDS as read at `version`, as columns (`columns[i][n]`: FIELDS[i] of
    the dispute numbered n, `number[key]`; a dispute keeps its number). Never changed once
    read (lists on other threads read them): `caught_up` gives new ones."""

    def __init__(self, version: int, rows: list[Row]) -> None:
        self.version = version
        self.number: dict[str, int] = {row["id"]: n for n, row in enumerate(rows)}
        held: dict[Any, Any] = {}  # each repeated value (days, statuses) once
        self.columns: tuple[list[Any], ...] = tuple(
            [None if row[f] is None else held.setdefault(row[f], row[f]) for row in rows]
            for f in FIELDS
        )
        self._places: dict[int, tuple[Sequence[str], Place]] = {}

    @classmethod
    def read(cls, backend: Backend) -> DisputeFields:
        version = int(getattr(backend, "version", 0))  # before the read: see ReadModel
        return cls(version, backend.read(_ALL))

    def current(self, backend: Backend) -> bool:
        stamp = getattr(backend, "stamp", None)
        return stamp is not None and int(stamp(CHANGED)) <= self.version

    def caught_up(self, backend: Backend, version: int) -> DisputeFields | None:
        """These brought to `version` (at which no write is under way) by reading again the
        disputes each write since that changed a Dispute was about; None when one named none,
        or another label's node, or the writes since are no longer known."""
        since = getattr(backend, "writes_since", None)
        writes = since(self.version) if since is not None else None
        if writes is None:
            return None
        keys: set[str] = set()
        for w in writes:
            if w.version > version or not w.changed & CHANGED:
                continue
            if w.about is None or w.about[0] != "Dispute":
                return None
            keys |= w.about[1]
        rows = backend.read(_BY_KEY, {"keys": sorted(keys)}) if keys else []
        new = copy.copy(self)
        new.version = version
        new.columns = tuple(column[:] for column in self.columns)
        if any(row["id"] not in self.number for row in rows) or len(rows) < len(keys):
            new.number = dict(self.number)
        for row in rows:
            n = new.number.setdefault(row["id"], len(new.columns[0]))
            for f, column in zip(FIELDS, new.columns, strict=True):
                if n == len(column):
                    column.append(row[f])
                else:
                    column[n] = row[f]
        gone = {k for k in keys - {row["id"] for row in rows} if k in self.number}
        for key in gone:
            del new.number[key]  # no more in the store: its number is never used again
        day, old = new.columns[REPORTED_ON], self.columns[REPORTED_ON]
        changed_day = any(day[n] != old[n] for n in map(self.number.get, keys) if n is not None)
        # the places kept hold while no dispute in them went and no report day changed (an
        # event never sets one): a new dispute is in a new list of its place's keys
        new._places = {} if gone or changed_day else self._places
        return new

    def place(self, keys: Sequence[str]) -> Place | None:
        """The disputes of `keys` (ascending, as `disputes_within` gives them) sorted by
        (report day, key), with their numbers in that order and in `keys`' order; kept for
        that list of keys. None when one of them is not held (reported since these were
        read: Cypher answers)."""
        kept = self._places.get(id(keys))
        if kept is not None and kept[0] is keys:
            return kept[1]
        number = self.number
        if not all(k in number for k in keys):
            return None
        by_key = [number[k] for k in keys]
        day = self.columns[REPORTED_ON]
        at = sorted(range(len(keys)), key=lambda i: day[by_key[i]])  # stable: ties by key
        found = ([keys[i] for i in at], [by_key[i] for i in at], by_key)
        if len(self._places) >= _KEPT:
            self._places.clear()
        self._places[id(keys)] = (keys, found)
        return found

    def reported(
        self, keys: list[str], numbers: list[int], since: date | None, until: date | None
    ) -> tuple[list[str], list[int]]:
        """Those of `keys` (sorted by report day, with their `numbers`) reported
        `since`..`until`, both days included (None: unbounded), in the same order."""
        day = self.columns[REPORTED_ON]
        at = range(len(numbers))
        first = 0 if since is None else bisect.bisect_left(at, since, key=lambda i: day[numbers[i]])
        end = (
            len(at)
            if until is None
            else bisect.bisect_right(at, until, key=lambda i: day[numbers[i]])
        )
        return keys[first:end], numbers[first:end]

    def day(self, key: str) -> Any:
        """The day `key` was reported."""
        return self.columns[REPORTED_ON][self.number[key]]
