"""The API's side of the dispute workflow: who the caller is to it, the facts looked up in the
graph for a command, and the act itself (GraphQL's mutations and `govgraph act` call these);
and the names of a dispute's actors, as a caller may see them (`names`: for GraphQL, the
command line and the work queue's search).

`workflow.decide` is pure: it is given `Facts` (docs/workflow.md). They are looked up here:
whether the dispute's grid lies in the caller's jurisdiction (a mediator's scope; an admin's
is everywhere; a grid worker's is their grid and the grids inside it), whether the caller is a
party, the level of the first target and the responsibility-list item's time limit, the
ladder's next rung (escalate), the expert pool's verdict (claim, order) and offer (offer), and
one party's visits (report). Writes go through `workflow.store.EventStore`, whose append is
one transaction and whose version key refuses the second writer of a version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from api.auth import Caller as ApiCaller
from api.auth import Role
from api.graphql.within import grid_within
from api.privacy import reveal_read
from graph.backend import Backend
from graph.ddl import ident
from graph.places import DEEPEST, units_of
from graph.schema import SCHEMA
from loaders.read import RawRow
from loaders.validate import RowValidator
from queries.calendar import CHINA_TIME, Calendar, county_calendar
from queries.escalation import escalation_path
from queries.experts import expert_pool
from queries.flow_rules import ACTIONS
from queries.ladder import load_chain
from queries.rules import Rules, load_rules
from workflow.context import HOLDERS, twice_named
from workflow.decide import decide
from workflow.model import Caller, Command, Facts, Problem, Ref, Refusal, Rung, UserError
from workflow.model import report_id as new_report_id
from workflow.notify import Notification, Outbox
from workflow.state import DisputeState, replay
from workflow.store import EventStore, Outcome
from workflow.timers import run_timers

STANDING = {
    Problem.WRONG_ROLE,
    Problem.OUT_OF_SCOPE,
    Problem.NOT_HOLDER,
    Problem.NOT_SUMMONED,
    Problem.NOT_A_PARTY,
    Problem.NOT_IN_DOMAIN,
    Problem.NOT_ALLOWED_IN_STATE,
    Problem.NOT_FOR_KIND,
    Problem.NOT_FOUND,
}
"""The refusals that say an action is not this caller's to take now (allowed_actions)."""

OFFERED = 5  # experts the pool offers the parties


def refusal(problem: Problem, message: str, field: str | None = None) -> Refusal:
    return Refusal((UserError(problem, message, field),))


def workflow_caller(caller: ApiCaller) -> Caller | None:
    """The caller as the workflow sees it; None for a token that names no person and role."""
    if not caller.person or not caller.workflow_role:
        return None
    unit = Ref.parse(caller.unit) if caller.unit else None
    scope = {Role.MEDIATOR: caller.scope, Role.ADMIN: ""}.get(caller.role)
    return Caller(Ref("Person", caller.person), caller.workflow_role, unit, scope)


NOT_ACTING = refusal(
    Problem.WRONG_ROLE,
    "your token names no person and workflow role: ask for a token created with --person, "
    "--unit and --workflow-role to act on disputes",
)


def now_in_china() -> datetime:
    return datetime.now(CHINA_TIME)


# -- rules and places --------------------------------------------------------------------------


def county_of(backend: Backend, grid: str) -> str | None:
    return load_chain(backend, grid).county


def rules_for(backend: Backend, grid: str | None) -> tuple[Rules, Calendar]:
    """The rules and calendar of the county `grid` lies in (the defaults for none)."""
    return rules_by_grid(backend, [grid])[grid]


def rules_by_grid(
    backend: Backend, grids: Iterable[str | None]
) -> dict[str | None, tuple[Rules, Calendar]]:
    """`rules_for` each of `grids` at once: the county of each from the unit it lies in, at
    any depth (one walk up for all, `graph.places.units_of`; the rules go by the unit code's
    first six digits), not a ladder read per grid."""
    asked = set(grids)
    units = units_of(backend.read, {g for g in asked if g})
    found = {g: load_rules(units.get(g) if g else None) for g in asked}
    return {g: (rules, county_calendar(rules)) for g, rules in found.items()}


def place_of(backend: Backend, dispute: str, state: DisputeState | None) -> str | None:
    if state is not None and state.report.get("place"):
        return str(state.report["place"])
    rows = backend.read(
        "MATCH (:Dispute {id: $id})-[:OCCURRED_IN]->(g:Grid) RETURN g.id AS id", {"id": dispute}
    )
    return rows[0]["id"] if rows else None


