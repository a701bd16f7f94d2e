"""Work queues: the open disputes a caller works on, least working time left first.

    rows = work_queue(backend, caller, view, within=None, now=None)
    changed, removed, cursor = queue_changes(backend, caller, since, within=None)

A row is a dispute with a log that is not closed, with its state, version, holder, risk colour
and its governing clock: of the open steps' clocks, the one with least time left (remaining
minus overdue, counted in the clock's own unit: working time for working days). Clocks are
computed from the log now (`workflow.clocks`), never stored. Views:

- MINE: held by the caller (an expert or mediator who claimed it, or was picked);
- UNIT: held by the unit the caller acts for, or the unit was summoned by a whistle;
- CLAIMABLE: open to claims (抢单);
- APPROACHING, OVERDUE: the governing clock is approaching its due time, or past it;
- ALL: every open dispute in scope.

The scope is `within` (a division prefix), else the caller's: a mediator's scope, a grid
worker's grid and the grids inside it (at any depth), everything for an admin or a caller
with neither.

Filters (`Filters`) narrow any view: the states, risk colours, domain (a code or its Chinese
name) and kind, and a search that matches, ignoring case, a dispute's id or title, a party's
name, ID number or mobile, the grid's name or the holder's, each as the caller may see it (a
viewer searching a mobile finds it only by the digits that are shown). `queue_page` pages a
view (`first`, `after` a row's cursor, which names the row and its place in the order: the
next page starts after that row where it stands now, or where it stood if it left the view)
and counts each view under the same filters.

The cursor for `queue_changes` is the time of the latest event (ISO 8601, China time, so it
sorts as text): the disputes in scope with an event at or after it are answered again, and
those that closed since are `removed`. At, not only after: an event logged later at the
cursor's very instant is not lost (the disputes of the latest events are answered again by the
next poll). Nor is one whose writer read the clock before a later event was logged: the store
stamps it no earlier than the latest event stored (`workflow.store.stamp`), so no event
committed after a poll read the cursor lies before it. No dispute's latest event time is
stored (the Dispute node shows its state, not when it last moved), and there is no index on
an event's time: a poll that reads the log reads every event's time, twice (on a city's
700,000 events some 80 ms). So where the backend tells its writes (the embedded store) the
polls keep what they read (`_Recent`): the latest time and, for each dispute whose latest
event is at or after a floor, that time; a later poll brings it current by reading, by key,
only the disputes the writes since were about (an append is about its dispute), and reads
every event again only when a write was about no named dispute (a load), or the cursor asked
is older than the floor. The changed disputes are then tested for the scope (`_in_scope`)
and their logs read, by key.
"""

from __future__ import annotations

import base64
import json
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from api.acting import names, now_in_china, rules_by_grid
from api.auth import Caller as ApiCaller
from api.auth import Role
from api.graphql.within import within as within_condition
from api.privacy import PERSONAL, reveal_read
from graph.backend import Backend, writes_changing
from graph.places import DEEPEST
from queries import read_model
from queries.calendar import Calendar
from queries.flow_rules import KINDS, STATES
from queries.rules import Rules
from workflow.clocks import Clock, clocks
from workflow.model import Ref
from workflow.state import DisputeState, replay
from workflow.store import EventStore

VIEWS = ("MINE", "UNIT", "CLAIMABLE", "APPROACHING", "OVERDUE", "ALL")
_FOREVER = timedelta(days=36500)  # the time left of a row with no clock, in a cursor


@dataclass(frozen=True)
class Filters:
    """What narrows a queue: each given filter must hold (an empty one holds always)."""

    search: str | None = None
    states: frozenset[str] = field(default_factory=frozenset)
    warnings: frozenset[str] = field(default_factory=frozenset)
    domain: str | None = None
    kind: str | None = None

    def check(self) -> None:
        """A `ValueError` that names a state or kind no dispute can have."""
        for name, given, known in (("states", self.states, STATES), ("kind", {self.kind}, KINDS)):
            wrong = sorted(v for v in given if v is not None and v not in known)
            if wrong:
                raise ValueError(f"{name}: {', '.join(wrong)} is not one of {', '.join(known)}")


