"""The log in the graph, through `graph.backend.Backend`: append, read, replay.

    store = EventStore(backend)
    outcome = store.act(command, facts, now, rules, calendar)   # Outcome or Refusal
    store.log("330421-W20240520-1a2b3c4d"), store.state(...)

An append is one write transaction: the DisputeEvent `<dispute>#<version>` (its key), the
LOGGED tie from the Dispute, and the Dispute node's projection (the properties the loaders, the
demo and the read side already use: status, outcome, settled level and day, warning,
satisfaction; a report creates the Dispute with its place, category, list item, parties and
reporter). Two writers of one version both try to create that key: the store's uniqueness
constraint lets one commit and fails the other, whole, on both backends, which becomes
`stale_version`. An idempotency key (scoped to the caller and the dispute) that was used
before returns the first event and the state after it, and applies nothing; the same key with
another request is `idempotency_key_reused`. A report also tells the read model what it wrote
(`_told`, `queries.dispute_fields.reported`), so that the question after it reads none of it:
once the write has committed, under its lock, before a reader can see the version it ends at.

An event is decided and stamped at the caller's `now`, unless an event stored already is
later: then at that event's time (`stamp`, read under the lock). So on the embedded store,
whose one lock orders every append, events are stamped in the order they commit, and a work
queue's cursor (the latest time) is never passed by an event committed after it was read.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import mean
from typing import Any

from graph.backend import Backend, Params, Reader, Row, Statement
from graph.ddl import ident
from graph.errors import ConstraintViolation
from graph.schema import SCHEMA
from loaders.load import relationship_id
from queries.calendar import CHINA_TIME, Calendar
from queries.dispute_fields import FIELDS, Reported, reported
from queries.rules import Rules
from workflow.decide import decide
from workflow.model import Command, Event, Facts, Problem, Ref, Refusal, UserError
from workflow.state import DisputeState, apply, replay

SOURCE = "workflow"
_COLUMNS = (
    "id dispute version at actor role unit scope action from_state to_state targets reason "
    "idempotency_key fingerprint data"
).split()


@dataclass(frozen=True)
class Outcome:
    """An accepted command: the event (on a replay, the first one) and the state after it."""

    event: Event
    state: DisputeState
    replayed: bool = False


def to_row(e: Event) -> dict[str, Any]:
    return {
        "id": e.id,
        "dispute": e.dispute,
        "version": e.version,
        "at": e.at.isoformat(timespec="microseconds"),
        "actor": str(e.actor),
        "role": e.role,
        "unit": str(e.unit) if e.unit else None,
        "scope": e.scope,
        "action": e.action,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "targets": json.dumps([str(t) for t in e.targets], ensure_ascii=False),
        "reason": e.reason,
        "idempotency_key": e.idempotency_key,
        "fingerprint": e.fingerprint,
        "data": json.dumps(dict(e.data), ensure_ascii=False, sort_keys=True),
    }


def from_row(row: Row) -> Event:
    return Event(
        dispute=row["dispute"],
        version=int(row["version"]),
        at=datetime.fromisoformat(row["at"]),
        actor=Ref.parse(row["actor"]),
        role=row["role"],
        unit=Ref.parse(row["unit"]) if row["unit"] else None,
        scope=row["scope"],
        action=row["action"],
        from_state=row["from_state"],
        to_state=row["to_state"],
        targets=tuple(Ref.parse(t) for t in json.loads(row["targets"])),
        reason=row["reason"],
        idempotency_key=row["idempotency_key"],
        fingerprint=row["fingerprint"],
        data=json.loads(row["data"]),
    )


_RETURN = " RETURN " + ", ".join("e." + c + " AS " + c for c in _COLUMNS)


class EventStore:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    # -- reading --------------------------------------------------------------------------

    def log(self, dispute: str) -> tuple[Event, ...]:
        """The dispute's events in order of version (empty when it has none)."""
        return _log(self.backend.read, dispute)

    def state(self, dispute: str) -> DisputeState | None:
        return replay(self.log(dispute))

    def logs(
        self, where: str = "", params: Params | None = None, keys: Sequence[str] | None = None
    ) -> dict[str, tuple[Event, ...]]:
        """Every dispute's log (the timers and the measures read them all), or those of the
        disputes `d` for which the condition `where` holds (a work queue's scope), of the
        disputes `keys` only when given: each looked up by key, then its log walked (`WHERE
        d.id IN $keys` would test every dispute against the whole list, and a MATCH of the
        tie after the keys scans every event: graph.places)."""
        where = " WHERE " + where if where else ""
        match = "MATCH (d:Dispute)-[:LOGGED]->(e:DisputeEvent)" + where
        if keys is not None:
            if not keys:
                return {}
            match = "UNWIND $keys AS k MATCH (d:Dispute {id: k})" + where
            match += " OPTIONAL MATCH (d)-[:LOGGED]->(e:DisputeEvent)"
            params = {**(params or {}), "keys": list(keys)}
        rows = self.backend.read(match + _RETURN + " ORDER BY dispute, version", params or {})
        out: dict[str, list[Event]] = {}
        for row in rows:
            if row["id"] is not None:  # a dispute with no log (keys)
                out.setdefault(row["dispute"], []).append(from_row(row))
        return {k: tuple(v) for k, v in out.items()}

    # -- acting ---------------------------------------------------------------------------

    def act(
        self, command: Command, facts: Facts, now: datetime, rules: Rules, calendar: Calendar
    ) -> Outcome | Refusal:
        """Decide `command` on the dispute's log as stored, and append the event: in one
        transaction that locks the Dispute first (`Backend.write_locked`), so writers of one
        dispute decide one after the other, each on the log the one before it left. It is
        decided and stamped at `now`, or at the latest event's time where that is later
        (`stamp`)."""

        at: list[datetime] = []  # the event's stamp, decided under the lock
        told: list[Reported] = []  # what a report wrote (`_told`)

        def work(read: Reader) -> tuple[list[Statement], Outcome | Refusal]:
            at.clear()
            told.clear()
            log = _log(read, command.dispute)
            seen = _replayed(log, command)
            if seen is not None:
                return [], seen
            state = replay(log)
            events_at = _events_stamp(self.backend)
            at.append(stamp(read, now, _LATEST.at(self.backend, events_at)))
            decision = decide(state, command, facts, at[0], rules, calendar)
            if isinstance(decision, Refusal):
                return [], decision
            after = apply(state or DisputeState(command.dispute), decision)
            if decision.action == "report" and events_at is not None:
                told.append(_told(read, decision, after))
            return statements(decision, after), Outcome(decision, after)

        def committed(version: int | None) -> None:
            """Under the lock, before a reader sees `version`: so a question that sees the
            new dispute finds it told (none told of a write that failed)."""
            if version is None:  # no version, no journal (Neo4j): nothing kept
                return
            _LATEST.keep(self.backend, version, at[0])  # the latest, stamped under the lock
            if told:
                reported(self.backend, told[0]._replace(version=version))

        try:
            return self.backend.write_locked("Dispute", command.dispute, work, committed)
        except ConstraintViolation:
            # Two reports of one new dispute: no node to lock yet, so the second one's
            # event (or Dispute) key fails on the uniqueness constraint, whole.
            log = self.log(command.dispute)
            seen = _replayed(log, command)
            if seen is not None:
                return seen
            if not log and command.action == "report":
                message = f"a dispute {command.dispute!r} exists already (loaded, with no log)"
                return Refusal((UserError(Problem.DISPUTE_EXISTS, message),))
            return Refusal(
                (
                    UserError(
                        Problem.STALE_VERSION,
                        f"another action made version {command.expected_version + 1} first: "
                        "read the dispute again and decide anew",
                        "expectedVersion",
                    ),
                )
            )