# -- facts -----------------------------------------------------------------------------------


def in_scope(backend: Backend, caller: Caller, grid: str | None) -> bool:
    """Whether `grid` lies in the caller's jurisdiction: a scope prefix ("" for an admin), or
    for a grid worker acting for a grid, that grid and the grids inside it, at any depth."""
    if grid is None:
        return False
    if caller.scope == "":
        return True
    if caller.scope:
        rows = backend.read(
            "MATCH (n:Grid {id: $grid}) WHERE " + grid_within("(n)", "scope") + " RETURN n.id",
            {"grid": grid, "scope": caller.scope},
        )
        return bool(rows)
    unit = caller.unit
    if unit is None or unit.kind != "Grid":
        return False
    if unit.id == grid:
        return True
    rows = backend.read(  # at any depth: 苏州 nests grids four levels deep
        "MATCH (:Grid {id: $grid})-[:PART_OF*1.." + str(DEEPEST) + "]->(p:Grid {id: $unit}) "
        "RETURN p.id LIMIT 1",
        {"grid": grid, "unit": unit.id},
    )
    return bool(rows)


def level_of(backend: Backend, ref: Ref) -> str | None:
    """The level a holder works at, as the rules' time limits name levels."""
    if ref.kind == "Grid":
        return "grid"
    if ref.kind not in ("Center", "Department", "MediationOrg"):
        return None
    node = SCHEMA.node(ref.kind)
    rows = backend.read(
        "MATCH (n:" + node.label + " {" + node.key + ": $key}) RETURN n.level AS level",
        {"key": ref.id},
    )
    return rows[0]["level"] if rows and rows[0]["level"] else None


def _list_item(backend: Backend, dispute: str, state: DisputeState | None) -> str | None:
    if state is not None and state.report.get("list_item"):
        return str(state.report["list_item"])
    rows = backend.read(
        "MATCH (:Dispute {id: $id})-[:CLASSIFIED_AS]->(i:ListItem) RETURN i.id AS id",
        {"id": dispute},
    )
    return rows[0]["id"] if rows else None


def _item_limit(backend: Backend, item: str, target: Ref | None) -> tuple[int, str] | None:
    """The list item's time limit, the responsible department's own where it has one."""
    if target is not None and target.kind == "Department":
        rows = backend.read(
            "MATCH (:Department {id: $d})-[r:RESPONSIBLE_FOR]->(:ListItem {id: $i}) "
            "RETURN r.time_limit_days AS days",
            {"d": target.id, "i": item},
        )
        if rows and rows[0]["days"] is not None:
            return int(rows[0]["days"]), f"list item {item} ({target.id})"
    rows = backend.read("MATCH (i:ListItem {id: $i}) RETURN i.time_limit_days AS days", {"i": item})
    if rows and rows[0]["days"] is not None:
        return int(rows[0]["days"]), f"list item {item}"
    return None


def next_rung_of(backend: Backend, grid: str, state: DisputeState, rules: Rules) -> Rung | None:
    """The ladder's first rung with a body above the level the dispute is held at."""
    ladder = escalation_path(backend, grid_id=grid, rules=rules).ladder
    level = state.holding.level if state.holding else None
    at = next((i for i, step in enumerate(ladder) if step.level == level), 0)
    for step in ladder[at + 1 :]:
        for body in step.bodies:
            if body.node.label in (*HOLDERS, "Organisation"):
                return Rung(step.level, Ref(body.node.label, body.node.key))
    return None


def _pool(backend: Backend, dispute: str, rules: Rules) -> tuple[list[str], dict[str, str]]:
    """The expert pool for the dispute: ranked experts' keys, and the conflicts found."""
    try:
        pool = expert_pool(backend, dispute_id=dispute, rules=rules)
    except (LookupError, ValueError):
        return [], {}
    conflicts = {e.expert.key: e.reason for e in pool.excluded if e.rule == "conflict-of-interest"}
    return [r.expert.key for r in pool.ranked], conflicts


def _visits(backend: Backend, parties: Sequence[Ref], now: datetime, rules: Rules) -> int:
    people = [p.id for p in parties if p.kind == "Person"]
    if not people:
        return 0
    since = (now - timedelta(days=rules.warnings.visits_days)).date()
    rows = backend.read(
        "UNWIND $people AS p MATCH (q:Person {id: p}) OPTIONAL MATCH (q)-[:PARTY_TO]->(d:Dispute) "
        "WHERE d.reported_on >= $since RETURN p AS person, count(d) AS n",
        {"people": people, "since": since},
    )
    return 1 + max((int(r["n"]) for r in rows), default=0)