@dataclass(frozen=True)
class QueueRow:
    state: DisputeState
    clock: Clock | None
    clocks: tuple[Clock, ...]

    @property
    def left(self) -> timedelta:
        """Time left on the governing clock (negative once it is overdue)."""
        if self.clock is None:
            return timedelta.max
        return self.clock.remaining - self.clock.overdue


def scope_of(caller: ApiCaller, within: str | None) -> tuple[str, dict[str, Any]]:
    """A condition on `d` and its parameters: the disputes in the queue's scope."""
    prefix = within or (caller.scope if caller.role is Role.MEDIATOR else None)
    if prefix:
        return within_condition("Dispute", "d", "within"), {"within": prefix}
    unit = Ref.parse(caller.unit) if caller.unit else None
    if unit is not None and unit.kind == "Grid" and caller.role is not Role.ADMIN:
        return (
            "EXISTS { MATCH (d)-[:OCCURRED_IN]->(g:Grid) WHERE g.id = $grid OR "
            "EXISTS { MATCH (g)-[:PART_OF*1.." + str(DEEPEST) + "]->(:Grid {id: $grid}) } }",
            {"grid": unit.id},
        )
    return "", {}


def rows_of(
    backend: Backend,
    states: Iterable[DisputeState],
    now: datetime,
    rules_of: Mapping[str | None, tuple[Rules, Calendar]] | None = None,
) -> list[QueueRow]:
    """Each dispute with its clocks, under the rules of its county (`rules_of` by grid, where
    the caller has them)."""
    states = list(states)
    if rules_of is None:
        rules_of = rules_by_grid(backend, (s.report.get("place") for s in states))
    out = []
    for s in states:
        rules, calendar = rules_of[s.report.get("place")]
        found = clocks(s, now, rules, calendar)
        governing = min(found, key=lambda c: c.remaining - c.overdue, default=None)
        out.append(QueueRow(s, governing, found))
    return out


def _in_view(row: QueueRow, view: str, caller: ApiCaller) -> bool:
    s = row.state
    if view == "ALL":
        return True
    if view == "MINE":
        return caller.person is not None and s.holder == Ref("Person", caller.person)
    if view == "UNIT":
        unit = Ref.parse(caller.unit) if caller.unit else None
        return unit is not None and (s.holder == unit or unit in s.summoned)
    if view == "CLAIMABLE":
        return s.state == "open"
    status = row.clock.status if row.clock else None
    return status == {"APPROACHING": "approaching", "OVERDUE": "breached"}.get(view)


def _order(row: QueueRow) -> tuple[Any, ...]:
    reported = row.state.reported_at.isoformat() if row.state.reported_at else ""
    return (row.left, reported, row.state.id)


def _open_states(
    backend: Backend, caller: ApiCaller, within: str | None, keys: Sequence[str] | None = None
) -> list[DisputeState]:
    """The open disputes in scope; given `keys`, those of them, which are in scope already."""
    where, scope = scope_of(caller, within) if keys is None else ("", {})
    # Only disputes whose node shows no outcome: the store keeps the node as its log's replay
    # (`workflow.store.projection`), and reading every closed dispute's log too took seconds.
    # The replay below stays the judge of what is open.
    where = " AND ".join(w for w in ("d.outcome IS NULL", where) if w)
    logs = EventStore(backend).logs(where, scope, keys)
    return [s for log in logs.values() if (s := replay(log)) is not None and s.state != "closed"]


def _sorted_open(
    backend: Backend, caller: ApiCaller, within: str | None, filters: Filters, now: datetime
) -> list[QueueRow]:
    """Every open dispute in scope that passes `filters`, least time left first."""
    filters.check()
    rows = rows_of(backend, _open_states(backend, caller, within), now)
    return sorted(_filtered(backend, caller, rows, filters), key=_order)


def work_queue(
    backend: Backend,
    caller: ApiCaller,
    view: str,
    within: str | None = None,
    now: datetime | None = None,
    filters: Filters | None = None,
) -> list[QueueRow]:
    """The caller's queue in `view`, least time left first, then report time and id."""
    if view not in VIEWS:
        raise ValueError(f"view is one of {', '.join(VIEWS)}, not {view!r}")
    rows = _sorted_open(backend, caller, within, filters or Filters(), now or now_in_china())
    return [r for r in rows if _in_view(r, view, caller)]


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]  # the page
    total: int  # rows in the view
    counts: dict[str, int]  # rows in each view, under the same filters
    end_cursor: str | None
    has_next: bool


