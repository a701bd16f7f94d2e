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
worker's grid and its micro-grids, everything for an admin or a caller with neither.

The cursor for `queue_changes` is the time of the latest event (ISO 8601, China time, so it
sorts as text): the disputes with an event at or after it are answered again, and those that
closed since are `removed`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from api.acting import now_in_china, rules_for
from api.auth import Caller as ApiCaller
from api.auth import Role
from api.graphql.within import within as within_condition
from graph.backend import Backend
from workflow.clocks import Clock, clocks
from workflow.model import Ref
from workflow.state import DisputeState, replay
from workflow.store import EventStore

VIEWS = ("MINE", "UNIT", "CLAIMABLE", "APPROACHING", "OVERDUE", "ALL")


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


def _scope(caller: ApiCaller, within: str | None) -> tuple[str, dict[str, Any]]:
    """A condition on `d` and its parameters: the disputes in the queue's scope."""
    prefix = within or (caller.scope if caller.role is Role.MEDIATOR else None)
    if prefix:
        return within_condition("Dispute", "d", "within"), {"within": prefix}
    unit = Ref.parse(caller.unit) if caller.unit else None
    if unit is not None and unit.kind == "Grid" and caller.role is not Role.ADMIN:
        return (
            "EXISTS { MATCH (d)-[:OCCURRED_IN]->(g:Grid) WHERE g.id = $grid OR "
            "EXISTS { MATCH (g)-[:PART_OF]->(:Grid {id: $grid}) } }",
            {"grid": unit.id},
        )
    return "", {}


def rows_of(backend: Backend, states: Iterable[DisputeState], now: datetime) -> list[QueueRow]:
    calendars: dict[str | None, Any] = {}
    out = []
    for s in states:
        grid = s.report.get("place")
        if grid not in calendars:
            calendars[grid] = rules_for(backend, grid)
        rules, calendar = calendars[grid]
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
    backend: Backend, caller: ApiCaller, within: str | None, extra: str = "", **params: Any
) -> list[DisputeState]:
    where, scope = _scope(caller, within)
    where = " AND ".join(w for w in (where, extra) if w)
    logs = EventStore(backend).logs(where, {**scope, **params})
    return [s for log in logs.values() if (s := replay(log)) is not None and s.state != "closed"]


def work_queue(
    backend: Backend,
    caller: ApiCaller,
    view: str,
    within: str | None = None,
    now: datetime | None = None,
) -> list[QueueRow]:
    """The caller's queue in `view`, least time left first, then report time and id."""
    if view not in VIEWS:
        raise ValueError(f"view is one of {', '.join(VIEWS)}, not {view!r}")
    now = now or now_in_china()
    rows = rows_of(backend, _open_states(backend, caller, within), now)
    return sorted((r for r in rows if _in_view(r, view, caller)), key=_order)


def cursor(backend: Backend) -> str:
    """The time of the latest event: the cursor `queue_changes` takes."""
    rows = backend.read("MATCH (e:DisputeEvent) RETURN max(e.at) AS at")
    return str(rows[0]["at"] or "") if rows else ""


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
    mark = cursor(backend)
    where, scope = _scope(caller, within)
    changed = backend.read(
        "MATCH (d:Dispute)-[:LOGGED]->(e:DisputeEvent) WHERE e.at >= $since"
        + (" AND " + where if where else "")
        + " RETURN DISTINCT d.id AS id",
        {"since": since, **scope},
    )
    ids = [r["id"] for r in changed]
    if not ids:
        return [], [], mark
    states = _open_states(backend, caller, within, "d.id IN $ids", ids=ids)
    still = {s.id for s in states}
    rows = sorted(rows_of(backend, states, now), key=_order)
    return rows, sorted(i for i in ids if i not in still), mark
