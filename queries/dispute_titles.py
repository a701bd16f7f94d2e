"""What the headline questions show of a dispute that `queries.dispute_fields` does not hold:
its title and its count of parties (`TITLED`), of every dispute, held beside the read model
(`queries.read_model`), so that `dispute_facts` and the conflict walks (`queries.cases`) answer
without a read by key per question.

A report creates a dispute with both, and the workflow's later events set its state only
(workflow/store.py). Whatever a write set, it is caught up as the list's fields are: the next
question after writes locked on disputes (`Written.about`) reads those disputes again by key
(one read, into a copy: `DisputeTitles.caught_up`); after any other write that changed a
Dispute (a load, a write that named nothing) they are read whole. While a write is under way,
or another question is catching them up, questions read Cypher.
"""

from __future__ import annotations

import copy
from typing import Any

from graph.backend import Backend, Row
from graph.ddl import ident
from graph.labels import EVERYTHING

TITLED = ("title", "parties")
CHANGED = frozenset({"Dispute", EVERYTHING})
_COLUMNS = "d.id AS id" + "".join(", d." + ident(f) + " AS " + ident(f) for f in TITLED)
_ALL = "MATCH (d:Dispute) RETURN " + _COLUMNS
_BY_KEY = "UNWIND $keys AS k MATCH (d:Dispute {id: k}) RETURN " + _COLUMNS


class DisputeTitles:
    """Every dispute's TITLED as read at `version` (`held[key]`: its title and parties). Never
    changed once read (questions on other threads read them): `caught_up` gives new ones."""

    def __init__(self, version: int, rows: list[Row]) -> None:
        self.version = version
        self.held: dict[str, tuple[Any, Any]] = {row["id"]: _titled(row) for row in rows}

    @classmethod
    def read(cls, backend: Backend) -> DisputeTitles:
        version = int(getattr(backend, "version", 0))  # before the read: see ReadModel
        return cls(version, backend.read(_ALL))

    def current(self, backend: Backend) -> bool:
        stamp = getattr(backend, "stamp", None)
        return stamp is not None and int(stamp(CHANGED)) <= self.version

    def caught_up(self, backend: Backend, version: int) -> DisputeTitles | None:
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
        new = copy.copy(self)
        new.version = version
        if keys:
            rows = backend.read(_BY_KEY, {"keys": sorted(keys)})
            new.held = dict(self.held)
            for key in keys:
                new.held.pop(key, None)  # no more in the store unless read again
            new.held.update((row["id"], _titled(row)) for row in rows)
        return new


def _titled(row: Row) -> tuple[Any, Any]:
    return row["title"], row["parties"]
