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

Each dispute is measured once for each version of its log, and what the figures need of it
kept per store (`Kept`: its measures without the time held, its county's calendar, and while
it is open its state for the clocks). A call reads the version of every log in scope (one
small read), then reads and replays only the logs that grew since, or every log in scope
when most did (the first call), with only the columns the replay reads (`read_logs`). The log
is append-only, so a dispute at the version kept has the log it was measured from. At most
`KEPT` disputes a store are kept, the measured longest ago going first; an open dispute's
state is kept without the report's text (title, description, parties) and the parties'
ratings, so nothing kept names a person beyond the holders' and actors' keys the figures name.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from api.acting import now_in_china
from api.auth import Caller as ApiCaller
from api.queue import rows_of, scope_of
from graph.backend import Backend, Params
from graph.places import units_of
from queries.calendar import Calendar, county_calendar
from queries.rules import Rules, load_rules
from workflow.measures import AreaMeasures, DisputeMeasures, UnitMeasures, by_area, by_unit
from workflow.measures import measure as measure_log
from workflow.model import Event, Ref
from workflow.state import DisputeState

LEVELS = {"grid": 0, "village": 12, "town": 9, "county": 6}  # digits of a code that name it
REPEAT_VISITORS = 50  # the most repeat visitors answered, most disputes first
# Disputes measured and kept, a store: about 0.9 KiB each (13.5 MiB for the demo's 15,502),
# so 90 MiB at most; beyond it the measured longest ago go first.
KEPT = 100_000


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
    kept, units, rules = _measured(backend, where, params, now)
    measured = [
        k.measures
        for k in kept
        if not ((start and k.reported < start) or (end and k.reported > end))
    ]
    open_rows = rows_of(backend, (k.open for k in kept if k.open is not None), now, rules)
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


# -- each dispute measured once for each version of its log ----------------------------------


@dataclass(frozen=True, slots=True)
class Kept:
    """One dispute's part of the figures as its log stood at `version`: its measures but the
    time held (which moves with `now`, and no figure reads), and, while it is open, its state
    for the clocks, with the report's place alone of its text and without the parties'
    ratings. `calendar` is its county's, which timed its steps."""

    version: int
    place: str | None
    reported: date
    calendar: Calendar
    measures: DisputeMeasures
    open: DisputeState | None


@dataclass
class _Store:
    """What one backend keeps: each dispute's `Kept`, the measured last at the end."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    kept: dict[str, Kept] = field(default_factory=dict)


_kept: weakref.WeakKeyDictionary[Any, _Store] = weakref.WeakKeyDictionary()
_kept_lock = threading.Lock()

_VERSIONS = (
    "MATCH (d:Dispute)-[:LOGGED]->(e:DisputeEvent){where} "
    "RETURN d.id AS dispute, max(e.version) AS version"
)


def _measured(
    backend: Backend, where: str, params: Params, now: datetime
) -> tuple[list[Kept], dict[str, str], dict[str | None, tuple[Rules, Calendar]]]:
    """Every dispute in scope with a log, measured; the unit each of their grids lies in, and
    the rules of its county (as `rules_by_grid`, from the same walk up). A dispute is
    read and replayed only when its log has grown since it was last (its version), or its
    grid's county calendar is another; the others are kept from before, up to `KEPT`
    disputes a store (the measured longest ago go first)."""
    versions = {
        r["dispute"]: int(r["version"])
        for r in backend.read(_VERSIONS.format(where=" WHERE " + where if where else ""), params)
    }
    with _kept_lock:
        store = _kept.setdefault(backend, _Store())
    with store.lock:  # two dashboards at once: the second finds what the first measured
        fresh: dict[str, Kept] = {}
        for d, version in versions.items():
            k = store.kept.get(d)
            if k is not None and k.version == version:
                fresh[d] = k
        stale = [d for d in versions if d not in fresh]
        if len(stale) > len(versions) // 2:  # mostly new: one read of every log in scope
            logs = {
                d: log for d, log in read_logs(backend, where, params).items() if d not in fresh
            }
        else:
            logs = read_logs(backend, keys=stale)
        places = [k.place for k in fresh.values()] + [
            log[0].data.get("place") for log in logs.values()
        ]
        units = units_of(backend.read, {p for p in places if p})
        found = {p: load_rules(units.get(p) if p else None) for p in set(places)}
        rules = {p: (r, county_calendar(r)) for p, r in found.items()}
        moved = [d for d, k in fresh.items() if k.calendar is not rules[k.place][1]]
        if moved:  # a load put the grid in another county
            logs |= read_logs(backend, keys=moved)
            for d in moved:
                del fresh[d]
        for d, log in logs.items():
            place = log[0].data.get("place")
            calendar = rules[place][1]
            m = measure_log(log, now, calendar)
            state = m.state
            assert state is not None
            kept = Kept(
                version=log[-1].version,
                place=place,
                reported=log[0].at.date(),
                calendar=calendar,
                measures=replace(m, held=(), state=None),
                open=None if state.state == "closed" else _for_clocks(state),
            )
            store.kept.pop(d, None)
            store.kept[d] = fresh[d] = kept
        while len(store.kept) > KEPT:
            del store.kept[next(iter(store.kept))]
    return list(fresh.values()), units, rules


def _for_clocks(state: DisputeState) -> DisputeState:
    """An open dispute's state as kept: without the report's text (title, description, the
    parties) or the parties' ratings, which no figure or clock reads."""
    place = state.report.get("place")
    return replace(state, report={"place": place} if place else {}, ratings=(), rated=())


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