def stamp(read: Reader, now: datetime, latest: datetime | None = None) -> datetime:
    """`now`, or the time of the latest event stored if that is later: read under the write
    lock, so events are stamped in the order they commit wherever that lock orders every
    append (the embedded store's one writer; on Neo4j it orders one dispute's only,
    docs/neo4j.md). A work queue's poll takes the latest time as its cursor and asks for the
    events at or after it (`api.queue`); an event decided at an earlier `now` (its caller
    read the clock before the lock, a timer pass reads it once for all its firings) but
    committed after that poll would lie before the cursor, and no later poll would see it.
    `latest`, when known (`_Latest`), is that time without reading every event."""
    if now.tzinfo is None:  # decide refuses a naive `now`
        return now
    if latest is None:
        latest = latest_event(read)
        if latest is None:
            return now
    return max(now, latest if latest.tzinfo else latest.replace(tzinfo=CHINA_TIME))


def latest_event(read: Reader) -> datetime | None:
    """The time of the latest event stored (None when there is none): a read of every event."""
    rows = read("MATCH (e:DisputeEvent) RETURN max(e.at) AS at", {})
    return datetime.fromisoformat(rows[0]["at"]) if rows and rows[0]["at"] else None


def prime(backend: Backend) -> None:
    """Read the latest event's time ahead, as a server opens, and keep it as an append keeps
    it (`_Latest`): the first append's `stamp` then reads no event (on a city 40–90 ms under
    the write lock). Kept only where the backend stamps its writes and none changed the events
    while they were read."""
    before = _events_stamp(backend)
    if before is None:
        return
    latest = latest_event(backend.read)
    if latest is not None and _events_stamp(backend) == before:
        _LATEST.keep(backend, before, latest)


