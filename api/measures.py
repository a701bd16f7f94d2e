"""The workflow's figures for a dashboard: bounce rate (踢皮球), whistle rate (吹哨), on-time rate
and the share settled at each level, per area (grid, village, town or county) and per
department, over the disputes reported in a period; the open disputes now with their clocks
(open, approaching, overdue, paused) per area and per holder; and the repeat visitors.

    figures = workflow_measures(backend, caller, level="town", within=None, start=…, end=…)

Computed from the logs (`workflow.measures`) of the disputes in scope (as the work queue's:
`within`, else the caller's), each with its county's calendar. A grid is an area of its own;
a village, town or county is the unit whose division code the grid's unit code starts with
(the 12-digit statistical code: town 9 digits, county 6). No personal data: areas and
departments are named by their own names. A department's whistle rate is the share of the
period's disputes that summoned it. The open disputes are those open now, whatever the period
(the work queue's `ALL`, clocks at `now`). Repeat visitors are the people party to at least
`visits` disputes in scope reported in the period (the warning grading's count of visits,
`queries/rules.toml` [warnings]), most first; they are people, so GraphQL names them as the
caller may see them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from api.acting import now_in_china, rules_by_grid
from api.auth import Caller as ApiCaller
from api.queue import rows_of, scope_of
from graph.backend import Backend
from graph.places import units_of
from workflow.measures import AreaMeasures, DisputeMeasures, UnitMeasures, by_area, by_unit
from workflow.measures import measure as measure_log
from workflow.model import Ref
from workflow.state import replay
from workflow.store import EventStore

LEVELS = {"grid": 0, "village": 12, "town": 9, "county": 6}  # digits of a code that name it
REPEAT_VISITORS = 50  # the most repeat visitors answered, most disputes first


@dataclass
class OpenCounts:
    """Open disputes by the state of their governing clock (the one with least time left)."""

    open: int = 0
    approaching: int = 0
    overdue: int = 0
    paused: int = 0


@dataclass(frozen=True)
class Figures:
    disputes: int
    by_area: dict[Ref, AreaMeasures]  # a Grid or a Unit (by its code)
    by_department: dict[Ref, UnitMeasures]
    whistled_share: dict[Ref, float | None]  # per department: share of the disputes summoning it
    open_by_area: dict[Ref, OpenCounts]
    open_by_holder: dict[Ref, OpenCounts]
    repeat_visitors: list[tuple[Ref, int]]  # a Person, and the disputes they were party to


def workflow_measures(
    backend: Backend,
    caller: ApiCaller,
    *,
    level: str = "town",
    within: str | None = None,
    start: date | None = None,
    end: date | None = None,
    now: datetime | None = None,
    visits: int = 2,
) -> Figures:
    """The figures of the disputes in scope reported from `start` to `end` (both included),
    and of those open at `now`."""
    if level not in LEVELS:
        raise ValueError(f"level: one of {', '.join(LEVELS)}, not {level!r}")
    if start and end and start > end:
        raise ValueError(f"from: {start} is after to ({end})")
    if visits < 2:
        raise ValueError(f"visits: a repeat visitor brings at least 2 disputes, not {visits}")
    now = now or now_in_china()
    where, params = scope_of(caller, within)
    logs = EventStore(backend).logs(where, params)
    measured: list[DisputeMeasures] = []
    open_states = []
    rules = rules_by_grid(backend, (log[0].data.get("place") for log in logs.values()))
    for log in logs.values():
        day = log[0].at.date()
        if (start and day < start) or (end and day > end):
            state = replay(log)
        else:  # measuring replays the log: its state is the one it ends in
            measured.append(measure_log(log, now, rules[log[0].data.get("place")][1]))
            state = measured[-1].state
        if state is not None and state.state != "closed":
            open_states.append(state)
    open_rows = rows_of(backend, open_states, now, rules)
    grids = {m.place for m in measured} | {r.state.report.get("place") for r in open_rows}
    units = units_of(backend.read, {g for g in grids if g})
    digits = LEVELS[level]

    def area_of_place(place: str | None) -> str | None:
        if place is None:
            return None
        if not digits:
            return f"Grid:{place}"
        code = units.get(place)
        return f"Unit:{code[:digits].ljust(12, '0')}" if code else None

    areas = {
        Ref.parse(k): v for k, v in by_area(measured, lambda m: area_of_place(m.place)).items()
    }
    departments = {u: f for u, f in by_unit(measured).items() if u.kind == "Department"}
    whistled = {
        u: (f.summoned / len(measured) if measured else None) for u, f in departments.items()
    }
    open_by_area: dict[Ref, OpenCounts] = {}
    open_by_holder: dict[Ref, OpenCounts] = {}
    for row in open_rows:
        area = area_of_place(row.state.report.get("place"))
        for key, counts in (
            (Ref.parse(area) if area else None, open_by_area),
            (row.state.holder, open_by_holder),
        ):
            if key is not None:
                _count(
                    counts.setdefault(key, OpenCounts()), row.clock.status if row.clock else None
                )
    return Figures(
        disputes=len(measured),
        by_area=areas,
        by_department=departments,
        whistled_share=whistled,
        open_by_area=_worst_first(open_by_area),
        open_by_holder=_worst_first(open_by_holder),
        repeat_visitors=_repeat_visitors(backend, caller, within, start, end, visits),
    )


def _count(counts: OpenCounts, status: str | None) -> None:
    counts.open += 1
    if status == "approaching":
        counts.approaching += 1
    elif status == "breached":
        counts.overdue += 1
    elif status == "paused":
        counts.paused += 1


def _worst_first(counts: dict[Ref, OpenCounts]) -> dict[Ref, OpenCounts]:
    """Most overdue first, then most approaching, most open, and by key."""
    order = sorted(
        counts.items(), key=lambda kv: (-kv[1].overdue, -kv[1].approaching, -kv[1].open, str(kv[0]))
    )
    return dict(order)


def _repeat_visitors(
    backend: Backend,
    caller: ApiCaller,
    within: str | None,
    start: date | None,
    end: date | None,
    visits: int,
) -> list[tuple[Ref, int]]:
    """The people party to at least `visits` disputes in scope reported in the period (every
    dispute the graph holds, with a workflow log or loaded as history)."""
    where, params = scope_of(caller, within)
    conditions = [where] if where else []
    params = {**params, "visits": visits, "limit": REPEAT_VISITORS}
    if start:
        conditions.append("d.reported_on >= $first_day")
        params["first_day"] = start
    if end:
        conditions.append("d.reported_on <= $last_day")
        params["last_day"] = end
    rows = backend.read(
        "MATCH (p:Person)-[:PARTY_TO]->(d:Dispute)"
        + (" WHERE " + " AND ".join(conditions) if conditions else "")
        + " WITH p, count(DISTINCT d) AS n WHERE n >= $visits"
        " RETURN p.id AS person, n ORDER BY n DESC, person LIMIT $limit",
        params,
    )
    return [(Ref("Person", r["person"]), r["n"]) for r in rows]