def queue_page(
    backend: Backend,
    caller: ApiCaller,
    view: str,
    *,
    within: str | None = None,
    filters: Filters | None = None,
    first: int = 50,
    after: str | None = None,
    now: datetime | None = None,
) -> QueuePage:
    """One page of the caller's queue in `view`, after the row the cursor `after` names."""
    if view not in VIEWS:
        raise ValueError(f"view is one of {', '.join(VIEWS)}, not {view!r}")
    rows = _sorted_open(backend, caller, within, filters or Filters(), now or now_in_china())
    counts = {v: sum(1 for r in rows if _in_view(r, v, caller)) for v in VIEWS}
    viewed = [r for r in rows if _in_view(r, view, caller)]
    start = 0
    if after:
        mark = _decode(after)
        # After that row where it stands now (time left moves on between two requests); if it
        # has left the view, after where it stood.
        at = next((i for i, r in enumerate(viewed) if r.state.id == mark[2]), None)
        start = (
            at + 1
            if at is not None
            else next((i for i, r in enumerate(viewed) if _place(r) > mark), len(viewed))
        )
    page = viewed[start : start + first]
    end = row_cursor(page[-1]) if page else None
    return QueuePage(page, len(viewed), counts, end, start + len(page) < len(viewed))


def _place(row: QueueRow) -> tuple[float, str, str]:
    """The row's place in the order, as a cursor keeps it."""
    left = min(row.left, _FOREVER)
    reported = row.state.reported_at.isoformat() if row.state.reported_at else ""
    return (left.total_seconds(), reported, row.state.id)


def row_cursor(row: QueueRow) -> str:
    text = json.dumps(_place(row), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode()


def _decode(cursor: str) -> tuple[float, str, str]:
    try:
        left, reported, key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return (float(left), str(reported), str(key))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"after: {cursor!r} is not a cursor this queue gave") from exc


# -- filters and search ---------------------------------------------------------------------


def _domain_code(backend: Backend, domain: str) -> str:
    found = backend.read(
        "MATCH (d:Domain) WHERE d.code = $c OR d.name = $c RETURN d.code AS code", {"c": domain}
    )
    if not found:
        raise ValueError(f"domain: no domain {domain!r}; give a code or its Chinese name")
    return str(found[0]["code"])


def _filtered(
    backend: Backend, caller: ApiCaller, rows: Sequence[QueueRow], f: Filters
) -> list[QueueRow]:
    domain = _domain_code(backend, f.domain) if f.domain else None
    out = [
        r
        for r in rows
        if (not f.states or r.state.state in f.states)
        and (not f.warnings or r.state.warning in f.warnings)
        and (domain is None or r.state.report.get("category") == domain)
        and (f.kind is None or r.state.kind == f.kind)
    ]
    text = (f.search or "").strip().casefold()
    if not text:
        return out
    seen = _searchable(backend, caller, out)
    return [r for r in out if any(text in t.casefold() for t in seen.get(r.state.id, ()))]


def _searchable(
    backend: Backend, caller: ApiCaller, rows: Sequence[QueueRow]
) -> dict[str, list[str]]:
    """Per dispute, the texts a search matches, each as the caller may see it."""
    ids = [r.state.id for r in rows]
    out: dict[str, list[str]] = {i: [i] for i in ids}
    disputes = backend.read(
        "UNWIND $ids AS k MATCH (d:Dispute {id: k}) RETURN d.id AS id, d.title AS title",
        {"ids": ids},
    )
    for d in reveal_read(backend, caller, "Dispute", disputes):
        out[d["id"]].append(str(d["title"] or ""))
    parties = backend.read(
        "UNWIND $ids AS k MATCH (d:Dispute {id: k}) OPTIONAL MATCH (p:Person)-[:PARTY_TO]->(d) "
        "RETURN d.id AS dispute, p.id AS id, p.name AS name, p.id_number AS id_number, "
        "p.mobile AS mobile",
        {"ids": ids},
    )
    parties = [p for p in parties if p["id"] is not None]  # a dispute with none: nulls
    for p in reveal_read(backend, caller, "Person", parties):
        out[p["dispute"]] += [str(p[k]) for k in ("name", "id_number", "mobile") if p[k]]
    places = {r.state.id: r.state.report.get("place") for r in rows}
    holders = {r.state.id: r.state.holder for r in rows if r.state.holder}
    # A holder is searched by a unit's name; a person holding it is not (a person's name is
    # searched as a party's).
    units = [h for h in holders.values() if h.kind not in PERSONAL]
    named = names(backend, caller, [*(Ref("Grid", str(g)) for g in places.values() if g), *units])
    for dispute, grid in places.items():
        out[dispute].append(named.get(Ref("Grid", str(grid)), ""))
    for dispute, holder in holders.items():
        out[dispute].append(named.get(holder, ""))
    return out