def look_up(
    backend: Backend,
    command: Command,
    state: DisputeState | None,
    grid: str | None,
    rules: Rules,
    now: datetime,
) -> Facts:
    """The facts `command` needs, read from the graph."""
    caller, action = command.caller, command.action
    facts: dict[str, Any] = {"in_scope": in_scope(backend, caller, grid)}
    if state is not None:
        parties = {str(p) for p in state.report.get("party_ids", ())}
        facts["is_party"] = str(caller.actor) in parties or bool(
            backend.read(
                "MATCH (:Person {id: $p})-[:PARTY_TO]->(:Dispute {id: $d}) RETURN 1 AS one",
                {"p": caller.actor.id, "d": command.dispute},
            )
        )
    target = command.targets[0] if command.targets else None
    if target is not None:
        facts["target_level"] = level_of(backend, target)
    if action in ("accept", "dispatch"):
        item = _list_item(backend, command.dispute, state)
        limit = _item_limit(backend, item, target) if item else None
        if limit is not None:
            facts["time_limit_days"], facts["limit_source"] = limit
    if action == "report":
        named = [Ref.parse(p) for p in command.data.get("party_ids", ())]
        facts["visits"] = _visits(backend, named, now, rules)
    if action == "escalate" and state is not None and grid is not None:
        facts["next_rung"] = next_rung_of(backend, grid, state, rules)
    if action in ("claim", "order", "offer"):
        ranked, conflicts = _pool(backend, command.dispute, rules)
        if action == "offer":
            facts["offered"] = tuple(Ref("Person", k) for k in ranked[:OFFERED])
        who = caller.actor.id if action == "claim" else (target.id if target else "")
        facts["in_domain"] = who in ranked or who in conflicts
        facts["conflict"] = conflicts.get(who)
    return Facts(**facts)


# -- acting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Acted:
    dispute: str
    result: Outcome | Refusal


