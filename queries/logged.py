"""When the disputes' logs last moved: the work queue's cursor and the disputes changed since one.

    mark, changed = changed_since(backend, since)   # Cypher: the events are read
    held = Logged(backend)                           # the same, held (queries.read_model)
    held.mark, held.since(since)

The cursor is the time of the latest event (`DisputeEvent.at`, ISO 8601 in China time, so it
sorts as text). A dispute changed since a cursor has an event at or after it: at, not only
after, so an event logged later at that same instant is not lost (the disputes of the latest
events are answered again by the next poll, and the client replaces their rows).

The store keeps no dispute's latest event time (the Dispute node shows its state, not when it
last moved), so the Cypher reads every event's `at`. The read model of the embedded store
holds each dispute's latest time, in order (`Logged`): read again, in one read, by the first
poll after a write that logged an event, it answers every poll until the next such write,
whatever its cursor, with no read. Neo4j, and a store without a model, read the Cypher.
"""

from __future__ import annotations

from bisect import bisect_left

from graph.backend import Backend
from graph.labels import read_by

LATEST = "MATCH (e:DisputeEvent) RETURN max(e.at) AS at"
CHANGED = (
    "MATCH (d:Dispute)-[:LOGGED]->(e:DisputeEvent) WHERE e.at >= $since RETURN DISTINCT d.id AS id"
)
PER_DISPUTE = "MATCH (d:Dispute)-[:LOGGED]->(e:DisputeEvent) RETURN d.id AS id, max(e.at) AS at"
READ = read_by(LATEST) | read_by(PER_DISPUTE)
"""What `Logged` holds: it stays true while no write changes these."""


def latest(backend: Backend) -> str:
    """The time of the latest event ("" when there is none): the cursor."""
    rows = backend.read(LATEST)
    return str(rows[0]["at"] or "") if rows else ""


def changed_since(backend: Backend, since: str) -> tuple[str, list[str]]:
    """The cursor now, and the disputes with an event at or after `since`. The cursor is read
    first: an event logged between the two reads is in the second (and answered again by the
    next poll), never in neither."""
    mark = latest(backend)
    return mark, [row["id"] for row in backend.read(CHANGED, {"since": since})]


class Logged:
    """Each dispute's latest event time as read at `version`, in order of time, and the time
    of the latest event (`mark`, the cursor: an event with no LOGGED tie counts there, as in
    `latest`, and in no dispute's)."""

    def __init__(self, backend: Backend) -> None:
        # A write under way now stamps what it changes above this when it ends (as the model).
        self.version = int(getattr(backend, "version", 0))
        self.mark = latest(backend)  # first, as in `changed_since`
        pairs = sorted((str(r["at"]), str(r["id"])) for r in backend.read(PER_DISPUTE))
        self._times = [at for at, _ in pairs]
        self._ids = [dispute for _, dispute in pairs]

    def current(self, backend: Backend) -> bool:
        """Whether no event (nor LOGGED tie, nor dispute) was written since it was read."""
        stamp = getattr(backend, "stamp", None)
        return stamp is not None and int(stamp(READ)) <= self.version

    def since(self, since: str) -> list[str]:
        """The disputes with an event at or after `since`, latest last."""
        return self._ids[bisect_left(self._times, since) :]