_EVENTS = frozenset({"DisputeEvent"})


def _events_stamp(backend: Backend) -> int | None:
    """The version at which the backend's events last changed, where it says so (the
    embedded store); else None."""
    stamp_of = getattr(backend, "stamp", None)  # none on Neo4j (graph.backend.Backend)
    return None if stamp_of is None else int(stamp_of(_EVENTS))


class _Latest:
    """The latest event's time on each backend, kept after an append with the events' stamp
    it left (or read ahead, `prime`), so that the next append's `stamp` does not read every
    event (a scan of the whole table: 16 ms on the demo's 120,000 events, 40–90 ms on a city's
    700,000, and it grows with the log). Kept by the append as it commits, under the write's
    lock (`Backend.write_locked`'s `committed`), with the version it ends at: any later write
    that changes the events (a load, another append) moves their stamp past it, and the next
    `stamp` reads them again."""

    def __init__(self) -> None:
        self._kept: weakref.WeakKeyDictionary[Backend, tuple[int, datetime]] = (
            weakref.WeakKeyDictionary()
        )

    def at(self, backend: Backend, events_at: int | None) -> datetime | None:
        kept = self._kept.get(backend) if events_at is not None else None
        return kept[1] if kept is not None and kept[0] == events_at else None

    def keep(self, backend: Backend, events_at: int, at: datetime) -> None:
        """`at` is the latest event's time while the events' stamp is `events_at`."""
        self._kept[backend] = (events_at, at)


_LATEST = _Latest()


def _log(read: Reader, dispute: str) -> tuple[Event, ...]:
    rows = read(
        "MATCH (d:Dispute {id: $dispute})-[:LOGGED]->(e:DisputeEvent)"
        + _RETURN
        + " ORDER BY version",
        {"dispute": dispute},
    )
    return tuple(from_row(r) for r in rows)


def _replayed(log: Sequence[Event], command: Command) -> Outcome | Refusal | None:
    """The first outcome of a request whose key this caller used before on this dispute."""
    for i, e in enumerate(log):
        if e.idempotency_key == command.idempotency_key and e.actor == command.caller.actor:
            if e.fingerprint != command.fingerprint():
                message = (
                    f"the idempotency key {command.idempotency_key!r} named another request "
                    f"(version {e.version}, {e.action}); use a new key for a new request"
                )
                return Refusal(
                    (UserError(Problem.IDEMPOTENCY_KEY_REUSED, message, "idempotencyKey"),)
                )
            state = replay(log[: i + 1])
            assert state is not None
            return Outcome(e, state, replayed=True)
    return None


# -- the write -------------------------------------------------------------------------------


def statements(e: Event, after: DisputeState) -> list[tuple[str, Params]]:
    """The event, its LOGGED tie and the Dispute's projection, for one transaction."""
    row = to_row(e)
    out: list[tuple[str, Params]] = []
    if e.action == "report":
        out += _report(e, after)
    out.append(
        (
            "CREATE (e:DisputeEvent {"
            + ", ".join(f"{c}: ${c}" for c in _COLUMNS)
            + ", source: $source})",
            {**row, "source": SOURCE},
        )
    )
    out.append(
        (
            "MATCH (d:Dispute {id: $dispute}), (e:DisputeEvent {id: $event}) "
            "CREATE (d)-[:LOGGED {rid: $rid, source: $source}]->(e)",
            {"dispute": e.dispute, "event": e.id, "rid": e.id, "source": SOURCE},
        )
    )
    if e.action != "report":  # a report creates the Dispute with its projection (`_report`)
        out.append((_PROJECT, projection(after)))
    return out


# The Dispute's properties that show its state (`projection`), set after every event but a
# report (which creates the Dispute with them).
_PROJECTED = ("status", "outcome", "settled_level", "settled_on", "warning", "satisfaction")
_PROJECT = "MATCH (d:Dispute {id: $id}) SET " + ", ".join(f"d.{k} = ${k}" for k in _PROJECTED)


def projection(s: DisputeState) -> dict[str, Any]:
    """What the Dispute node shows of the state: the properties the read side already uses."""
    settled = s.outcome == "settled" and s.closed_at is not None
    return {
        "id": s.id,
        "status": s.step,
        "outcome": s.outcome,
        "settled_level": s.settled_level,
        "settled_on": s.closed_at.date() if settled and s.closed_at else None,
        "warning": s.warning,
        "satisfaction": round(mean(r for _, r in s.ratings)) if s.ratings else None,
    }


