"""The ladder kernel: the chain of grids and units above a grid, and the bodies found on it
with the people holding their posts on a day. Escalation, referral and expert selection all
stand on it; none of them imports another.

The chain is read from the graph, never from a list: a grid's parent grids at any depth (苏州
nests four levels), then every unit above (village › town › county › city…), walked one
PART_OF step at a time (`grid_step`, `unit_step`; a server answers each step from its read
model, `queries.read_model`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from graph.backend import Backend, Row
from graph.places import DivisionCode, county_unit
from graph.schema import GRID_ROLES
from graph.temporal import valid_on
from queries.calendar import CHINA_TIME, Allowance, Calendar, Unit
from queries.explain import (
    Contact,
    GraphPath,
    NodeRef,
    NotFound,
    RelRef,
    as_date,
    first_label,
    today,
)
from queries.flow_rules import Limit
from queries.library import run
from queries.rules import Levels

# -- the chain above a grid -------------------------------------------------------------------


@dataclass(frozen=True)
class Chain:
    """What is above a grid: its grids, then its units, lowest first, and a path to each."""

    grid: NodeRef
    kind: str
    location: str | None
    liaisons: int
    grids: tuple[NodeRef, ...]  # the grid itself first
    units: tuple[NodeRef, ...]
    unit_level: dict[str, str] = field(compare=False)
    paths: dict[str, GraphPath] = field(compare=False)
    grid_level: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def county(self) -> str | None:
        """The 6-digit code of the county (or district) the grid is in; a city with no
        counties (东莞, 中山) holds its towns itself and stands for their county (441900)."""
        unit = county_unit((u.key, self.unit_level.get(u.key)) for u in self.units)
        return None if unit is None else DivisionCode.parse(unit).full[:6]

    def level(self, node: NodeRef) -> str:
        return "grid" if node.label == "Grid" else self.unit_level.get(node.key, "")

    def works_at(self, grid: NodeRef) -> str:
        """The level a grid's team works at: the level of the unit the grid is (its
        `unit_level`: a 苏州 level-1 grid is a town's), else "grid"."""
        return self.grid_level.get(grid.key) or "grid"

    def unit_at(self, level: str) -> NodeRef | None:
        """The chain's unit of `level` (the lowest, should there be two)."""
        return next((u for u in self.units if self.unit_level.get(u.key) == level), None)

    def rung_of(self, grid: NodeRef, levels: Levels) -> str | None:
        """The level of the unit rung a grid above the first joins: the level it works at,
        when the ladder has that level and the chain a unit of it; None for a rung of its own
        (a micro-grid's grid)."""
        level = self.works_at(grid)
        if levels.rank(level) is None or self.unit_at(level) is None:
            return None
        return level


_PART_OF = RelRef("PART_OF")
_LEVEL_RANK = {lvl: i for i, lvl in enumerate(("village", "town", "county", "city", "province"))}


def load_chain(backend: Backend, grid_id: str, as_of: date | None = None) -> Chain:
    """The grids and units above `grid_id` that exist on `as_of` (default: today); raises
    NotFound if there is no such grid.

    Walked up PART_OF one step at a time, breadth first, so each node's distance is its
    shortest, until nothing is above: grids nest at any depth, and a node met twice (a
    cycle) is not walked again."""
    day = as_of or today()
    rows = run(backend, "grid_step", grid=grid_id, as_of=day)
    if not rows:
        raise NotFound(f"no grid with id {grid_id!r}")
    first = rows[0]
    start = NodeRef("Grid", grid_id, first["name"] or "")
    hops: dict[str, int] = {}
    nodes: dict[str, NodeRef] = {}
    levels: dict[str, str] = {}
    grid_levels = {grid_id: str(first["unit_level"] or "")}
    step = [start]
    depth = 0
    while step:
        depth += 1
        above: list[NodeRef] = []
        for node in step:
            if node.label == "Grid":
                parents = run(backend, "grid_step", grid=node.key, as_of=day)
                if parents:
                    grid_levels[node.key] = str(parents[0]["unit_level"] or "")
            else:
                parents = run(backend, "unit_step", unit=node.key, as_of=day)
            for row in parents:
                key = row["parent"]
                if key is None or key in hops or key == grid_id:
                    continue
                label = first_label(row["parent_label"]) if "parent_label" in row else "Unit"
                nodes[key] = NodeRef(label, key, row["parent_name"] or "")
                hops[key] = depth
                if label == "Unit":
                    levels[key] = str(row["parent_level"] or "")
                above.append(nodes[key])
        step = above
    above = sorted(
        (n for n in nodes.values() if n.label == "Grid"), key=lambda n: (hops[n.key], n.key)
    )
    grids = [start, *above]
    units = sorted(
        (n for n in nodes.values() if n.label == "Unit"),
        key=lambda n: (hops[n.key], _LEVEL_RANK.get(levels[n.key], 99), n.key),
    )
    if units:
        # One line of units: the grid's own and those containing it. A parent grid in another
        # village does not put that village on the ladder (a sideways step, not up).
        units = [u for u in units if DivisionCode.parse(u.key).contains(units[0].key)]
    paths: dict[str, GraphPath] = {}
    path = GraphPath.at(start)
    paths[start.key] = path
    for grid in grids[1:]:
        path = path.then(_PART_OF, grid)
        paths[grid.key] = path
    if units:
        # The lowest unit hangs off the grid one step below it (the grid nesting is a line;
        # a Suzhou level-3 grid is PART_OF both its level-2 grid and its village).
        below = [g for g in grids if hops.get(g.key, 0) == hops[units[0].key] - 1]
        path = paths[below[-1].key if below else start.key]
        for unit in units:
            path = path.then(_PART_OF, unit)
            paths[unit.key] = path
    location = first["location"]
    return Chain(
        start,
        str(first["kind"] or ""),
        location,
        int(first["liaisons"] or 0),
        tuple(grids),
        tuple(units),
        levels,
        paths,
        grid_levels,
    )


