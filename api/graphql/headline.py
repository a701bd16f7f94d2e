"""The headline queries as root fields: `referral`, `expertPool` and `escalationPath`.

Each resolver checks its arguments (with the GraphQL names in the message), runs the query
function of `queries/` off the event loop, masks the answer for the caller and serves it as
it is: strawberry reads a field by attribute, and the types here mirror the result
dataclasses of `queries/` field for field (docs/queries.md), adding only their GraphQL
descriptions and the few fields computed from them (`GraphPath.text`, `Referral.warning` as
the enum). tests/api/test_graphql_answers.py fails when a dataclass field has no GraphQL field
or the other way round. Every item keeps its explanation: the `rule` that put it there and
the graph `path` behind it.

Personal data, as everywhere else in the API, goes through `Context.reveal` (`api.privacy`):

- a `NodeRef` of a Person: its name, masked unless the caller is an admin or a mediator in
  whose jurisdiction the person lives or serves;
- a `NodeRef` of a Dispute: its title, withheld unless the caller is an admin or a mediator
  in whose jurisdiction the dispute's grid lies;
- a `Contact`: the person's name and mobile, by the same rule as the person — a contact is a
  Person, and the API shows their mobile here exactly when `person(id:)` would show it.

Wherever they appear: steps, contacts, experts, exclusions and every node of every path.
`reason`, `detail` and `kind` texts name no person (they use ids), so they need no mask.

The caller's own mistakes — an id that names nothing (`NotFound`), an impossible combination
of arguments (`ValueError`) — come back as `BAD_USER_INPUT` with the argument at fault;
anything else (a bad rules file among them: `RulesError`, the server's) is masked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum
from functools import partial
from typing import Annotated, Any, TypeVar, cast

import strawberry

from api.answers import Personal
from api.graphql.context import READ_WORKERS, Info
from api.graphql.enums import Warning
from api.graphql.errors import QUERY_TIMEOUT, UserError
from api.graphql.fields import resolver
from graph.errors import QueryTimeout
from queries import escalation as q_escalation
from queries import experts as q_experts
from queries import explain
from queries import referral as q_referral
from queries.calendar import Unit
from queries.flow_rules import Limit
from queries.ladder import days_of
from queries.rules import RulesError

MAX_EXPERTS = 50
"""The most experts `expertPool(limit:)` ranks in one answer."""

T = TypeVar("T")

_PERSONAL_NAME = (
    "Personal data for a Person (their name, shown as the surname and 某) and a Dispute (its "
    "title, withheld as （已隐去）) unless the caller may see it: an admin, or a mediator whose "
    "jurisdiction holds the person (where they live or serve) or the dispute (its grid)."
)


def field(description: str) -> Any:
    return strawberry.field(description=description)


def arg(description: str) -> Any:
    return strawberry.argument(description=description)


def describe_values(enum: Any, **descriptions: str) -> None:
    """Describe each value of a GraphQL enum by its name: a StrEnum's values cannot be
    strawberry.enum_value, nor can those of an enum built from a tuple."""
    values = enum.__strawberry_definition__.values
    assert {v.name for v in values} == descriptions.keys(), enum
    for value in values:
        value.description = descriptions[value.name]


# -- the explanation: nodes, relationships, paths, contacts -------------------------------------


@strawberry.type(description="A node named in an answer: its type, its key and its name.")
class NodeRef:
    label: str = field("The node's type: Grid, Unit, Person, Department, Center, Dispute…")
    key: strawberry.ID = field(
        "Its key: the id, or the 12-digit code of a unit, or the code of a domain. Look it up "
        "with the lookup of its type (grid(id:), unit(code:)…)."
    )
    name: str = field("Its name; a dispute's title. " + _PERSONAL_NAME)


@strawberry.type(description="One relationship of a path, between the path's nodes i and i + 1.")
class RelRef:
    type: str = field("The relationship type: PART_OF, SERVES_IN, RELATED_TO…")
    forward: bool = field(
        "True when it points from node i to node i + 1 as stored; false when the path walks "
        "it backwards."
    )
    detail: str = field(
        "What matters on it for the explanation (family 嫂子 on RELATED_TO, applicant on "
        "PARTY_TO); empty when nothing does."
    )


@strawberry.type(
    description="A walk through the graph behind an item of an answer: the nodes and the "
    "relationships between them (one node more than relationships)."
)
class GraphPath:
    nodes: list[NodeRef] = field("The nodes, from where the walk starts to where it ends.")
    rels: list[RelRef] = field("The relationships, rels[i] between nodes[i] and nodes[i + 1].")

    @resolver(
        "The path written as Cypher: (Person 330421-P900001 沈某)-[:RELATED_TO family 嫂子]->"
        "(…), with the names as this caller may see them."
    )
    def text(self, root: strawberry.Parent[explain.GraphPath]) -> str:
        return str(root)


@strawberry.type(description="A person to call: who holds a post or role on the query's day.")
class Contact:
    person: NodeRef = field("Who: a Person (the name is personal data).")
    post: str = field(
        "The grid role (head, instructor, full_time…), the post (主任, 调解员, 局长…), or "
        "an expert's profession."
    )
    mobile: str | None = field(
        "Their mobile. Personal data: shown as 138****1234 unless the caller may see it (an "
        "admin, or a mediator whose jurisdiction holds the person: where they live or serve)."
    )
    since: date | None = field("The day the post began (valid_from); null when unknown.")
    until: date | None = field("The day the post ended (valid_to); null while it holds.")


# -- referral -----------------------------------------------------------------------------------


@strawberry.enum(description="The part an actor plays in a referral, in the order they act.")
class ReferralPart(StrEnum):
    FIRST_RESPONDER = "first_responder"
    HIGHER_GRID = "higher_grid"
    LIAISON_BODY = "liaison_body"
    CONSULTATION_TEAM = "consultation_team"
    URGENT_ARRIVAL = "urgent_arrival"
    RESPONSIBLE_DEPARTMENT = "responsible_department"
    MEDIATION_BODY = "mediation_body"
    PRE_COURT_STEP = "pre_court_step"
    COURT = "court"


describe_values(
    ReferralPart,
    FIRST_RESPONDER="The team of the grid where it happened (小事不出格), or the professional "
    "grid answering for the category at an organisation it supervises.",
    HIGHER_GRID="A grid above the first one, with the limit of the level it works at.",
    LIAISON_BODY="For an out-of-county grid: its home county's liaison bodies (the 4 of 4+X).",
    CONSULTATION_TEAM="For a group dispute or a warning colour of the rules' group.warnings: "
    "the county center's 3+X team and the departments concerned.",
    URGENT_ARRIVAL="For an urgent matter (突发事件): the responsible department's arrival on "
    "site, within the rules' referral.urgent_arrival.",
    RESPONSIBLE_DEPARTMENT="The department the responsibility-list item names, at the lowest "
    "level of the dispute's chain where one of its function is.",
    MEDIATION_BODY="A people's mediation committee (人民调解委员会): the village's, the town's, "
    "then the industry committee of the dispute's domain.",
    PRE_COURT_STEP="What the law puts before a suit for the category (劳动人事争议仲裁 for a "
    "labour dispute), held by the department of its function.",
    COURT="The court (法院), always and only last.",
)

# The workflow's own units (queries.calendar.Unit) are the GraphQL enum TimeUnit.
strawberry.enum(
    Unit,
    name="TimeUnit",
    description="The unit a time limit is counted in: wall-clock hours from the instant, "
    "working days (工作日) or calendar days (日).",
)
TimeUnit = Unit
describe_values(
    TimeUnit,
    HOURS="Wall-clock hours (小时), counted from the instant, nights and holidays included.",
    WORKING_DAYS="Working days (工作日): China's, without weekends and public holidays, with "
    "the make-up working days.",
    DAYS="Calendar days (日), weekends and holidays included.",
)


def _unit_of(root: strawberry.Parent[Limit]) -> Unit:
    return Unit(root.unit)


@strawberry.type(description="A time limit: an amount of hours, working days or calendar days.")
class TimeLimit:
    amount: int = field("How many hours or days.")
    unit: Unit = strawberry.field(description="What they are.", resolver=_unit_of)


def _days_of(root: Any) -> int | None:
    return days_of(root.limit)


TIME_LIMIT_DAYS = "Use limit { amount unit }: a limit may be in hours."


@strawberry.input(description="A dispute not (yet) in the graph, to refer.")
class DisputeDescription:
    place: str = field(
        "Where it happened: a grid id (330421-G0332); a village or community code "
        "(330421111206: every grid directly in it answers first); or the id of an "
        "organisation located in a grid (330421-O013, a factory in its dedicated grid)."
    )
    category: str | None = field(
        "Its category: a domain code (wages, medical, land…). Give it or listItem, or both."
    )
    list_item: str | None = field(
        "The responsibility-list item it falls under (L1-011). Give it or category, or both."
    )
    parties: int = strawberry.field(
        default=2,
        description="How many parties it has (at least 1); a group dispute from the rules' "
        "group.parties on.",
    )
    reported_on: date | None = field(
        "The day it was reported; reportedAt's day (China time), or asOf, when omitted."
    )
    warning: Warning | None = field(
        "Its warning colour; graded from parties by the rules' [warnings] when omitted."
    )
    reported_at: datetime | None = field(
        "The instant it was reported, from which limits in hours run (a naive time is China "
        "time); without it a limit in hours has no dueAt."
    )
    urgent: bool = strawberry.field(
        default=False,
        description="An urgent matter (突发事件): where the county's rules set "
        "referral.urgent_arrival (景宁: 1 hour), the responsible department's arrival on site "
        "is a step of its own.",
    )


@strawberry.type(description="One co-responsible actor of a referral, in order.")
class ReferralStep:
    order: int = field("1 for the first actor, then 2, 3…")
    part: ReferralPart = field("The part it plays.")
    level: str = field(
        "grid, or the level of the unit the actor serves: village, town, county, city."
    )
    actor: NodeRef = field("The grid, center, department or committee that acts.")
    contacts: list[Contact] = field("The people to call there, holding their post on asOf.")
    limit: TimeLimit | None = field(
        "The time this actor has, in hours, working days or days; null for the court."
    )
    time_limit_days: int | None = strawberry.field(
        description="The days this actor has; null for the court and for a limit in hours.",
        resolver=_days_of,
        deprecation_reason=TIME_LIMIT_DAYS,
    )
    due: date | None = field(
        "For a limit in days: the day by which it must have settled the dispute or passed it "
        "on, the report day plus the limits of this step and of the sequential steps before it "
        "(the responsible department's and an urgent arrival's run from the report); working "
        "days are China's (holidays, make-up working days), the day the workflow's clock for "
        "the same start and limit runs out on; null for a limit in hours and for the court."
    )
    due_at: datetime | None = field(
        "For a limit in hours: the instant it runs out, counted from the report's instant "
        "(reportedAt) as due is; null for a limit in days, or when only the report day is known."
    )
    rule: str = field(
        "The rule that put it here (grid-first, out-of-county-liaison, "
        "group-dispute-county-center, urgent-arrival, department-lowest-level, "
        "mediation-before-litigation, court-last: docs/queries.md)."
    )
    reason: str = field("Why the rule applies, in words (names no person).")
    path: GraphPath = field("From the dispute (or the described place) to the actor.")


@strawberry.type(description="Something the graph lacks for a whole referral, and where to add it.")
class ReferralGap:
    what: str = field("What is missing (no list item for the category, no department…).")
    add: str = field("Where to add it: the load file and the rows that would fill the gap.")


@strawberry.type(description="Who leads the matter at its severity tier (the rules' [severity]).")
class ReferralLead:
    tier: int = field("The severity tier, 1 the lowest.")
    actors: list[NodeRef] = field("The bodies that lead at this tier.")
    rule: str = field("The rule that decided it (severity-tier).")
    reason: str = field("Why, in words (names no person).")


def _warning_of(root: strawberry.Parent[q_referral.Referral]) -> Warning | None:
    return Warning(root.warning) if root.warning else None


@strawberry.type(
    description="Who is responsible for a dispute, in what order and by when: the ordered "
    "co-responsible actors, each explained by its rule and graph path."
)
class Referral:
    dispute: NodeRef | None = field("The dispute; null for a described one.")
    grid: NodeRef = field("The grid it occurred in (the first of a village's grids).")
    category: NodeRef | None = field("Its category (a Domain).")
    list_item: NodeRef | None = field(
        "The responsibility-list item that names the responsible department."
    )
    parties: int = field("How many parties it has.")

    warning: Warning | None = strawberry.field(
        description="Its warning colour, given or graded from the parties.",
        resolver=_warning_of,
    )
    group: bool = field(
        "Whether it is a group dispute (enough parties, or a warning colour the rules name): "
        "it then enters at the county center's consultation team."
    )
    reported_on: date = field("The day it was reported, from which the due days run.")
    reported_at: datetime | None = field(
        "The instant it was reported, from which limits in hours run; null when only the day "
        "is known (a dispute in the graph)."
    )
    urgent: bool = field("Whether it was described as urgent (突发事件).")
    as_of: date = field("The day whose posts and contacts the answer shows.")
    steps: list[ReferralStep] = field("The actors, in order: the grid team first, the court last.")
    missing: list[ReferralGap] = field(
        "What kept a part out of the referral (it degrades, never fails whole), and where to "
        "add it; empty when nothing is missing."
    )
    lead: ReferralLead | None = field(
        "Who leads at the matter's severity tier, where the county's rules grade severity."
    )


# -- expert pool ----------------------------------------------------------------------------------


@strawberry.type(description="One part of an expert's score: score = Σ value × weight.")
class ScorePart:
    name: str = field("domain, locality, load, rating or availability.")
    value: float = field("The part's value, 0 to 1.")
    weight: float = field("Its weight, from the rules' [experts.weights].")
    detail: str = field("What the value rests on (same town 330421111000, 0 open disputes…).")


@strawberry.type(description="An expert in rank order, with the score and what it rests on.")
class RankedExpert:
    rank: int = field("1 for the best, then 2, 3…; ties on the score are broken by id.")
    expert: NodeRef = field("The expert (a Person).")
    score: float = field("The weighted sum of the parts, 0 to 1.")
    parts: list[ScorePart] = field("The parts of the score.")
    domains: list[str] = field("The requested domain codes the expert has.")
    pools: list[NodeRef] = field("The expert pools the expert is in on asOf.")
    contact: Contact = field(
        "How to reach them: post is their profession; since/until their pool entry."
    )
    rule: str = field("expert-score.")
    path: GraphPath = field(
        "From a requested domain through the expert to a pool: "
        "(Domain)<-[:HAS_EXPERTISE]-(Person)-[:IN_POOL]->(ExpertPool)."
    )


@strawberry.type(description="A candidate left out of the ranking, and why.")
class ExcludedExpert:
    expert: NodeRef = field("The expert (a Person).")
    rule: str = field(
        "conflict-of-interest (tied to a party), not-available (no pool entry holds on "
        "asOf) or overloaded (too many open disputes)."
    )
    reason: str = field("Why, in words (names no person: ids only).")
    path: GraphPath = field(
        "For conflict-of-interest the tie: from the expert to the party and on to the "
        "dispute; otherwise the pool entry that failed, or the expert alone."
    )


@strawberry.type(
    description="Experts who can help with a dispute, ranked by one score, and those who must "
    "not, each with the rule and the path."
)
class ExpertRanking:
    domains: list[str] = field(
        "The domain codes asked for (with a dispute: its category and "
        "the related domains the rules add)."
    )
    place: NodeRef | None = field("The place locality is measured from: a grid or a unit.")
    dispute: NodeRef | None = field("The dispute whose parties the conflict check walks from.")
    as_of: date = field("The day pool entries, loads and ties are taken on.")
    ranked: list[RankedExpert] = field("The best experts, at most `limit`, best first.")
    excluded: list[ExcludedExpert] = field(
        "Every candidate left out, conflicts of interest first (shortest tie first), then "
        "not-available, then overloaded. Not cut by `limit`."
    )


# -- escalation path ------------------------------------------------------------------------------


@strawberry.enum(description="What a body does on a rung of the escalation ladder.")
class BodyRole(StrEnum):
    GRID_TEAM = "grid_team"
    LIAISON_BODY = "liaison_body"
    CENTER = "center"
    STATIONED_DEPARTMENT = "stationed_department"
    MEDIATION_COMMITTEE = "mediation_committee"
    PARTY_ORGANISATION = "party_organisation"
    PRE_COURT_BODY = "pre_court_body"
    COURT = "court"


describe_values(
    BodyRole,
    GRID_TEAM="A grid's team (网格员, 网格长…): the starting grid's, or a grid's above it.",
    LIAISON_BODY="A body of an out-of-county grid's home county it liaises with (LIAISES_WITH).",
    CENTER="A center with jurisdiction over the rung's unit (JURISDICTION, ESCALATES_TO).",
    STATIONED_DEPARTMENT="A department stationed at that center (STATIONED_AT).",
    MEDIATION_COMMITTEE="A people's mediation committee (人民调解委员会) in the rung's unit.",
    PARTY_ORGANISATION="A party organisation (党组织) in the rung's unit.",
    PRE_COURT_BODY="The department holding a step the law puts before a suit (劳动人事争议仲裁).",
    COURT="The court (法院) on the ladder's last rung.",
)


@strawberry.type(description="One body on a rung of the escalation ladder.")
class Body:
    node: NodeRef = field("The grid, center, department, committee or party organisation.")
    role: BodyRole = field("What it does on this rung.")
    kind: str = field(
        "The node's own kind: a grid's kind, a center's kind, a department's function, a "
        "committee's or party organisation's kind."
    )
    holders: list[Contact] = field("Who holds a post or role in it on asOf.")
    path: GraphPath = field(
        "From the starting grid to the body: up PART_OF, then JURISDICTION, ESCALATES_TO, "
        "STATIONED_AT, LOCATED_IN or LIAISES_WITH as it was found."
    )


@strawberry.type(description="One rung of the ladder: a grid, the liaison, a unit, or the court.")
class EscalationStep:
    order: int = field("1 for the starting grid, then 2, 3…")
    level: str = field("grid, liaison, a unit level (village, town, county, city…) or court.")
    place: NodeRef = field("The grid or unit of the rung.")
    bodies: list[Body] = field("The bodies found there.")
    limit: TimeLimit | None = field(
        "How long the rung has before the next one, in hours, working days or days; null for "
        "the court."
    )
    time_limit_days: int | None = strawberry.field(
        description="How many days the rung has; null for the court and for a limit in hours.",
        resolver=_days_of,
        deprecation_reason=TIME_LIMIT_DAYS,
    )
    due: date | None = field(
        "With a dispute and a limit in days: its report day plus the limits so far (working "
        "days are China's, as the workflow's clocks count them); otherwise null."
    )
    due_at: datetime | None = field(
        "With a limit in hours, the instant it runs out; null otherwise, and for a dispute in "
        "the graph, whose report is known only by its day."
    )
    rule: str = field(
        "grid-first, part-of-ladder, escalates-to, out-of-county-liaison or court-last "
        "(docs/queries.md)."
    )
    path: GraphPath = field("From the starting grid to the rung's place.")


@strawberry.type(description="One party organisation on the line from the grid's branch up.")
class PartyLineStep:
    order: int = field("1 for the branch the line starts at, then 2, 3…")
    org: NodeRef = field("The party organisation.")
    kind: str = field("Its kind: branch, general_branch, committee…")
    level: str = field("The level it is built at: grid, village, town, county…")
    leaders: list[Contact] = field("Who leads it on asOf, with their post (书记…).")
    rule: str = field("branch-on-grid, party-line-unit or party-line (docs/queries.md).")
    path: GraphPath = field("From the starting grid to the organisation.")


@strawberry.type(
    description="Where a dispute goes if it is not settled where it is: the ladder from a grid "
    "upward, and the party line beside it."
)
class Escalation:
    grid: NodeRef = field("The grid the ladder starts at.")
    dispute: NodeRef | None = field("The dispute, when the ladder was asked for one.")
    as_of: date = field("The day whose post-holders the answer shows.")
    ladder: list[EscalationStep] = field("The rungs, lowest first; the court last.")
    party_line: list[PartyLineStep] = field(
        "The party organisations from the grid's branch (支部建在网格上) up SUBORDINATE_TO."
    )


# -- masking --------------------------------------------------------------------------------------


async def reveal_result(info: Info, result: T) -> T:
    """A copy of a query result with its personal data as this caller may see it.

    Every Person and Dispute in it (NodeRefs and Contacts, paths included) goes through
    `Context.reveal`, as the records of every other field do: one jurisdiction check per type
    for a mediator, none for anyone else (`api.answers`).
    """
    personal = Personal(result)
    records = personal.records()
    shown = await asyncio.gather(
        *(info.context.reveal(label, rows) for label, rows in records.items())
    )
    if all(s == rows for s, rows in zip(shown, records.values(), strict=True)):
        return result  # shown as they are (an admin; a mediator's own): no copy to make
    return personal.shown(result, dict(zip(records, shown, strict=True)))


# -- running a query function -------------------------------------------------------------------


def served(graphql_type: type[T], answer: object) -> T:
    """The query's own answer, served as `graphql_type`, whose fields mirror it: strawberry
    resolves a field by reading the attribute of that name (or by the type's own resolver for
    the computed ones), so no copy is made."""
    return cast(T, answer)


async def _run(info: Info, argument: Callable[[str], str], fn: Callable[[], T]) -> T:
    """`fn()` off the event loop, its answer masked for the caller; the caller's mistakes as
    `UserError`s naming the argument at fault (`argument` picks it from the message)."""
    try:  # the threads the context's reads hop to: 15-40 µs less a hop than anyio's
        result = await asyncio.get_running_loop().run_in_executor(READ_WORKERS, fn)
    except QueryTimeout:
        raise UserError(
            "the query ran past the store's time limit (GOVGRAPH_QUERY_TIMEOUT_MS); ask for "
            "fewer domains or a smaller limit",
            code=QUERY_TIMEOUT,
        ) from None
    except explain.NotFound as exc:
        at = argument(str(exc))
        raise UserError(f"{at}: {exc}", argument=at) from None
    except RulesError:
        raise  # the server's rules file, not the caller's mistake: masked
    except OverflowError:
        raise UserError(
            "asOf: a due day would fall after 9999-12-31; give asOf (and a description's "
            "reportedOn) in this era",
            argument="asOf",
        ) from None
    except ValueError as exc:
        at = argument(str(exc))
        raise UserError(f"{at}: {exc}", argument=at) from None
    return await reveal_result(info, result)


def _one_of(first: tuple[str, object], second: tuple[str, object], what: str) -> None:
    if (first[1] is None) == (second[1] is None):
        raise UserError(
            f"{first[0]}: give exactly one of {first[0]} or {second[0]} ({what})",
            argument=first[0],
        )


async def _known_domains(info: Info, codes: list[str]) -> None:
    """A clear error when a domain code names no domain (the query would find no expert)."""
    rows = await info.context.loaders.node("Domain").load_many(codes)
    missing = [c for c, row in zip(codes, rows, strict=True) if row is None]
    if missing:
        raise UserError(
            f"domains: there is no Domain with code {missing[0]!r}; list them with "
            "domains { items { code name } }",
            argument="domains",
        )


AsOfDay = Annotated[
    date | None,
    arg(
        "The day the answer is for: the posts, memberships, pool entries and ties that hold "
        "on it, the disputes reported by it. Today when omitted."
    ),
]


@strawberry.type(description="The three headline queries, each answer explained.")
class HeadlineQueries:
    @resolver(
        "Who is responsible for a dispute, in what order and by when: the ordered "
        "co-responsible actors (the grid team first, the court last), each with its time "
        "limit, due day, contacts, rule and path. Give disputeId for a dispute in the graph "
        "or description for one that is not. Contacts' names and mobiles, and the dispute's "
        "title, are personal data (masked as on Person and Dispute)."
    )
    async def referral(
        self,
        info: Info,
        dispute_id: Annotated[
            strawberry.ID | None, arg("A dispute in the graph, e.g. 330421-D900001.")
        ] = None,
        description: Annotated[
            DisputeDescription | None, arg("A dispute not (yet) in the graph.")
        ] = None,
        as_of: AsOfDay = None,
    ) -> Referral | None:
        _one_of(
            ("disputeId", dispute_id),
            ("description", description),
            "a dispute in the graph, or the description of one that is not",
        )
        described: q_referral.DisputeDescription | None = None
        if description is not None:
            if not description.category and not description.list_item:
                raise UserError(
                    "description: give a category (a domain code such as wages or medical) "
                    "or a listItem (a responsibility-list item id such as L1-011)",
                    argument="description",
                )
            if description.parties < 1:
                raise UserError(
                    f"description: a dispute has at least one party, not {description.parties}",
                    argument="description",
                )
            described = q_referral.DisputeDescription(
                place=description.place,
                category=description.category,
                list_item=description.list_item,
                parties=description.parties,
                reported_on=description.reported_on,
                warning=description.warning.value if description.warning else None,
                reported_at=description.reported_at,
                urgent=description.urgent,
            )
        at = "disputeId" if dispute_id is not None else "description"
        found = await _run(
            info,
            lambda _: at,
            partial(
                q_referral.referral,
                info.context.backend,
                dispute_id=dispute_id,
                description=described,
                as_of=as_of,
            ),
        )
        return served(Referral, found)

    @resolver(
        "Which experts can help with a dispute or in some domains, ranked by one score (domain, "
        "locality, load, rating, availability), and who must not, each with the rule "
        "(conflict-of-interest: tied to a party; not-available; overloaded) and the path. "
        "Give domains, or a disputeId whose category gives them. Names and mobiles are "
        "personal data (masked as on Person)."
    )
    async def expert_pool(
        self,
        info: Info,
        domains: Annotated[
            list[str] | None,
            arg(
                "Domain codes (medical, finance…); with a disputeId, its category and the "
                "related domains the rules add when omitted."
            ),
        ] = None,
        dispute_id: Annotated[
            strawberry.ID | None,
            arg(
                "A dispute: its category gives the domains, its grid the place, and experts "
                "tied to its parties are excluded (conflict of interest)."
            ),
        ] = None,
        place: Annotated[
            str | None,
            arg(
                "Where locality is measured from: a grid id or a unit's 12-digit code "
                "(330421111000). The dispute's grid when omitted."
            ),
        ] = None,
        limit: Annotated[
            int | None,
            arg(
                f"How many experts to rank: 1 to {MAX_EXPERTS}; the rules' experts.limit (10) "
                "when omitted."
            ),
        ] = None,
        as_of: AsOfDay = None,
        include_shared: Annotated[
            bool | None,
            arg(
                "Whether experts only in a shared pool (the tri-region pool) are candidates; "
                "the rules' experts.include_shared when omitted."
            ),
        ] = None,
    ) -> ExpertRanking | None:
        wanted = list(dict.fromkeys(domains or ()))
        if not wanted and dispute_id is None:
            raise UserError(
                'domains: give domains (e.g. ["medical"]) or a disputeId whose category gives '
                'them (e.g. "330421-D900001")',
                argument="domains",
            )
        if limit is not None and not 1 <= limit <= MAX_EXPERTS:
            raise UserError(
                f"limit: {limit} is outside 1..{MAX_EXPERTS}; ask for at most {MAX_EXPERTS} "
                "experts",
                argument="limit",
            )
        if wanted:
            await _known_domains(info, wanted)

        def at(message: str) -> str:
            if dispute_id is not None and (place is None or "dispute" in message):
                return "disputeId"
            return "place"

        found = await _run(
            info,
            at,
            partial(
                q_experts.expert_pool,
                info.context.backend,
                domains=tuple(wanted),
                dispute_id=dispute_id,
                place=place,
                limit=limit,
                as_of=as_of,
                include_shared=include_shared,
            ),
        )
        return served(ExpertRanking, found)

    @resolver(
        "Where a dispute goes if it is not settled where it is: the ladder from a grid upward "
        "(its grids, then village, town, county… with the centers, stationed departments, "
        "mediation committees and party organisations found there, the court last) and the "
        "party line beside it. Give gridId, or disputeId for the ladder of the grid it "
        "occurred in (with due days from its report day). Post-holders' names and mobiles are "
        "personal data (masked as on Person)."
    )
    async def escalation_path(
        self,
        info: Info,
        grid_id: Annotated[
            strawberry.ID | None, arg("The grid to start at, e.g. 330421-M08315.")
        ] = None,
        dispute_id: Annotated[
            strawberry.ID | None,
            arg("A dispute: the ladder starts at its grid, and due days run from its report day."),
        ] = None,
        as_of: AsOfDay = None,
    ) -> Escalation | None:
        _one_of(
            ("gridId", grid_id),
            ("disputeId", dispute_id),
            "a dispute's ladder starts at the grid it occurred in",
        )
        at = "gridId" if grid_id is not None else "disputeId"
        found = await _run(
            info,
            lambda _: at,
            partial(
                q_escalation.escalation_path,
                info.context.backend,
                grid_id=grid_id,
                dispute_id=dispute_id,
                as_of=as_of,
            ),
        )
        return served(Escalation, found)
