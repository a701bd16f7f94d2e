"""Escalation path: the ladder from a grid upward, and the party line beside it.

    escalation_path(backend, grid_id="330421-M00001")              # a 嘉善 micro-grid
    escalation_path(backend, dispute_id="330421-D900001", as_of=date(2021, 12, 20))

The ladder is read from the graph, never from a list: the grids the grid is PART_OF (a micro-
grid's grid, Suzhou's level 3 › 2 › 1), an out-of-county grid's LIAISES_WITH bodies, then every
unit above it (village › town › county › city…) with the bodies found there — centers by
JURISDICTION (and the centers they ESCALATES_TO), departments STATIONED_AT those centers,
people's mediation committees and party organisations LOCATED_IN the unit — and the court last.
A place with four grid levels or two command levels gets its own ladder. Post-holders are those
whose post holds on `as_of`.

Named queries: `grid_step` and `unit_step` (what is above the grid, a step at a time);
`grid_teams`, `grid_party_orgs`, `ladder_unit_bodies` and `ladder_stationed_departments` (the
bodies of every step and their post-holders, past and present: the date is applied here);
`liaison_bodies` for a grid with LIAISES_WITH ties. Their rows serve every date (the date is
applied here), and a server answers them from its read model (`queries.read_model`). The chain
and the body grouping are `queries.ladder`'s, shared with `referral` and `experts`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from graph.backend import Backend
from graph.temporal import valid_on
from queries.calendar import county_calendar
from queries.explain import Contact, GraphPath, NodeRef, NotFound, RelRef, as_date, today
from queries.ladder import (
    Chain,
    FoundBody,
    by_anchor,
    days_of,
    dispute_facts,
    due_after,
    group_bodies,
    load_chain,
    runs_on,
    split_due,
)
from queries.library import run
from queries.rules import Limit, PreCourtStep, Rules, load_rules

__all__ = [
    "Body",
    "Escalation",
    "EscalationStep",
    "PartyLineStep",
    "escalation_path",
]

# -- result types ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """One body on a step of the ladder.

    `role` is what it does there: grid_team, center, stationed_department,
    mediation_committee, party_organisation, liaison_body, pre_court_body (the department
    holding a step the law puts before a suit) or court. `kind` is the node's own
    kind (a center's kind, a department's function, a committee's kind…). `holders` are the
    people holding a post or role in it on the date. `path` leads from the starting grid to
    the body: up PART_OF, then JURISDICTION, ESCALATES_TO, STATIONED_AT, LOCATED_IN or
    LIAISES_WITH as the body was found.
    """

    node: NodeRef
    role: str
    kind: str
    holders: tuple[Contact, ...]
    path: GraphPath


@dataclass(frozen=True)
class EscalationStep:
    """One rung: a grid, the liaison, a unit, or the court.

    `level` is grid, liaison, a unit level (village, town, county, city…), pre_court (a
    dispute's statutory step before a suit, such as labour arbitration) or court; `place` is
    the grid or unit of the rung; `limit` is how long the rung has before the next one, in
    days or in hours (None for the court). When the ladder was asked for a dispute, the rung
    runs out at the report day plus the limits so far: `due` is that day for a limit in days,
    `due_at` the instant for one in hours (None from a report known only by its day, as a
    stored dispute's is). `path` leads from the starting grid to `place`.
    """

    order: int
    level: str
    place: NodeRef
    bodies: tuple[Body, ...]
    limit: Limit | None
    due: date | None
    due_at: datetime | None
    rule: str
    path: GraphPath

    @property
    def time_limit_days(self) -> int | None:
        """The limit's days; None for the court and for a limit in hours."""
        return days_of(self.limit)


@dataclass(frozen=True)
class PartyLineStep:
    """One party organisation on the line from the grid's branch up (支部建在网格上).

    `path` leads from the starting grid to the organisation.
    """

    order: int
    org: NodeRef
    kind: str
    level: str
    leaders: tuple[Contact, ...]
    rule: str
    path: GraphPath


@dataclass(frozen=True)
class Escalation:
    grid: NodeRef
    dispute: NodeRef | None
    as_of: date
    ladder: tuple[EscalationStep, ...]
    party_line: tuple[PartyLineStep, ...]


# -- the ladder ---------------------------------------------------------------------------------


def escalation_path(
    backend: Backend,
    *,
    grid_id: str | None = None,
    dispute_id: str | None = None,
    as_of: date | None = None,
    rules: Rules | None = None,
) -> Escalation:
    """The ladder from a grid (or a dispute's grid) upward, and the party line beside it.

    `as_of` (default: today) picks the post-holders; with a dispute, each rung's `due` runs
    from the day it was reported. `rules` defaults to the grid's county's rules.
    """
    if (grid_id is None) == (dispute_id is None):
        raise ValueError(
            "escalation_path takes exactly one of grid_id (e.g. '330421-G0001') or dispute_id "
            "(e.g. '330421-D900001'); a dispute's ladder starts at the grid it occurred in"
        )
    dispute: NodeRef | None = None
    reported: date | None = None
    category = ""
    if dispute_id is not None:
        facts = dispute_facts(backend, dispute_id)
        dispute = NodeRef("Dispute", dispute_id, facts["title"] or "")
        reported = as_date(facts["reported_on"])
        category = str(facts["domain"] or "")
        if not facts["grid"]:
            raise NotFound(f"dispute {dispute_id!r} has no grid (no OCCURRED_IN relationship)")
        grid_id = facts["grid"]
    assert grid_id is not None
    day = as_of or today()
    chain = load_chain(backend, grid_id, day)
    rules = rules or load_rules(chain.county)
    grids = [g.key for g in chain.grids]
    rows = run(backend, "grid_teams", grids=grids)
    rows += run(backend, "grid_party_orgs", grids=grids)
    units = [u.key for u in chain.units]
    rows += run(
        backend,
        "ladder_unit_bodies",
        units=units,
        as_of=day,
        mediation_kinds=list(rules.referral.mediation_kinds),
        court=rules.referral.court_function,
    )
    rows += [
        r
        for r in run(backend, "ladder_stationed_departments", units=units, as_of=day)
        if valid_on(as_date(r["stationed_from"]), as_date(r["stationed_to"]), day)
    ]
    if chain.liaisons:
        rows += run(backend, "liaison_bodies", grids=grids, as_of=day)
    pre_court = rules.pre_court_for(category) if category else ()
    if pre_court:  # the departments holding the steps the law puts before a suit
        functions = {step.function for step in pre_court}
        rows += [
            r
            for r in run(
                backend,
                "referral_unit_bodies",
                units=units,
                as_of=day,
                mediation_kinds=list(rules.referral.mediation_kinds),
                industry_kinds=list(rules.referral.industry_kinds),
                court=rules.referral.court_function,
            )
            if r["rel"] == "FUNCTION" and r["body_kind"] in functions
        ]
    bodies = group_bodies(rows, day)
    ladder = _ladder(chain, bodies, rules, reported, pre_court)
    party = _party_line(chain, bodies)
    return Escalation(chain.grid, dispute, day, ladder, party)


def _body(found: FoundBody, role: str, path: GraphPath) -> Body:
    return Body(found.node, role, found.kind, tuple(found.holders), path)


def _ladder(
    chain: Chain,
    bodies: list[FoundBody],
    rules: Rules,
    reported: date | None,
    pre_court: Sequence[PreCourtStep] = (),
) -> tuple[EscalationStep, ...]:
    steps: list[tuple[str, NodeRef, list[Body], Limit | None, str, GraphPath]] = []
    teams = by_anchor(bodies, "SERVES_IN")
    # A grid that is a unit's (苏州: a level-2 grid is a village's, a level-1 grid a town's)
    # works at that unit's level: its team joins that unit's rung, so the ladder climbs by the
    # level each body works at and a town's grid never comes before the village rung.
    at_level: dict[str, list[Body]] = defaultdict(list)
    for grid in chain.grids:
        team = teams.get(grid.key, [])
        holders = team[0].holders if team else []
        if grid != chain.grid and not holders:
            continue  # a grid level with nobody on it is no rung
        kind = team[0].kind if team else chain.kind
        body = Body(grid, "grid_team", kind, tuple(holders), chain.paths[grid.key])
        level = chain.rung_of(grid, rules.levels)
        if grid != chain.grid and level is not None:
            at_level[level].append(body)
            continue
        rule = "grid-first" if grid == chain.grid else "part-of-ladder"
        steps.append(("grid", grid, [body], rules.level_limit("grid"), rule, chain.paths[grid.key]))
    liaison = by_anchor(bodies, "LIAISES_WITH")
    for grid in chain.grids:
        found = liaison.get(grid.key, [])
        if found:
            at = chain.paths[grid.key]
            items = [
                _body(b, "liaison_body", at.then(RelRef("LIAISES_WITH"), b.node)) for b in found
            ]
            steps.append(
                ("liaison", grid, items, rules.level_limit("liaison"), "out-of-county-liaison", at)
            )
    centers = by_anchor(bodies, "JURISDICTION")
    center_path: dict[str, GraphPath] = {}
    for unit in chain.units:
        for b in centers.get(unit.key, []):
            center_path[b.node.key] = chain.paths[unit.key].then(
                RelRef("JURISDICTION", False), b.node
            )
    below: dict[str, NodeRef] = {}  # center -> the chain center that escalates to it
    for found_centers in centers.values():
        for b in found_centers:
            if b.via and b.via not in below:
                below[b.via] = b.node
    stationed = by_anchor(bodies, "STATIONED_AT")
    located = by_anchor(bodies, "LOCATED_IN")
    for unit in chain.units:
        level = chain.unit_level.get(unit.key, "")
        if rules.levels.rank(level) is None:
            continue
        at = chain.paths[unit.key]
        items = at_level.pop(level, []) if unit == chain.unit_at(level) else []
        escalated = False
        for b in centers.get(unit.key, []):
            lower = below.get(b.node.key)
            if lower is not None and lower.key in center_path:
                escalated = True
                path = center_path[lower.key].then(RelRef("ESCALATES_TO"), b.node)
            else:
                path = center_path[b.node.key]
            items.append(_body(b, "center", path))
        for b in stationed.get(unit.key, []):
            center = next((c.node for c in centers.get(unit.key, []) if c.node.key == b.via), None)
            base = center_path.get(b.via) if center else None
            if base is None:
                base = at.then(RelRef("JURISDICTION", False), NodeRef("Center", b.via, ""))
            path = base.then(RelRef("STATIONED_AT", False), b.node)
            items.append(_body(b, "stationed_department", path))
        for b in located.get(unit.key, []):
            role = "mediation_committee" if b.node.label == "MediationOrg" else "party_organisation"
            items.append(_body(b, role, at.then(RelRef("LOCATED_IN", False), b.node)))
        if not items:
            continue  # a level with no body of its own (the demo's 嘉兴市, 浙江省)
        rule = "escalates-to" if escalated else "part-of-ladder"
        steps.append((level, unit, items, rules.level_limit(level), rule, at))
    for step in pre_court:  # 劳动人事争议仲裁 before a labour suit: at the lowest unit holding it
        for unit in chain.units:
            found = [b for b in bodies if b.rel == "FUNCTION" and b.kind == step.function]
            found = sorted((b for b in found if b.anchor == unit.key), key=lambda b: b.node.key)
            if found:
                at = chain.paths[unit.key]
                body = _body(
                    found[0], "pre_court_body", at.then(RelRef("LOCATED_IN", False), found[0].node)
                )
                steps.append(
                    ("pre_court", unit, [body], step.limit, "statutory-pre-court-step", at)
                )
                break
    for unit in chain.units:
        courts = [b for b in bodies if b.rel == "COURT" and b.anchor == unit.key]
        if courts:
            at = chain.paths[unit.key]
            items = [
                _body(b, "court", at.then(RelRef("LOCATED_IN", False), b.node)) for b in courts
            ]
            steps.append(("court", unit, items, None, "court-last", at))
            break
    out = []
    calendar = county_calendar(rules)  # the workflow's: its clocks count the same
    start: date | datetime | None = reported
    for order, (level, place, items, limit, rule, path) in enumerate(steps, start=1):
        day, instant = split_due(due_after(start, limit, calendar))
        start = runs_on(start, limit, calendar) if limit is not None else start
        out.append(
            EscalationStep(order, level, place, tuple(items), limit, day, instant, rule, path)
        )
    return tuple(out)


def _party_line(chain: Chain, bodies: list[FoundBody]) -> tuple[PartyLineStep, ...]:
    """From the lowest grid with a party organisation on it (COVERS), or else the lowest unit's
    organisation, up SUBORDINATE_TO through the organisations of the chain's units."""
    orgs: dict[str, FoundBody] = {}
    start: tuple[FoundBody, GraphPath, str] | None = None
    for grid in chain.grids:
        for b in bodies:
            if b.rel == "COVERS" and b.anchor == grid.key:
                orgs.setdefault(b.node.key, b)
                if start is None:
                    path = chain.paths[grid.key].then(RelRef("COVERS", False), b.node)
                    start = (b, path, "branch-on-grid")
    for unit in chain.units:
        for b in bodies:
            if b.rel == "LOCATED_IN" and b.node.label == "PartyOrg" and b.anchor == unit.key:
                orgs.setdefault(b.node.key, b)
                if start is None:
                    path = chain.paths[unit.key].then(RelRef("LOCATED_IN", False), b.node)
                    start = (b, path, "party-line-unit")
    if start is None:
        return ()
    body, path, rule = start
    line = [PartyLineStep(1, body.node, body.kind, body.level, tuple(body.holders), rule, path)]
    seen = {body.node.key}
    while body.via and body.via in orgs and body.via not in seen:
        body = orgs[body.via]
        seen.add(body.node.key)
        path = path.then(RelRef("SUBORDINATE_TO"), body.node)
        line.append(
            PartyLineStep(
                len(line) + 1,
                body.node,
                body.kind,
                body.level,
                tuple(body.holders),
                "party-line",
                path,
            )
        )
    return tuple(line)