def _tie(type_: str, a: Ref, b: Ref, props: dict[str, Any]) -> Statement:
    """A relationship from `a` to `b`, when both exist (the caller checked them). The labels
    and keys come from the schema (an unknown label is a KeyError), never from the text given."""
    ends = [SCHEMA.node(ref.kind) for ref in (a, b)]
    match = [
        "(" + v + ":" + ident(n.label) + " {" + ident(n.key) + ": $" + v + "})"
        for v, n in zip("ab", ends, strict=True)
    ]
    sets = "".join(", " + ident(k) + ": $" + ident(k) for k in props)
    rid = relationship_id(type_, a.kind, b.kind, {"from": a.id, "to": b.id, **props})
    return (
        "MATCH "
        + ", ".join(match)
        + " CREATE (a)-[:"
        + ident(SCHEMA.rel(type_).type)
        + " {rid: $rid, source: $source"
        + sets
        + "}]->(b)",
        {"a": a.id, "b": b.id, "rid": rid, "source": SOURCE, **props},
    )


def _report(e: Event, s: DisputeState) -> list[tuple[str, Params]]:
    """The Dispute created with its projection (no SET: the embedded store checkpoints after
    so many statements that SET, graph/embedded.py), its ties, its reporter's."""
    return [
        (
            "CREATE (d:Dispute {id: $id, title: $title, reported_on: $reported_on, "
            "channel: $channel, parties: $parties, source: $source, "
            + ", ".join(f"{k}: ${k}" for k in _PROJECTED)
            + "})",
            _dispute(e, s),
        ),
        *(_tie(*tie) for tie in _report_ties(e)),
    ]


def _dispute(e: Event, s: DisputeState) -> dict[str, Any]:
    """The properties a report creates its Dispute with."""
    data = e.data
    return {
        **projection(s),
        "id": e.dispute,
        "title": data["title"],
        "reported_on": e.at.date(),
        "channel": data["channel"],
        "parties": data["parties"] or None,
        "source": SOURCE,
    }


def _report_ties(e: Event) -> list[tuple[str, Ref, Ref, dict[str, Any]]]:
    """The ties a report writes (each made only where both its ends exist, `_tie`)."""
    data = e.data
    dispute = Ref("Dispute", e.dispute)
    out: list[tuple[str, Ref, Ref, dict[str, Any]]] = [
        ("OCCURRED_IN", dispute, Ref("Grid", data["place"]), {})
    ]
    if data.get("category"):
        out.append(("IN_DOMAIN", dispute, Ref("Domain", data["category"]), {}))
    if data.get("list_item"):
        out.append(("CLASSIFIED_AS", dispute, Ref("ListItem", data["list_item"]), {}))
    for party in _parties(data.get("party_ids", ())):
        out.append(("PARTY_TO", party, dispute, {}))
    reporter = e.actor if e.actor.kind == "Person" else e.unit
    if reporter is not None and reporter.kind in ("Person", "Department"):
        out.append(("REPORTED", reporter, dispute, {"on_date": e.at.date()}))
    return out


def _told(read: Reader, e: Event, s: DisputeState) -> Reported:
    """What the report `e` writes, told to the read model's catch-up
    (`queries.dispute_fields.reported`) so that it reads none of it: the Dispute's list
    fields and its ties but the reporter's, with the names of their starts, each only where
    both its ends are in the store (read here, under the write's lock, by key: what a
    `_tie` matches). The new Dispute itself is not yet: every tie's other end is."""
    ties = [t for t in _report_ties(e) if t[0] != "REPORTED"]
    ends = {ref for _, a, b, _ in ties for ref in (a, b) if ref.kind != "Dispute"}
    kinds = sorted({ref.kind for ref in ends})
    branches = []
    for i, kind in enumerate(kinds):
        node = SCHEMA.node(kind)
        name = "n.name" if any(p.name == "name" for p in node.properties) else "NULL"
        branches.append(
            f"UNWIND $k{i} AS k MATCH (n:{ident(kind)} {{{ident(node.key)}: k}}) "
            f"RETURN {i} AS branch, n.{ident(node.key)} AS key, CAST({name} AS STRING) AS name"
        )
    params = {f"k{i}": sorted(r.id for r in ends if r.kind == kind) for i, kind in enumerate(kinds)}
    rows = read(" UNION ALL ".join(branches), params) if branches else []
    found = {Ref(kinds[r["branch"]], r["key"]): r["name"] for r in rows}
    found[Ref("Dispute", e.dispute)] = None
    fields = _dispute(e, s)
    return Reported(
        0,
        e.dispute,
        {"id": e.dispute, **{f: fields[f] for f in FIELDS}},
        tuple(
            (t, a.kind, a.id, found[a], b.kind, b.id, props)
            for t, a, b, props in ties
            if a in found and b in found
        ),
    )


def _parties(ids: Iterable[str]) -> list[Ref]:
    refs = [Ref.parse(i) for i in ids]
    return [r for r in refs if r.kind in ("Person", "Organisation")]