# -- bodies and their post-holders ------------------------------------------------------------

_ROLE_ORDER = {role: i for i, role in enumerate(GRID_ROLES)}


@dataclass
class FoundBody:
    """A body row group from the body queries (`grid_teams`, `ladder_unit_bodies`, …)."""

    anchor: str
    rel: str
    node: NodeRef
    kind: str
    level: str
    via: str
    via_name: str
    holders: list[Contact]


def contact_order(contact: Contact) -> tuple[int, str, str, date, date]:
    """By role, post and person, then by term (one person may hold a post twice): an order
    that does not depend on the order the rows came in."""
    return (
        _ROLE_ORDER.get(contact.post, len(_ROLE_ORDER)),
        contact.post,
        contact.person.key,
        contact.since or date.min,
        contact.until or date.max,
    )


def group_bodies(rows: Iterable[Row], as_of: date) -> list[FoundBody]:
    """Bodies in the order first seen, each with the holders whose post holds on `as_of`."""
    found: dict[tuple[str, str, str, str], FoundBody] = {}
    for row in rows:
        if not row["body_key"]:
            continue  # an anchor without a body of this branch's kind (OPTIONAL MATCH)
        label = first_label(row["body_label"])
        key = (row["anchor"], row["rel"], label, row["body_key"])
        body = found.get(key)
        if body is None:
            body = found[key] = FoundBody(
                row["anchor"],
                row["rel"],
                NodeRef(label, row["body_key"], row["body_name"] or ""),
                str(row["body_kind"] or ""),
                str(row["body_level"] or ""),
                str(row["via"] or ""),
                str(row["via_name"] or ""),
                [],
            )
        holder = row["holder"]
        since, until = as_date(row["since"]), as_date(row["until"])
        if holder and valid_on(since, until, as_of):
            contact = Contact(
                NodeRef("Person", holder, row["holder_name"] or ""),
                str(row["post"] or ""),
                row["mobile"],
                since,
                until,
            )
            if contact not in body.holders:
                body.holders.append(contact)
    for body in found.values():
        body.holders.sort(key=contact_order)
    return list(found.values())


def by_anchor(bodies: Sequence[FoundBody], rel: str) -> dict[str, list[FoundBody]]:
    out: dict[str, list[FoundBody]] = defaultdict(list)
    for body in bodies:
        if body.rel == rel:
            out[body.anchor].append(body)
    for items in out.values():
        items.sort(key=lambda b: b.node.key)
    return out


def dispute_facts(backend: Backend, dispute_id: str) -> Row:
    rows = run(backend, "dispute_facts", dispute=dispute_id)
    if not rows:
        raise NotFound(f"no dispute with id {dispute_id!r}")
    return rows[0]


Moment = date | datetime
"""Where a limit starts or runs out: a day for a limit in days, an instant for one in hours."""


def day_of(moment: Moment) -> date:
    """The day of a moment, in China time (a naive instant is taken as China time)."""
    if isinstance(moment, datetime):
        return (moment.astimezone(CHINA_TIME) if moment.tzinfo else moment).date()
    return moment


def due_after(start: Moment | None, limit: Limit | None, calendar: Calendar) -> Moment | None:
    """When `limit`, started at `start`, runs out: the day or instant the workflow's clock for
    the same start and limit runs out (`calendar.due`, so the two agree). A limit in days ends
    with a day, its last; the start's day is not counted: one in working days ends on the last
    of that many working days after the start's day (China's holidays and make-up working
    days), one in calendar days on the start's day plus the days, or on the next working day
    when that is a rest day (as statutory periods do: 民事诉讼法 第八十五条). A limit in hours
    ends at an instant: the start's instant plus the hours, counted from the instant itself
    (an urgent hour does not wait for a working day); from a start known only by its day, the
    instant is unknown and so is the due time (None). A day in a year the calendar does not
    cover is its error (`CalendarNotCovered`), as it is the workflow's."""
    if start is None or limit is None:
        return None
    if limit.unit != "hours":
        return _last_day(day_of(start), Allowance(limit.amount, Unit(limit.unit)), calendar)
    if isinstance(start, datetime):
        return start + timedelta(hours=limit.amount)
    return None


def _last_day(start: date, allowance: Allowance, calendar: Calendar) -> date:
    """The day the workflow's clock of `allowance` (in days) from `start` ends with: its due
    instant is the midnight after that day."""
    ends = calendar.due(datetime.combine(start, time(0), CHINA_TIME), allowance)
    assert ends is not None  # only an open pause holds a clock, and a ladder has none
    return day_of(ends - timedelta(microseconds=1))


def runs_on(start: Moment | None, limit: Limit | None, calendar: Calendar) -> Moment | None:
    """Where the next sequential stage starts: where this one runs out; after a limit in hours
    from a start known only by its day, the last day those hours can reach."""
    due = due_after(start, limit, calendar)
    if due is None and start is not None and limit is not None:
        return start + timedelta(days=-(-limit.amount // 24))
    return due


def days_of(limit: Limit | None) -> int | None:
    """A limit's days (working or calendar); None for none and for a limit in hours."""
    return limit.amount if limit is not None and limit.unit != "hours" else None


def split_due(due: Moment | None) -> tuple[date | None, datetime | None]:
    """(the due day, the due instant): one of them set, by the kind of limit it came from."""
    if isinstance(due, datetime):
        return None, due
    return due, None
