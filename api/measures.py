"""The workflow's figures for a dashboard: bounce rate (踢皮球), whistle rate (吹哨), on-time rate
and the share settled at each level, per area (grid, village, town or county) and per
department, over the disputes reported in a period.

    figures = workflow_measures(backend, caller, level="town", within=None, start=…, end=…)

Computed from the logs (`workflow.measures`) of the disputes in scope (as the work queue's:
`within`, else the caller's), each with its county's calendar. A grid is an area of its own;
a village, town or county is the unit whose division code the grid's unit code starts with
(the 12-digit statistical code: town 9 digits, county 6). No personal data: areas and
departments are named by their own names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from api.acting import now_in_china, rules_for
from api.auth import Caller as ApiCaller
from api.queue import scope_of
from graph.backend import Backend
from workflow.measures import AreaMeasures, DisputeMeasures, UnitMeasures, by_area, by_unit
from workflow.measures import measure as measure_log
from workflow.model import Ref
from workflow.store import EventStore

LEVELS = {"grid": 0, "village": 12, "town": 9, "county": 6}  # digits of a code that name it


@dataclass(frozen=True)
class Figures:
    disputes: int
    by_area: dict[Ref, AreaMeasures]  # a Grid or a Unit (by its code)
    by_department: dict[Ref, UnitMeasures]


def workflow_measures(
    backend: Backend,
    caller: ApiCaller,
    *,
    level: str = "town",
    within: str | None = None,
    start: date | None = None,
    end: date | None = None,
    now: datetime | None = None,
) -> Figures:
    """The figures of the disputes in scope reported from `start` to `end` (both included)."""
    if level not in LEVELS:
        raise ValueError(f"level: one of {', '.join(LEVELS)}, not {level!r}")
    if start and end and start > end:
        raise ValueError(f"from: {start} is after to ({end})")
    now = now or now_in_china()
    where, params = scope_of(caller, within)
    logs = EventStore(backend).logs(where, params)
    calendars: dict[Any, Any] = {}
    measured: list[DisputeMeasures] = []
    for log in logs.values():
        day = log[0].at.date()
        if (start and day < start) or (end and day > end):
            continue
        place = log[0].data.get("place")
        if place not in calendars:
            calendars[place] = rules_for(backend, place)[1]
        measured.append(measure_log(log, now, calendars[place]))
    units = _units_of(backend, {m.place for m in measured if m.place})
    digits = LEVELS[level]

    def area_of(m: DisputeMeasures) -> str | None:
        if m.place is None:
            return None
        if not digits:
            return f"Grid:{m.place}"
        code = units.get(m.place)
        return f"Unit:{code[:digits].ljust(12, '0')}" if code else None

    areas = {Ref.parse(k): v for k, v in by_area(measured, area_of).items()}
    departments = {u: f for u, f in by_unit(measured).items() if u.kind == "Department"}
    return Figures(len(measured), areas, departments)


def _units_of(backend: Backend, grids: set[str]) -> dict[str, str]:
    """The code of the unit each grid is part of (a micro-grid's through its parent grid)."""
    if not grids:
        return {}
    rows = backend.read(
        "MATCH (g:Grid) WHERE g.id IN $ids "
        "OPTIONAL MATCH (g)-[:PART_OF]->(u:Unit) "
        "OPTIONAL MATCH (g)-[:PART_OF]->(:Grid)-[:PART_OF]->(v:Unit) "
        "RETURN g.id AS grid, u.code AS own, v.code AS parent",
        {"ids": sorted(grids)},
    )
    return {r["grid"]: r["own"] or r["parent"] for r in rows if r["own"] or r["parent"]}
