"""Referral: who is responsible for a dispute, in what order, by when.

    referral(backend, dispute_id="330421-D900001")
    referral(backend, description=DisputeDescription(place="330421-O031", category="wages",
                                                      parties=3, reported_on=date(2021, 12, 1)))

The answer is the ordered set of co-responsible actors, each with its part, level, time limit,
due date and contacts, the rule that put it there and the graph path behind it:

1. ``first_responder`` — the team of the grid where it happened, on the date (rule
   ``grid-first``, 小事不出格), and at an organisation that professional grids SUPERVISE, the
   one whose field answers for the category (``professional-grid-by-field``: the labour-
   inspection grid for a wage dispute at a factory, not every professional grid);
   ``higher_grid`` — each grid above it, a rung with the limit of the level it works at: a
   micro-grid's grid at once, a grid that is a unit's (苏州's level-2 grid is a village's)
   with that unit's mediation committee (``part-of-ladder``);
2. ``liaison_body`` — for a grid with LIAISES_WITH ties (an out-of-county grid), its home
   county's liaison bodies, the "4" of the 4+X consultation (``out-of-county-liaison``);
3. ``consultation_team`` — for a group dispute (``group.parties`` or more parties) or a warning
   colour in ``group.warnings``: the county center with its 3+X team (judge, chief mediator,
   legal-aid lawyer) and the departments concerned (``group-dispute-county-center``);
4. ``urgent_arrival`` — for an urgent matter where the county's rules set
   ``referral.urgent_arrival`` (景宁: on site within 1 hour, 003:56), the responsible
   department's arrival, with a due instant from the report's (``urgent-arrival``);
   ``responsible_department`` — the department the responsibility-list item names, resolved to
   the lowest level of the dispute's chain where a department of that function is, a town
   platform before the county bureau (``department-lowest-level``);
5. ``mediation_body`` — the village, then the town people's mediation committee (left out for a
   group dispute), then the industry committee of the dispute's domain where there is one
   (``mediation-before-litigation``);
6. ``pre_court_step`` — what the law puts before a suit for the category, from the rules'
   ``[pre_court]`` (劳动人事争议仲裁 for a labour or wage dispute, ``statutory-pre-court-step``),
   held by the department of the step's function at the lowest level of the chain;
7. ``court`` — always and only last (``court-last``).

Where the county's rules set severity tiers (景宁's 三级联动, ``[severity]``), `Referral.lead`
says who leads at the matter's tier: the town with the police, fire and building departments,
the competent department, or the county's command center (rule ``severity-tier``).

A referral degrades rather than fails: a category with no list item of the configured class,
or an item no department of the dispute's county answers for, still gets the grid team,
mediation and the court, and `Referral.missing` says what the graph lacks and which load file
would add it. Only what the caller named and the graph does not hold (a dispute, a place, a
list item, a category) is an error.

Named queries: the dispute's facts (or the described place), the chain above the grid, the
list items, the grids' teams and the units' bodies (and liaison bodies). All but the dispute's
facts read the ladders and lists, which change only with a load: a server answers them from
its read model (`queries.read_model`, through `queries.library.run`), not from the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from graph.backend import Backend
from queries.calendar import CHINA_TIME, county_calendar
from queries.explain import Contact, GraphPath, NodeRef, NotFound, RelRef, as_date, today
from queries.ladder import (
    Chain,
    FoundBody,
    Moment,
    by_anchor,
    day_of,
    days_of,
    dispute_facts,
    due_after,
    group_bodies,
    load_chain,
    runs_on,
    split_due,
)
from queries.library import run
from queries.rules import Limit, Rules, SeverityTier, load_rules

PARTS = (
    "first_responder",
    "higher_grid",
    "liaison_body",
    "consultation_team",
    "urgent_arrival",
    "responsible_department",
    "mediation_body",
    "pre_court_step",
    "court",
)


@dataclass(frozen=True)
class DisputeDescription:
    """A dispute not (yet) in the graph.

    `place` is a grid id, a village or community code (every grid directly in it answers
    first) or the id of an organisation located in a grid (a factory in its dedicated grid).
    Give a `category` (a domain code such as ``wages``) or a `list_item` id (``L1-011``), or
    both. `reported_on` defaults to the referral's `as_of` (or `reported_at`'s day, China time);
    `reported_at`, the instant it was reported, gives limits in hours a due instant; `warning`
    (red, orange, yellow) defaults to the colour the rules' warning grading gives `parties`.
    `urgent` (突发事件) adds the responsible department's arrival on site where the county's
    rules set `referral.urgent_arrival` (景宁: within 1 hour).
    """

    place: str
    category: str | None = None
    list_item: str | None = None
    parties: int = 2
    reported_on: date | None = None
    warning: str | None = None
    reported_at: datetime | None = None
    urgent: bool = False


@dataclass(frozen=True)
class ReferralStep:
    """One co-responsible actor.

    `part` is one of `PARTS`; `level` is grid or the level of the unit the actor serves
    (village, town, county, city). `contacts` are the people to call, holding their post on the
    date (personal data: see queries.explain). `limit` is the time this actor has, in days or
    in hours (None for the court); it runs out at the report day (or instant) plus the limits
    of this step and of the sequential steps before it (the responsible department's and an
    urgent arrival's run from the report): `due` is that day for a limit in days, `due_at` the
    instant for one in hours (None when the report is known only by its day). `reason` says in words
    why the rule applies. `path` leads from the dispute (or the described place) to the actor.
    """

    order: int
    part: str
    level: str
    actor: NodeRef
    contacts: tuple[Contact, ...]
    limit: Limit | None
    due: date | None
    due_at: datetime | None
    rule: str
    reason: str
    path: GraphPath

    @property
    def time_limit_days(self) -> int | None:
        """The limit's days; None for the court and for a limit in hours."""
        return days_of(self.limit)


@dataclass(frozen=True)
class Missing:
    """Something the graph lacks for a whole referral: `what` it is, and where to `add` it
    (the load file and the rows that would fill the gap, docs/loading.md)."""

    what: str
    add: str


@dataclass(frozen=True)
class Lead:
    """Who leads the matter at its severity tier (景宁's 三级联动, the rules' `[severity]`):
    the `tier`, the bodies that lead (`actors`, each also a step of the referral or a center
    of its chain), the rule and why."""

    tier: int
    actors: tuple[NodeRef, ...]
    rule: str
    reason: str


@dataclass(frozen=True)
class Referral:
    """The referral of one dispute: what was decided about it, and the steps in order.

    `missing` lists what kept a part out of it (no list item for the category, no responsible
    department in the county…); empty when the referral is whole."""

    dispute: NodeRef | None
    grid: NodeRef
    category: NodeRef | None
    list_item: NodeRef | None
    parties: int
    warning: str | None
    group: bool
    reported_on: date
    as_of: date
    steps: tuple[ReferralStep, ...]
    missing: tuple[Missing, ...] = ()
    lead: Lead | None = None
    reported_at: datetime | None = None
    urgent: bool = False


# -- the facts the referral starts from ------------------------------------------------------


@dataclass
class _Case:
    dispute: NodeRef | None
    origin: list[NodeRef]  # the dispute, an organisation, or nothing: what the paths start at
    origin_rel: RelRef | None
    grids: list[str]  # first-responder grids
    category: str
    list_item: str
    parties: int
    warning: str | None
    reported_on: date
    reported_at: datetime | None = None
    urgent: bool = False


def _from_dispute(backend: Backend, dispute_id: str, as_of: date) -> _Case:
    facts = dispute_facts(backend, dispute_id)
    if not facts["grid"]:
        raise NotFound(f"dispute {dispute_id!r} has no grid (no OCCURRED_IN relationship)")
    node = NodeRef("Dispute", dispute_id, facts["title"] or "")
    return _Case(
        node,
        [node],
        RelRef("OCCURRED_IN"),
        [facts["grid"]],
        facts["domain"] or "",
        facts["item"] or "",
        int(facts["parties"] or facts["party_count"] or 1),
        facts["warning"],
        as_date(facts["reported_on"]) or as_of,
    )


def _from_description(backend: Backend, description: DisputeDescription, as_of: date) -> _Case:
    if not description.category and not description.list_item:
        raise ValueError(
            "a DisputeDescription needs a category (a domain code such as 'wages' or "
            "'medical') or a list_item (a responsibility-list item id such as 'L1-011')"
        )
    if description.parties < 1:
        raise ValueError(f"a dispute has at least one party, not {description.parties}")
    if description.warning not in (None, "red", "orange", "yellow"):
        raise ValueError(f"warning is red, orange, yellow or None, not {description.warning!r}")
    reported_on = description.reported_on or as_of
    reported_at = description.reported_at
    if reported_at is not None:
        moment = reported_at if reported_at.tzinfo else reported_at.replace(tzinfo=CHINA_TIME)
        reported_at, day = moment, day_of(moment)
        if description.reported_on is not None and day != description.reported_on:
            raise ValueError(
                f"reported_at {moment.isoformat()} falls on {day}, not on reported_on "
                f"{description.reported_on}; give one of them, or both of the same day"
            )
        reported_on = day
    rows = run(backend, "place", place=description.place)
    if not rows:
        raise NotFound(
            f"no grid, unit or organisation with key {description.place!r} "
            "(give a grid id, a village or community code, or an organisation's id)"
        )
    label = rows[0]["label"]
    grids = [r["grid"] for r in rows if r["grid"] and r["grid_kind"] != "micro"]
    if label == "Grid":
        grids = [r["grid"] for r in rows]
    if not grids:
        what = {"Unit": "unit", "Organisation": "organisation"}.get(label, "place")
        raise ValueError(
            f"the {what} {description.place!r} ({rows[0]['name']}, {rows[0]['level']}) has no "
            "grid directly in it or around it; describe the place by a grid id, a village or "
            "community code, or an organisation located in a grid"
        )
    origin: list[NodeRef] = []
    rel: RelRef | None = None
    if label == "Organisation":
        origin = [NodeRef("Organisation", description.place, rows[0]["name"] or "")]
        rel = RelRef("LOCATED_IN")
    elif label == "Unit":
        origin = [NodeRef("Unit", description.place, rows[0]["name"] or "")]
        rel = RelRef("PART_OF", False)
    return _Case(
        None,
        origin,
        rel,
        sorted(grids),
        description.category or "",
        description.list_item or "",
        description.parties,
        description.warning,
        reported_on,
        reported_at,
        description.urgent,
    )


def _graded(backend: Backend, case: _Case, rules: Rules) -> str | None:
    """The colour the rules' grading gives: by parties, and for a stored dispute by the most
    disputes one of its parties brought within `visits_days` up to it (this one included)."""
    visits = 0
    if case.dispute is not None:
        since = date.fromordinal(case.reported_on.toordinal() - rules.warnings.visits_days)
        rows = run(
            backend, "party_visits", dispute=case.dispute.key, since=since, until=case.reported_on
        )
        visits = max((int(r["n"]) for r in rows), default=0)
    return rules.warnings.colour(case.parties, visits)


def _highest(*colours: str | None) -> str | None:
    """The highest of the colours given (a stored one, the graded one)."""
    order = ("red", "orange", "yellow")
    return next((c for c in order if c in colours), None)


# -- the referral -----------------------------------------------------------------------------


def referral(
    backend: Backend,
    *,
    dispute_id: str | None = None,
    description: DisputeDescription | None = None,
    as_of: date | None = None,
    rules: Rules | None = None,
) -> Referral:
    """The ordered co-responsible actors for a dispute in the graph or a described one.

    `as_of` (default: today) picks the posts and contacts; `rules` defaults to the rules of the
    county the dispute's grid is in.
    """
    if (dispute_id is None) == (description is None):
        raise ValueError(
            "referral takes exactly one of dispute_id (a dispute in the graph, e.g. "
            "'330421-D900001') or description (a DisputeDescription of one that is not)"
        )
    day = as_of or today()
    if dispute_id is not None:
        case = _from_dispute(backend, dispute_id, day)
    else:
        assert description is not None
        case = _from_description(backend, description, day)
    chain = load_chain(backend, case.grids[0], day)
    rules = rules or load_rules(chain.county)
    warning = _highest(case.warning, _graded(backend, case, rules))
    group = case.parties >= rules.group.parties or (warning in rules.group.warnings)
    missing: list[Missing] = []
    primary, concerned = _items(backend, case, rules, chain, group, missing)
    category = _category(backend, primary, concerned, case)
    functions = sorted({i.function for i in (primary, concerned) if i and i.function})
    pre_court = rules.pre_court_for(category.key) if category else ()
    tier = rules.severity.tier(warning)
    functions = sorted(
        {*functions, *(step.function for step in pre_court), *(tier.functions if tier else ())}
    )
    professional = _professional(backend, case, rules, category)
    grids = sorted(
        {*case.grids, *(g.key for g in chain.grids), *(p.grid.key for p in professional)}
    )
    rows = run(backend, "grid_teams", grids=grids)
    rows += run(
        backend,
        "referral_unit_bodies",
        units=[u.key for u in chain.units],
        as_of=day,
        mediation_kinds=list(rules.referral.mediation_kinds),
        industry_kinds=list(rules.referral.industry_kinds),
        court=rules.referral.court_function,
    )
    # The units' rows hold every department and industry committee: keep the dispute's.
    wanted = {
        "FUNCTION": ("body_kind", set(functions)),
        "HAS_EXPERTISE": ("via", set(rules.domains_for(category.key)) if category else set()),
    }
    rows = [
        r for r in rows if r["rel"] not in wanted or r[wanted[r["rel"]][0]] in wanted[r["rel"]][1]
    ]
    if chain.liaisons:
        grids = [g.key for g in chain.grids]
        rows += run(backend, "liaison_bodies", grids=grids, as_of=day)
    bodies = group_bodies(rows, day)
    build = _Builder(case, chain, rules, bodies, group, warning, category, missing, professional)
    steps = build.steps(primary, concerned)
    lead = build.lead(tier) if tier else None
    return Referral(
        case.dispute,
        chain.grid,
        category,
        NodeRef("ListItem", primary.id, primary.name) if primary else None,
        case.parties,
        warning,
        group,
        case.reported_on,
        day,
        steps,
        tuple(missing),
        lead,
        case.reported_at,
        case.urgent,
    )


@dataclass(frozen=True)
class _Item:
    id: str
    name: str
    domain: str
    domain_name: str
    limit: Limit | None  # the list item's days (RESPONSIBLE_FOR's where it has its own)
    function: str
    department: NodeRef | None  # the one RESPONSIBLE_FOR it in the dispute's county
    department_unit: str


def _items(
    backend: Backend,
    case: _Case,
    rules: Rules,
    chain: Chain,
    group: bool,
    missing: list[Missing],
) -> tuple[_Item | None, _Item | None]:
    """(the item that names the responsible department, the category's other item).

    With a group dispute the primary item is the category's group-dispute item and the other
    names the department concerned (the X of 3+X); otherwise the other is None. A category
    with no item of the class gives (None, None) and a `Missing`; an unknown category or
    item id is an error."""
    rows = run(
        backend,
        "referral_item",
        item=case.list_item,
        category=case.category,
        item_class=rules.referral.item_class,
    )
    units = {u.key for u in chain.units}
    found: dict[str, _Item] = {}
    for row in rows:
        here = row["department_unit"] in units
        old = found.get(row["item"])
        if old is not None and (old.department is not None or not here):
            continue
        dept = NodeRef("Department", row["department"], row["department_name"] or "")
        limit = row["limit"] if here and row["limit"] is not None else row["item_limit"]
        found[row["item"]] = _Item(
            row["item"],
            row["item_name"] or "",
            row["domain"] or "",
            row["domain_name"] or "",
            rules.item_limit(int(limit)) if limit is not None else None,
            (row["function"] or "") if here else "",
            dept if here and row["department"] else None,
            row["department_unit"] if here else "",
        )
    if case.list_item and case.list_item not in found:
        raise NotFound(f"no responsibility-list item with id {case.list_item!r}")
    marker = rules.group.item_marker
    by_category = [i for i in found.values() if i.id != case.list_item]
    grouped = [i for i in by_category if marker in i.name]
    ordinary = [i for i in by_category if marker not in i.name]
    if case.list_item:
        primary: _Item | None = found[case.list_item]
        other = ordinary if primary and marker in primary.name else []
    elif not found:
        if not run(backend, "domain", code=case.category):
            raise NotFound(
                f"no category (domain) with code {case.category!r} "
                "(a domain code such as 'wages', 'medical', 'land')"
            )
        item_class = rules.referral.item_class
        missing.append(
            Missing(
                f"no responsibility-list item of class {item_class!r} for the category "
                f"{case.category!r}: no department is named, and the time limits are the rules'",
                f"a list_items row (item_class {item_class}), a has_expertise row from it to "
                f"the domain {case.category}, and a responsible_for row from the county's "
                "department to it",
            )
        )
        return None, None
    else:
        primary = (grouped or ordinary)[0] if group else (ordinary or grouped)[0]
        other = ordinary if group else []
    concerned = next(
        (i for i in other if i.function != (primary.function if primary else "")), None
    )
    return primary, concerned


@dataclass(frozen=True)
class _Supervised:
    """An organisation of the matter, a professional grid that SUPERVISES it, and its field."""

    org: NodeRef
    grid: NodeRef
    field: str


def _professional(
    backend: Backend, case: _Case, rules: Rules, category: NodeRef | None
) -> list[_Supervised]:
    """The professional grids supervising the matter's organisations (the place described, or
    the organisations party to the dispute) whose field answers for its category."""
    fields = rules.fields_for(category.key) if category else ()
    if not fields:
        return []
    orgs = [o.key for o in case.origin if o.label == "Organisation"]
    if case.dispute is not None:
        orgs += [r["org"] for r in run(backend, "dispute_orgs", dispute=case.dispute.key)]
    if not orgs:
        return []
    found: dict[str, _Supervised] = {}
    rows = run(backend, "professional_grids", orgs=orgs)
    # a grid supervising two of the organisations is shown with the first given
    for row in sorted(rows, key=lambda r: (orgs.index(r["org"]), r["grid"])):
        if row["field"] in fields and row["grid"] not in found:
            found[row["grid"]] = _Supervised(
                NodeRef("Organisation", row["org"], row["org_name"] or ""),
                NodeRef("Grid", row["grid"], row["grid_name"] or ""),
                str(row["field"]),
            )
    return [found[k] for k in sorted(found)]


def _category(
    backend: Backend, primary: _Item | None, concerned: _Item | None, case: _Case
) -> NodeRef | None:
    code = case.category or (primary.domain if primary else "")
    for item in (primary, concerned):
        if item and item.domain == code and item.domain_name:
            return NodeRef("Domain", code, item.domain_name)
    if not code:
        return None
    rows = run(backend, "domain", code=code)
    return NodeRef("Domain", code, (rows[0]["name"] or "") if rows else "")


class _Builder:
    def __init__(
        self,
        case: _Case,
        chain: Chain,
        rules: Rules,
        bodies: list[FoundBody],
        group: bool,
        warning: str | None,
        category: NodeRef | None,
        missing: list[Missing],
        professional: list[_Supervised],
    ) -> None:
        self.case = case
        self.missing = missing
        self.professional = professional
        self.responsible: NodeRef | None = None  # the department the list item names
        self.category = category
        self.chain = chain
        self.rules = rules
        self.calendar = county_calendar(rules)  # the workflow's: its clocks count the same
        self.bodies = bodies
        self.group = group
        self.warning = warning
        self.out: list[dict[str, Any]] = []
        # where the last closed stage ran out: the report's instant where known, else its day
        self.running: Moment | None = case.reported_at or case.reported_on
        self.pending: Moment | None = None
        grids = {b.node.key: b.node for b in bodies if b.rel == "SERVES_IN"}
        grids.update({g.key: g for g in chain.grids})
        self.grid_nodes = grids
        start = chain.grid
        if case.origin and case.origin_rel is not None:
            self.start = GraphPath.at(case.origin[0]).then(case.origin_rel, start)
        else:
            self.start = GraphPath.at(start)

    # -- paths -------------------------------------------------------------------------------

    def to(self, key: str) -> GraphPath:
        """From the dispute (or the described place) to a grid or unit of the chain."""
        path = self.chain.paths[key]
        origin = self.case.origin[0] if self.case.origin else None
        if origin is not None and origin in path.nodes:  # a described village: start there
            i = path.nodes.index(origin)
            return GraphPath(path.nodes[i:], path.rels[i:])
        return self.start.join(path)

    def to_grid(self, grid: str) -> GraphPath:
        """To a first-responder grid: one of the chain's, or another grid of a village."""
        if grid in self.chain.paths:
            return self.to(grid)
        node = self.grid_nodes.get(grid, NodeRef("Grid", grid, ""))
        assert self.case.origin and self.case.origin_rel is not None
        return GraphPath.at(self.case.origin[0]).then(self.case.origin_rel, node)

    # -- steps -------------------------------------------------------------------------------

    def add(
        self,
        part: str,
        level: str,
        actor: NodeRef,
        contacts: Sequence[Contact],
        limit: Limit | None,
        rule: str,
        reason: str,
        path: GraphPath,
        *,
        stage: bool = True,
    ) -> None:
        """One step. A `stage` step runs on from where the last closed stage ran out; steps
        added before `close_stage` share a stage (a grid's teams, the liaison bodies). A step
        that is no stage runs from the report (the court has no limit)."""
        start = self.running if stage else (self.case.reported_at or self.case.reported_on)
        due, due_at = split_due(due_after(start, limit, self.calendar))
        if stage and limit is not None:
            self.pending = runs_on(start, limit, self.calendar)
        self.out.append(
            {
                "part": part,
                "level": level,
                "actor": actor,
                "contacts": tuple(contacts),
                "limit": limit,
                "due": due,
                "due_at": due_at,
                "rule": rule,
                "reason": reason,
                "path": path,
            }
        )

    def close_stage(self) -> None:
        if self.pending is not None:
            self.running, self.pending = self.pending, None

    def steps(self, primary: _Item | None, concerned: _Item | None) -> tuple[ReferralStep, ...]:
        teams = by_anchor(self.bodies, "SERVES_IN")
        # 1. the team of the grid where it happened answers first, with the professional grid
        # whose field answers for the category
        for key in self.case.grids:
            team = teams.get(key, [])
            if not team:
                continue
            body = team[0]
            self.add(
                "first_responder",
                "grid",
                body.node,
                body.holders,
                self.rules.level_limit("grid"),
                "grid-first",
                "the team of the grid where it happened answers first (小事不出格)",
                self.to_grid(key),
            )
        for sup in self.professional:
            team = teams.get(sup.grid.key, [])
            path = GraphPath.at(sup.org)
            if self.case.dispute is not None and sup.org not in self.case.origin:
                path = GraphPath.at(self.case.dispute).then(RelRef("PARTY_TO", False), sup.org)
            self.add(
                "first_responder",
                "grid",
                sup.grid,
                team[0].holders if team else (),
                self.rules.level_limit("grid"),
                "professional-grid-by-field",
                f"{sup.org.name or sup.org.key} is supervised by a {sup.field} grid, the field "
                f"that answers for a {self.category.key if self.category else '?'} dispute",
                path.then(RelRef("SUPERVISES", False), sup.grid),
            )
        self.close_stage()
        # 1b. the grids above it that work at grid level (a micro-grid's grid), each a rung
        for grid in self._higher_grids(None):
            self._higher_grid(grid, "grid", self.rules.level_limit("grid"))
            self.close_stage()
        # 2. an out-of-county grid's liaison bodies in its home county
        liaison = by_anchor(self.bodies, "LIAISES_WITH")
        for grid in self.chain.grids:
            for b in liaison.get(grid.key, []):
                self.add(
                    "liaison_body",
                    b.level or "county",
                    b.node,
                    b.holders,
                    self.rules.level_limit("liaison"),
                    "out-of-county-liaison",
                    f"{grid.key} is an out-of-county grid ({self.chain.location or '?'}); its "
                    "home county's liaison bodies take it up (4+X)",
                    self.to(grid.key).then(RelRef("LIAISES_WITH"), b.node),
                )
        self.close_stage()
        # 3. a group dispute or a red warning enters at the county center (3+X)
        if self.group:
            self._consultation(concerned)
            self.close_stage()
        # 4. the responsible department, at the lowest level where it is present
        if primary is not None:
            self._department(primary)
        # 5. mediation before litigation
        self._mediation()
        # 6. the steps the law puts before a suit
        self._pre_court()
        # 7. the court, last
        court = next(
            (
                b
                for u in self.chain.units
                for b in self.bodies
                if b.rel == "COURT" and b.anchor == u.key
            ),
            None,
        )
        if court is not None:
            self.add(
                "court",
                self.chain.level(NodeRef("Unit", court.anchor, "")),
                court.node,
                court.holders,
                None,
                "court-last",
                "litigation comes only after mediation (调解优先、诉讼断后)",
                self.to(court.anchor).then(RelRef("LOCATED_IN", False), court.node),
                stage=False,
            )
        return tuple(ReferralStep(order=i, **s) for i, s in enumerate(self.out, start=1))

    def _higher_grids(self, level: str | None) -> list[NodeRef]:
        """The grids above the first responders, with people on them, that join the rung of
        `level` (a unit level), or with None those that are rungs of their own."""
        teams = by_anchor(self.bodies, "SERVES_IN")
        return [
            grid
            for grid in self.chain.grids
            if grid.key not in self.case.grids
            and teams.get(grid.key)
            and teams[grid.key][0].holders
            and self.chain.rung_of(grid, self.rules.levels) == level
        ]

    def _higher_grid(self, grid: NodeRef, level: str, limit: Limit | None) -> None:
        team = by_anchor(self.bodies, "SERVES_IN")[grid.key][0]
        where = "a grid" if level == "grid" else f"the {level}'s grid"
        self.add(
            "higher_grid",
            level,
            grid,
            team.holders,
            limit,
            "part-of-ladder",
            f"{where} above the one where it happened: the next rung if it is not settled",
            self.to(grid.key),
        )

    def lead(self, tier: SeverityTier) -> Lead:
        """Who leads at `tier`: the town's center with the tier's departments, the department
        the list item names, or the county's center."""
        actors: list[NodeRef] = []
        if tier.leads == "department":
            actors = [self.responsible] if self.responsible else []
            who = "the competent department (主管部门) leads"
        else:
            unit = self.chain.unit_at(tier.leads)
            actors = [
                b.node
                for b in self.bodies
                if unit is not None and b.rel == "JURISDICTION" and b.anchor == unit.key
            ]
            who = f"the {tier.leads}'s center leads" if tier.leads == "county" else "the town leads"
            found = [b for f in tier.functions if (b := self._lowest("FUNCTION", f))]
            actors += [b.node for b in found]
            if found:
                who += f" with the {', '.join(b.kind for b in found)} departments"
        colour = self.warning or "no"
        return Lead(
            tier.tier,
            tuple(actors),
            "severity-tier",
            f"{colour} warning: tier {tier.tier} of the linkage by severity; {who}",
        )

    def _pre_court(self) -> None:
        code = self.category.key if self.category else ""
        for step in self.rules.pre_court_for(code) if code else ():
            holder = self._lowest("FUNCTION", step.function)
            if holder is None:
                self.missing.append(
                    Missing(
                        f"no department of function {step.function!r} for {step.name} in the "
                        "units above the grid",
                        f"a departments row (function {step.function}) and a located_in row "
                        "from it to one of those units",
                    )
                )
                continue
            level = self.chain.unit_level.get(holder.anchor, "")
            self.add(
                "pre_court_step",
                level,
                holder.node,
                holder.holders,
                step.limit,
                "statutory-pre-court-step",
                f"a {code} dispute goes to {step.name} before any suit ({step.law})",
                self.to(holder.anchor).then(RelRef("LOCATED_IN", False), holder.node),
            )
            self.close_stage()

    def _lowest(self, rel: str, kind: str) -> FoundBody | None:
        """The body of `rel` and `kind` at the lowest unit of the chain (first by key)."""
        for unit in self.chain.units:
            here = [b for b in self.bodies if b.rel == rel and b.kind == kind]
            here = sorted((b for b in here if b.anchor == unit.key), key=lambda b: b.node.key)
            if here:
                return here[0]
        return None

    def _why_group(self) -> str:
        reasons = []
        if self.case.parties >= self.rules.group.parties:
            reasons.append(
                f"{self.case.parties} parties (group dispute: {self.rules.group.parties} or more)"
            )
        if self.warning in self.rules.group.warnings:
            reasons.append(f"{self.warning} warning")
        return " and ".join(reasons)

    def _county_unit(self) -> str | None:
        for unit in self.chain.units:
            if self.chain.unit_level.get(unit.key) == "county":
                return unit.key
        return None

    def _consultation(self, concerned: _Item | None) -> None:
        county = self._county_unit()
        if county is None:
            return
        centers = [b for b in self.bodies if b.rel == "JURISDICTION" and b.anchor == county]
        court = next(
            (
                b
                for u in self.chain.units
                for b in self.bodies
                if b.rel == "COURT" and b.anchor == u.key
            ),
            None,
        )
        posts = self.rules.referral.consultation_posts
        limit = self.rules.level_limit("county")
        for center in centers:
            team = [c for c in center.holders if c.post in posts]
            if court is not None:
                team += court.holders  # the judge
            self.add(
                "consultation_team",
                "county",
                center.node,
                team,
                limit,
                "group-dispute-county-center",
                f"{self._why_group()}: it enters at the county center, whose 3+X team is a "
                "judge, the chief mediator, a legal-aid lawyer and the departments concerned",
                self.to(county).then(RelRef("JURISDICTION", False), center.node),
            )
        if concerned is not None and concerned.department is not None:
            dept = next(
                (b for b in self.bodies if b.rel == "FUNCTION" and b.node == concerned.department),
                None,
            )
            self.add(
                "consultation_team",
                "county",
                concerned.department,
                dept.holders if dept else (),
                limit,
                "group-dispute-county-center",
                f"the department concerned (the X of 3+X): it answers for {concerned.id} "
                f"{concerned.name}",
                GraphPath.at(NodeRef("ListItem", concerned.id, concerned.name)).then(
                    RelRef("RESPONSIBLE_FOR", False), concerned.department
                ),
            )

    def _department(self, item: _Item) -> None:
        county = self.chain.county or "?"
        if not item.function:
            self.missing.append(
                Missing(
                    f"no department of county {county} is RESPONSIBLE_FOR {item.id} {item.name}",
                    f"a responsible_for row from the county's department to {item.id}",
                )
            )
            return
        found = [b for b in self.bodies if b.rel == "FUNCTION" and b.kind == item.function]
        lowest: FoundBody | None = None
        for unit in self.chain.units:
            here = sorted((b for b in found if b.anchor == unit.key), key=lambda b: b.node.key)
            if here:
                lowest = here[0]
                break
        if lowest is None:
            self.missing.append(
                Missing(
                    f"no department of function {item.function!r} in the units above the grid",
                    f"a departments row (function {item.function}) and a located_in row from "
                    "it to one of those units",
                )
            )
            return
        listed = NodeRef("ListItem", item.id, item.name)
        path = GraphPath.at(listed)
        if self.case.dispute is not None and self.case.list_item == item.id:
            path = GraphPath.at(self.case.dispute).then(RelRef("CLASSIFIED_AS"), listed)
        if item.department is not None:
            path = path.then(RelRef("RESPONSIBLE_FOR", False), item.department)
            if lowest.node != item.department and item.department_unit:
                keys = [u.key for u in self.chain.units]
                top = self.chain.units[keys.index(item.department_unit)]
                path = path.then(RelRef("LOCATED_IN"), top)
                for unit in reversed(
                    self.chain.units[keys.index(lowest.anchor) : keys.index(top.key)]
                ):
                    path = path.then(RelRef("PART_OF", False), unit)
                path = path.then(RelRef("LOCATED_IN", False), lowest.node)
        self.responsible = lowest.node
        level = self.chain.unit_level.get(lowest.anchor, "")
        where = "a town platform before the county bureau" if level == "town" else f"the {level}"
        arrival = self.rules.referral.urgent_arrival
        if self.case.urgent and arrival is not None:
            self.add(
                "urgent_arrival",
                level,
                lowest.node,
                lowest.holders,
                arrival,
                "urgent-arrival",
                f"an urgent matter (突发事件): the {item.function} department's responsible "
                f"person is on site within {arrival} of the order",
                path,
                stage=False,
            )
        self.add(
            "responsible_department",
            level,
            lowest.node,
            lowest.holders,
            item.limit,
            "department-lowest-level",
            f"{item.id} {item.name} names the {item.function} department; it is taken at the "
            f"lowest level present ({where})",
            path,
            stage=False,
        )

    def _mediation(self) -> None:
        if not (self.group and self.rules.group.skip_local_mediation):
            located = by_anchor(self.bodies, "LOCATED_IN")
            for unit in self.chain.units:
                level = self.chain.unit_level.get(unit.key, "")
                if level not in ("village", "town"):
                    continue
                if unit == self.chain.unit_at(level):  # its grid shares the committee's stage
                    for grid in self._higher_grids(level):
                        self._higher_grid(grid, level, self.rules.level_limit(level))
                for b in located.get(unit.key, []):
                    self.add(
                        "mediation_body",
                        level,
                        b.node,
                        b.holders,
                        self.rules.level_limit(level),
                        "mediation-before-litigation",
                        f"the {level} people's mediation committee mediates before any suit",
                        self.to(unit.key).then(RelRef("LOCATED_IN", False), b.node),
                    )
                    self.close_stage()
                self.close_stage()
        industry = by_anchor(self.bodies, "HAS_EXPERTISE")
        category_code = self.category.key if self.category else ""
        for unit in self.chain.units:
            found = industry.get(unit.key, [])
            if not found:
                continue
            for b in found:
                domain = (
                    self.category
                    if self.category and self.category.key == b.via
                    else NodeRef("Domain", b.via, b.via_name)
                )
                self.add(
                    "mediation_body",
                    self.chain.unit_level.get(unit.key, ""),
                    b.node,
                    b.holders,
                    self.rules.level_limit("industry"),
                    "mediation-before-litigation",
                    f"a {category_code} dispute goes to the industry/professional mediation "
                    f"committee of {b.via}",
                    self.to(unit.key)
                    .then(RelRef("LOCATED_IN", False), b.node)
                    .then(RelRef("HAS_EXPERTISE"), domain),
                )
                self.close_stage()
            break