def _in_scope(
    backend: Backend, caller: ApiCaller, within: str | None, keys: list[str]
) -> list[str]:
    """Those of the disputes `keys` in the queue's scope (`scope_of`), each tested by key. A
    division prefix is tested on the units above the dispute's grids as the read model holds
    them, where one is current (the Cypher's walk up costs LadybugDB 60–100 ms)."""
    where, scope = scope_of(caller, within)
    if not where or not keys:
        return keys
    prefix = scope.get("within")
    if prefix is not None:
        places = backend.read(
            "UNWIND $keys AS k MATCH (d:Dispute {id: k}) "
            "OPTIONAL MATCH (d)-[:OCCURRED_IN]->(g:Grid) RETURN d.id AS id, g.id AS grid",
            {"keys": keys},
        )
        places = [r for r in places if r["grid"] is not None]  # placed nowhere: nulls
        above = read_model.units_above(backend, {r["grid"] for r in places})
        if above is not None:
            inside = {
                r["id"] for r in places if any(c.startswith(prefix) for c in above[r["grid"]])
            }
            return [k for k in keys if k in inside]
    found = backend.read(
        "UNWIND $keys AS k MATCH (d:Dispute {id: k}) WHERE " + where + " RETURN d.id AS id",
        {"keys": keys, **scope},
    )
    return [r["id"] for r in found]


# What a poll reads: the events, their ties and the disputes they are logged by.
_READS = frozenset({"Dispute", "LOGGED", "DisputeEvent"})


@dataclass(frozen=True)
class _Seen:
    """What the log held while the stamp of `_READS` was `stamp`: the latest event's time as
    stored (`cursor`'s "" when there is none) and each dispute whose latest logged event is at
    or after `floor`, with that event's time."""

    stamp: int
    latest: str
    floor: str
    recent: Mapping[str, str]

    def since(self, since: str) -> list[str]:
        """The disputes with an event at or after `since` (no earlier than the floor)."""
        return [d for d, at in self.recent.items() if at >= since]