# -- the logs, as the measures read them ------------------------------------------------------

_READ = ("dispute", "version", "at", "actor", "unit", "action", "to_state", "targets", "data")


def read_logs(
    backend: Backend,
    where: str = "",
    params: Params | None = None,
    keys: Sequence[str] | None = None,
) -> dict[str, tuple[Event, ...]]:
    """The logs of the disputes `d` for which `where` holds (every one when it is empty), or of
    the disputes `keys`, in order of version, as `EventStore.logs` reads them but with only the
    columns the replay and the measures read: who acted in which role, the request's key and
    fingerprint, the reason and the state before are left empty. Each actor, unit, list of
    targets and data text is parsed once per read, not once per event."""
    if keys is not None:
        if not keys:
            return {}
        match = "UNWIND $keys AS k MATCH (d:Dispute {id: k}) "  # walked: graph.places
        match += "OPTIONAL MATCH (d)-[:LOGGED]->(e:DisputeEvent)"
        params, where = {"keys": list(keys)}, ""
    else:
        match = "MATCH (d:Dispute)-[:LOGGED]->(e:DisputeEvent)"
    rows = backend.read(
        match
        + (" WHERE " + where if where else "")
        + " RETURN d.id AS dispute, "
        + ", ".join(f"e.{c} AS {c}" for c in _READ[1:])
        + " ORDER BY dispute, version",
        params or {},
    )
    refs: dict[str, Ref] = {}
    targets: dict[str, tuple[Ref, ...]] = {}
    # The demo's 120,000 events hold 17,000 distinct data texts (a sign's, an accept's…): each
    # is parsed once, and events with the same text share it (the replay copies what it keeps).
    data: dict[str, Any] = {}

    def ref(text: str) -> Ref:
        found = refs.get(text)
        if found is None:
            found = refs[text] = Ref.parse(text)
        return found

    out: dict[str, list[Event]] = {}
    for row in rows:
        if row["version"] is None:  # a dispute with no log (keys)
            continue
        listed, text = row["targets"], row["data"]
        aimed = targets.get(listed)
        if aimed is None:
            aimed = targets[listed] = tuple(ref(t) for t in json.loads(listed))
        parsed = data.get(text)
        if parsed is None:
            parsed = data[text] = json.loads(text)
        out.setdefault(row["dispute"], []).append(
            Event(
                dispute=row["dispute"],
                version=int(row["version"]),
                at=datetime.fromisoformat(row["at"]),
                actor=ref(row["actor"]),
                role="",
                unit=ref(row["unit"]) if row["unit"] else None,
                scope=None,
                action=row["action"],
                from_state="",
                to_state=row["to_state"],
                targets=aimed,
                reason=None,
                idempotency_key="",
                fingerprint="",
                data=parsed,
            )
        )
    return {k: tuple(v) for k, v in out.items()}