def act(
    backend: Backend,
    caller: ApiCaller,
    dispute: str,
    action: str,
    expected_version: int,
    idempotency_key: str,
    *,
    targets: Sequence[str] = (),
    reason: str | None = None,
    data: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Acted:
    """Take `action` on `dispute` as `caller`: the outcome, or the rules it breaks."""
    who = workflow_caller(caller)
    if who is None:
        return Acted(dispute, NOT_ACTING)
    if action == "report" or action not in ACTIONS:
        return Acted(
            dispute,
            refusal(
                Problem.UNKNOWN_ACTION,
                f"{action!r} is not an action on a dispute (a report is reportDispute)",
                "action",
            ),
        )
    refs = parse_refs(targets)
    if isinstance(refs, Refusal):
        return Acted(dispute, refs)
    if refs and (gone := absent(backend, refs, "targets")):
        return Acted(dispute, gone)
    if not idempotency_key.strip():
        return Acted(
            dispute, refusal(Problem.INVALID_INPUT, "give an idempotency key", "idempotencyKey")
        )
    now = now or now_in_china()
    store = EventStore(backend)
    state = replay(store.log(dispute))
    if state is None:
        return Acted(
            dispute,
            refusal(Problem.NOT_FOUND, f"dispute {dispute!r} has no workflow log", "disputeId"),
        )
    grid = place_of(backend, dispute, state)
    rules, calendar = rules_for(backend, grid)
    command = Command(
        dispute, action, who, expected_version, idempotency_key, refs, reason, dict(data or {})
    )
    facts = look_up(backend, command, state, grid, rules, now)
    return Acted(dispute, store.act(command, facts, now, rules, calendar))


def parse_refs(texts: Sequence[str]) -> tuple[Ref, ...] | Refusal:
    """Targets written Label:key, each label one the schema has."""
    labels = {n.label for n in SCHEMA.nodes}
    refs = []
    for text in texts:
        ref = Ref.parse(text)
        if ref.kind not in labels or not ref.id:
            return refusal(
                Problem.INVALID_INPUT,
                f"a target is written Label:key, e.g. Department:dept-330421-health, not {text!r}",
                "targets",
            )
        refs.append(ref)
    return tuple(refs)


def absent(backend: Backend, refs: Sequence[Ref], field: str) -> Refusal | None:
    """Why `refs` cannot be acted on when one names no node: a dispute handed, summoned or
    tied to nobody would wait for someone who never comes."""
    found: set[Ref] = set()
    for label in sorted({r.kind for r in refs}):
        key = ident(SCHEMA.node(label).key)
        rows = backend.read(
            "UNWIND $keys AS k MATCH (n:" + ident(label) + " {" + key + ": k}) RETURN n." + key
            + " AS key",
            {"keys": sorted({r.id for r in refs if r.kind == label})},
        )  # fmt: skip
        found.update(Ref(label, str(row["key"])) for row in rows)
    missing = [f"no {r.kind} with key {r.id!r}" for r in refs if r not in found]
    return refusal(Problem.INVALID_INPUT, "; ".join(missing), field) if missing else None


def names(backend: Backend, caller: ApiCaller, refs: Iterable[Ref]) -> dict[Ref, str]:
    """Each of `refs` with its name (a dispute's title), a person's as `caller` may see it
    (`api.privacy`); "" for a ref to no node, or of a kind with no name (System)."""
    out = dict.fromkeys(refs, "")
    nodes = {n.label: n for n in SCHEMA.nodes}
    for label in sorted({r.kind for r in out} & nodes.keys()):
        node = nodes[label]
        held = {p.name for p in node.properties}
        named_by = next((n for n in ("name", "title") if n in held), None)
        if named_by is None:
            continue
        key, name = ident(node.key), ident(named_by)
        rows = backend.read(
            "UNWIND $keys AS k MATCH (n:" + ident(label) + " {" + key + ": k}) "
            "RETURN n." + key + " AS " + key + ", n." + name + " AS " + name,
            {"keys": sorted(r.id for r in out if r.kind == label)},
        )
        for row in reveal_read(backend, caller, label, rows):
            out[Ref(label, str(row[key]))] = str(row[name] or "")
    return out


@dataclass(frozen=True)
class NewParty:
    """A party who is not in the graph yet, as the 登记 form gives them."""

    name: str
    id_number: str | None = None
    mobile: str | None = None
    gender: str | None = None


def _person_rows(
    parties: Sequence[NewParty], who: Caller, key: str
) -> list[dict[str, Any]] | Refusal:
    """The new people as the loaders validate a people file's rows; each id derived from the
    report's key, so a retried report writes the same people again."""
    node = SCHEMA.node("Person")
    columns = ["id", "name", "gender", "id_number", "mobile"]
    validator = RowValidator(node, columns, traditional=False)
    rows, errors = [], []
    for i, p in enumerate(parties):
        digest = hashlib.sha256(f"{who.actor}\x1f{key}\x1f{i}".encode()).hexdigest()[:12]
        cells = {
            "id": f"P-W{digest.upper()}",
            "name": p.name,
            "gender": p.gender or "",
            "id_number": p.id_number or "",
            "mobile": p.mobile or "",
        }
        values, problems = validator.validate(RawRow(i + 1, cells))
        errors += [
            UserError(Problem.INVALID_INPUT, f"{x.reason} ({x.value!r})", f"parties.{i}.{x.column}")
            for x in problems
        ]
        rows.append({c: values.get(c) for c in columns} | {"source": "workflow"})
    return Refusal(tuple(errors)) if errors else rows


def report(
    backend: Backend,
    caller: ApiCaller,
    idempotency_key: str,
    *,
    kind: str,
    title: str,
    place: str,
    category: str | None,
    channel: str,
    list_item: str | None = None,
    description: str | None = None,
    receiver: str | None = None,
    parties: Sequence[str] = (),
    new_parties: Sequence[NewParty] = (),
    now: datetime | None = None,
) -> Acted:
    """Report a dispute (or an event): existing parties by `Label:key`, new ones validated as
    the loaders validate people. The dispute's id derives from the reporter and the key."""
    who = workflow_caller(caller)
    if who is None:
        return Acted("", NOT_ACTING)
    if not idempotency_key.strip():
        return Acted(
            "", refusal(Problem.INVALID_INPUT, "give an idempotency key", "idempotencyKey")
        )
    if not backend.read("MATCH (g:Grid {id: $id}) RETURN g.id AS id", {"id": place}):
        return Acted("", refusal(Problem.INVALID_INPUT, f"no grid with id {place!r}", "place"))
    domain = None
    if category:
        found = backend.read(
            "MATCH (d:Domain) WHERE d.code = $c OR d.name = $c RETURN d.code AS code",
            {"c": category},
        )
        if not found:
            return Acted(
                "",
                refusal(
                    Problem.INVALID_INPUT,
                    f"no category {category!r}: give a domain's code or its Chinese name",
                    "category",
                ),
            )
        domain = found[0]["code"]
    known = parse_refs(parties)
    if isinstance(known, Refusal):
        return Acted("", known)
    if twice := twice_named(known):
        return Acted("", refusal(Problem.INVALID_INPUT, twice, "parties"))
    if known and (gone := absent(backend, known, "parties")):
        return Acted("", gone)
    rows = _person_rows(new_parties, who, idempotency_key)
    if isinstance(rows, Refusal):
        return Acted("", rows)
    target: Ref
    if receiver:
        got = parse_refs([receiver])
        if isinstance(got, Refusal):
            return Acted("", got)
        if gone := absent(backend, got, "receiver"):
            return Acted("", gone)
        target = got[0]
    elif who.unit is not None and who.unit.kind in HOLDERS:
        target = who.unit
    else:
        target = Ref("Grid", place)
    now = now or now_in_china()
    rules, calendar = rules_for(backend, place)
    county = county_of(backend, place) or place[:6]
    dispute = new_report_id(county, who, idempotency_key)
    party_ids = [str(r) for r in known] + [f"Person:{r['id']}" for r in rows]
    data: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "place": place,
        "channel": channel,
        "parties": len(party_ids),
        "party_ids": party_ids,
    }
    for name, value in (
        ("category", domain),
        ("list_item", list_item),
        ("description", description),
    ):
        if value:
            data[name] = value
    command = Command(dispute, "report", who, 0, idempotency_key, (target,), None, data)
    facts = look_up(backend, command, None, place, rules, now)
    if rows and EventStore(backend).log(dispute) == ():
        # The new people are written before the report's event (which ties them to it): a
        # report refused by its own fields (a title, a channel, a receiver) leaves none.
        early = decide(None, command, facts, now, rules, calendar)
        if isinstance(early, Refusal):
            return Acted(dispute, early)
        backend.upsert_nodes(SCHEMA.node("Person"), rows, bulk=False)
    return Acted(dispute, EventStore(backend).act(command, facts, now, rules, calendar))