class _Recent:
    """Per backend, what the last poll saw (`_Seen`), kept from a poll that read every event
    while no write changed them, and brought current by later polls: the writes since (the
    backend's journal, `writes_changing`) name the disputes they were about, whose latest
    events are read by key. A write about no named dispute, or one that took a dispute's
    latest event away (the latest time may have gone with it), and the next poll reads every
    event again."""

    def __init__(self) -> None:
        self._kept: weakref.WeakKeyDictionary[Backend, _Seen] = weakref.WeakKeyDictionary()

    def current(self, backend: Backend) -> _Seen | None:
        now = _stamp(backend)
        kept = self._kept.get(backend) if now is not None else None
        if now is None or kept is None:
            return None
        if now == kept.stamp:
            return kept
        writes = writes_changing(backend, kept.stamp, now, _READS)
        if writes is None or any(w.about is None or w.about[0] != "Dispute" for w in writes):
            return None
        keys = sorted({k for w in writes for k in (w.about[1] if w.about else ())})
        rows = backend.read(
            # the tie walked after the key (a MATCH of it scans every event: `EventStore.logs`)
            "UNWIND $keys AS k MATCH (d:Dispute {id: k}) "
            "OPTIONAL MATCH (d)-[:LOGGED]->(e:DisputeEvent) RETURN d.id AS id, max(e.at) AS at",
            {"keys": keys},
        )
        # A write that ended meanwhile may be in these reads and not in the journal read: one
        # about another dispute, stamped before an event read here, would be missed.
        if _stamp(backend) != now:
            return None
        found = {r["id"]: str(r["at"]) for r in rows if r["at"] is not None}
        recent = dict(kept.recent)
        for key in keys:
            at, before = found.get(key), kept.recent.get(key)
            if before is not None and (at is None or at < before):
                return None
            if at is not None and at >= kept.floor:
                recent[key] = at
        seen = _Seen(now, max([kept.latest, *found.values()]), kept.floor, recent)
        self.keep(backend, seen)
        return seen

    def scanned(
        self,
        backend: Backend,
        before: int | None,
        since: str,
        latest: str,
        rows: Sequence[Mapping[str, Any]],
    ) -> None:
        """A poll read the latest time and each dispute's latest event at or after `since`
        (`rows`) while the stamp of `_READS` stayed `before`: kept with the latest as floor."""
        if before is None or _stamp(backend) != before or since > latest:
            return
        recent = {r["id"]: str(r["at"]) for r in rows if str(r["at"]) >= latest}
        self.keep(backend, _Seen(before, max([latest, *recent.values()]), latest, recent))

    def keep(self, backend: Backend, seen: _Seen) -> None:
        kept = self._kept.get(backend)
        if kept is None or kept.stamp <= seen.stamp:  # a slower poll keeps no older one
            self._kept[backend] = seen


_RECENT = _Recent()


def _stamp(backend: Backend) -> int | None:
    """The version at which what a poll reads last changed, where the backend says (else None)."""
    stamp_of = getattr(backend, "stamp", None)
    return int(stamp_of(_READS)) if stamp_of is not None else None


def _latest(backend: Backend) -> str:
    """The time of the latest event as stored, read from every event."""
    rows = backend.read("MATCH (e:DisputeEvent) RETURN max(e.at) AS at")
    return str(rows[0]["at"] or "") if rows else ""


def cursor(backend: Backend) -> str:
    """The time of the latest event ("" when there is none): the cursor `queue_changes` takes.
    With nothing kept, the disputes at that time are read too and kept, so that neither the
    next cursor nor a poll from it reads every event again."""
    seen = _RECENT.current(backend)
    if seen is not None:
        return seen.latest
    if _stamp(backend) is None:  # nothing would be kept (Neo4j): the latest time alone
        return _latest(backend)
    return _scan(backend, None)[1]


def _changed_since(backend: Backend, since: str) -> tuple[list[str], str]:
    """The disputes with an event at or after `since`, and the cursor, read before them."""
    seen = _RECENT.current(backend)
    if seen is not None and since >= seen.floor:
        return seen.since(since), seen.latest
    return _scan(backend, since)


def _scan(backend: Backend, since: str | None) -> tuple[list[str], str]:
    """Every event read: the disputes with one at or after `since` (the latest time when
    None), and the cursor, read before them. Kept if no write changed the events meanwhile."""
    before = _stamp(backend)
    # The cursor first: an event logged between the two reads is in the second (and answered
    # again by the next poll), never in neither.
    mark = _latest(backend)
    since = mark if since is None else since
    found = backend.read(
        "MATCH (d:Dispute)-[:LOGGED]->(e:DisputeEvent) WHERE e.at >= $since "
        "RETURN d.id AS id, max(e.at) AS at",
        {"since": since},
    )
    _RECENT.scanned(backend, before, since, mark, found)
    return [r["id"] for r in found], mark


def queue_changes(
    backend: Backend,
    caller: ApiCaller,
    since: str,
    within: str | None = None,
    now: datetime | None = None,
) -> tuple[list[QueueRow], list[str], str]:
    """The open disputes in scope with an event at or after `since`, least time left first;
    the ids of those that closed; the new cursor."""
    now = now or now_in_china()
    found, mark = _changed_since(backend, since)
    changed = _in_scope(backend, caller, within, found)
    if not changed:
        return [], [], mark
    states = _open_states(backend, caller, within, changed)
    still = {s.id for s in states}
    rows = sorted(rows_of(backend, states, now), key=_order)
    return rows, sorted(i for i in changed if i not in still), mark