# -- what a caller may do now ------------------------------------------------------------------


def allowed_actions(
    backend: Backend, caller: ApiCaller, state: DisputeState, now: datetime | None = None
) -> list[str]:
    """The actions whose common checks this caller passes now (no event is appended)."""
    who = workflow_caller(caller)
    if who is None:
        return []
    now = now or now_in_china()
    grid = place_of(backend, state.id, state)
    rules, calendar = rules_for(backend, grid)
    facts = look_up(
        backend, Command(state.id, "rate", who, state.version, "-"), state, grid, rules, now
    )
    out = []
    for action in ACTIONS:
        if action == "report":
            continue
        data = {}
        if action in ("approve", "refuse"):
            if not state.waiting:
                continue
            data = {"request": state.waiting[0].version}
        probe = Command(state.id, action, who, state.version, "-", data=data)
        if action == "claim" and state.state == "open":
            facts = look_up(backend, probe, state, grid, rules, now)
        result = decide(state, probe, facts, now, rules, calendar)
        if isinstance(result, Refusal) and any(e.code in STANDING for e in result.errors):
            continue
        out.append(action)
    return out


# -- the timers ------------------------------------------------------------------------------


def tick(backend: Backend, now: datetime | None = None) -> list[Notification]:
    """One pass of the timers over every dispute with a log (`govgraph tick`, for cron): the
    escalations and notifications due by `now`, each carried out once however often it runs
    (`workflow.timers`); each dispute with its county's rules and calendar, and escalated to
    its ladder's next rung."""
    now = now or now_in_china()
    places: dict[str, str | None] = {}
    by_place: dict[str | None, tuple[Rules, Calendar]] = {}
    calendars: dict[int, Calendar] = {}  # by the rules' identity

    def rules_of(state: DisputeState) -> Rules:
        if state.id not in places:
            places[state.id] = place_of(backend, state.id, state)
        grid = places[state.id]
        if grid not in by_place:
            by_place[grid] = rules_for(backend, grid)
            calendars[id(by_place[grid][0])] = by_place[grid][1]
        return by_place[grid][0]

    def calendar_for(rules: Rules) -> Calendar:
        return calendars.get(id(rules)) or county_calendar(rules)

    def next_rung(state: DisputeState) -> Rung | None:
        rules, grid = rules_of(state), places[state.id]
        return next_rung_of(backend, grid, state, rules) if grid else None

    return run_timers(
        EventStore(backend),
        Outbox(backend),
        now,
        rules_of,
        calendar_for,
        next_rung,
    )
