"""The dispute workflow in GraphQL: `me`, `workQueue`, `queueChanges`, `Dispute.workflow`, and
the mutations `reportDispute` and `actOnDispute` (docs/page.md, phase 2; docs/workflow.md).

A mutation takes one input object with `expectedVersion` and `idempotencyKey` and returns a
payload: the dispute, the event appended (on a replay, the first one) and typed `userErrors`
(`WorkflowProblem`: STALE_VERSION, WRONG_ROLE, OUT_OF_SCOPE, NOT_ALLOWED_IN_STATE,
REASON_MISSING…). Rule violations are data, never GraphQL errors. Every mutation, accepted or
refused, is written to the audit log (api/audit.py).
"""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import Annotated, Any, cast

import strawberry
from starlette.concurrency import run_in_threadpool

from api import acting, privacy, queue
from api.audit import AuditRecord
from api.graphql.context import Info
from api.graphql.enums import DisputeChannel, DisputeOutcome, SettledLevel, Warning
from api.graphql.errors import UserError as GraphQLUserError
from api.graphql.fields import mutation, resolver
from api.graphql.headline import NodeRef, describe_values
from api.graphql.pagination import PageInfo
from api.graphql.types import Dispute
from api.measures import LEVELS, OpenCounts, workflow_measures
from graph.backend import Backend
from queries.flow_rules import ACTIONS, STATES
from queries.referral import referral
from queries.rules import Rules
from workflow.clocks import Clock as DomainClock
from workflow.context import HOLDERS
from workflow.model import Event, Problem, Ref, Refusal
from workflow.notify import Outbox
from workflow.state import DisputeState, replay
from workflow.store import EventStore

WorkflowProblem = strawberry.enum(
    Problem, name="WorkflowProblem", description="Why a request was refused (workflow.model)."
)
WorkflowAction: Any = strawberry.enum(
    cast(Any, enum.Enum)("WorkflowAction", {a.upper(): a for a in ACTIONS if a != "report"}),
    description="An action on a dispute after its report (docs/workflow.md).",
)

WorkflowState: Any = strawberry.enum(
    cast(Any, enum.Enum)("WorkflowState", {v.upper(): v for v in STATES}),
    description="A dispute's state in the workflow (docs/workflow.md).",
)
describe_values(
    WorkflowProblem,
    STALE_VERSION="expectedVersion is not the dispute's version: it changed since; read it again.",
    UNKNOWN_ACTION="No such action.",
    NOT_FOUND="No dispute of that id has a workflow log.",
    DISPUTE_EXISTS="A dispute of that id was reported already.",
    WRONG_ROLE="The caller's workflow role may not take the action (the message lists who may).",
    OUT_OF_SCOPE="The dispute lies outside the caller's jurisdiction.",
    NOT_HOLDER="The caller's unit does not hold the dispute.",
    NOT_SUMMONED="The caller's department was not summoned by a whistle nor sent to arrive.",
    NOT_A_PARTY="The caller is not a party to the dispute.",
    NOT_IN_DOMAIN="The open order's domain is not one of the caller's.",
    CONFLICT_OF_INTEREST="The expert pool excludes the caller, or the one picked, for a conflict "
    "of interest (回避).",
    NOT_ALLOWED_IN_STATE="Not allowed in the dispute's state (the message lists those that allow "
    "it).",
    NOT_FOR_KIND="Not for an event (部件/事件): an event is never offered, sent to mediation or "
    "to a court.",
    REASON_MISSING="The action needs a reason.",
    PAST_WINDOW="Too late to reopen: past the rules' reopen_within of closing, with no failed "
    "call-back or check.",
    PAST_DEADLINE="An extension is asked before the holding's due time, not after.",
    LIMIT_REACHED="The holding has had (or asked for) the rules' max_extensions extensions.",
    NO_PENDING_REQUEST="request names no request waiting for approval.",
    SELF_APPROVAL="The unit that asked may not approve its own request.",
    INVALID_INPUT="An input is missing or wrong (field names it), or names no node; or a clock "
    "it would start cannot be counted.",
    IDEMPOTENCY_KEY_REUSED="The caller used the idempotencyKey on this dispute for another "
    "request.",
)
describe_values(
    WorkflowAction,
    ACCEPT="受理: the receiving center or grid team takes the report on.",
    DISPATCH="派单: send one order to a grid team, department, committee or center (targets); "
    "urgent adds the arrival clock (limits.arrive: 1 hour).",
    OFFER="Open the order to claims (抢单) and to the parties' pick (点单). Disputes only.",
    SIGN="签收: sign for an order and start handling it, or take the matter on oneself.",
    CLAIM="抢单: an expert or mediator of the order's domain takes the open order. Disputes only.",
    ORDER="点单: a party picks one of those the expert pool offered. Disputes only.",
    RECORD="处置/跟踪: keep what was done (result).",
    BOUNCE="退单: return the order to whoever sent it, naming the cause, with a reason; it takes "
    "effect on approval unless the cause needs none (dispatch_error).",
    APPROVE="Approve a waiting request (request: its version): a bounce, an extension, parking.",
    REFUSE="Refuse a waiting request (request: its version), with a reason.",
    REQUEST_EXTENSION="延期: ask for days more, before the holding's due time, with a reason.",
    PARK="挂账: ask to stop every clock, with a reason; parked on approval.",
    RESUME="Restart the clocks of a parked dispute where they stopped.",
    ESCALATE="Hand the dispute to the ladder's next rung, with a reason (the timers do it when a "
    "handling step is breached).",
    WHISTLE="吹哨报到: summon one or more departments (targets), with a reason; a tough whistle "
    "gives them longer to arrive (5 working days, not 3).",
    SIGN_WHISTLE="A summoned department signs for the whistle (within 1 hour).",
    CONTACT="A summoned department, having signed, makes contact (within 24 hours).",
    ARRIVE="报到: a summoned department, or the unit sent an urgent order, arrives on site.",
    RATE_RESPONSE="The summoning body rates a summoned department's response, 1 to 5 (rating).",
    SUPERVISE="督办: a higher level opens a report-back clock for the holder, with a reason.",
    CHASE="催办: press the holder; recorded and counted.",
    FEED_BACK="反馈: the handler reports back (result) to the center that sent it.",
    CLOSE="办结: close the dispute with its outcome and the level it was settled at.",
    RATE="评单: a party rates the handling, 1 to 5 (rating), once per closing.",
    REOPEN="Reopen a closed dispute, with a reason: within the rules' reopen_within of closing, "
    "or after a failed call-back or check; back to the center that closed it.",
    CALL_BACK="回访: record whether the party was satisfied (satisfied).",
    CHECK="Record whether the settlement was carried out (carriedOut).",
)
describe_values(
    WorkflowState,
    NEW="No report yet.",
    REPORTED="发现/上报: waiting for the receiving center or grid team to accept it.",
    ACCEPTED="受理: held by a center, to be dispatched (also after a bounce, an escalation or a "
    "reopen).",
    DISPATCHED="派单: an order sent to a unit, not yet signed for.",
    OPEN="An order open to claims (抢单) and to the parties' pick (点单).",
    HANDLING="处置: signed for, claimed or taken on.",
    PARKED="挂账: every clock stopped, with approval.",
    FED_BACK="反馈: the handler reported back; the center closes it.",
    CLOSED="办结: closed with its outcome and the level it was settled at.",
)


@strawberry.enum(description="Which work queue: see docs/workflow.md.")
class QueueView(enum.Enum):
    MINE = "MINE"
    UNIT = "UNIT"
    CLAIMABLE = "CLAIMABLE"
    APPROACHING = "APPROACHING"
    OVERDUE = "OVERDUE"
    ALL = "ALL"


describe_values(
    QueueView,
    MINE="Held by the caller: an expert or mediator who claimed it, or was picked.",
    UNIT="Held by the unit the caller acts for, or the unit was summoned by a whistle.",
    CLAIMABLE="Open to claims (抢单).",
    APPROACHING="Its governing clock is approaching its due time.",
    OVERDUE="Its governing clock is past its due time.",
    ALL="Every open dispute in scope.",
)


@strawberry.enum(description="A dispute between parties, or an event (部件/事件).")
class DisputeKind(enum.Enum):
    DISPUTE = "dispute"
    EVENT = "event"


describe_values(
    DisputeKind,
    DISPUTE="矛盾纠纷: a dispute between parties (at least one).",
    EVENT="部件/事件: an event such as a broken manhole cover, for the responsible department.",
)


@strawberry.type(description="A rule the request broke: its code, what and why, the field.")
class WorkflowError:
    code: WorkflowProblem  # type: ignore[valid-type]
    message: str
    field: str | None


@strawberry.type(description="One entry of an action's data, as text.")
class KeyValue:
    key: str
    value: str


@strawberry.type(description="One record of a dispute's append-only log.")
class WorkflowEvent:
    version: int
    at: datetime
    actor: NodeRef
    role: str
    acts_for: NodeRef | None
    action: str
    from_state: str
    to_state: str
    targets: list[NodeRef]
    reason: str | None
    data: list[KeyValue]


@strawberry.type(description="An open step's clock, computed from the log now.")
class Clock:
    name: str
    who: NodeRef | None
    status: str = strawberry.field(description="within, approaching, breached or paused.")
    start: datetime
    due: datetime | None
    pre_breach: datetime | None
    limit: int
    unit: str = strawberry.field(description="hours, working_days or days.")
    limit_source: str
    remaining_minutes: int = strawberry.field(description="Counted time left, never negative.")
    overdue_minutes: int = strawberry.field(description="Counted time past due, never negative.")


@strawberry.type(description="A request waiting for approval: an extension, a bounce, parking.")
class PendingRequest:
    action: str
    version: int
    by: NodeRef
    at: datetime


@strawberry.type(description="How often the dispute was handed on.")
class WorkflowCounts:
    assignments: int
    bounces: int
    loops: int
    escalations: int
    reopens: int
    extensions: int
    whistles: int


@strawberry.enum(description="An input an action takes (ActOnDisputeInput's fields).")
class ActionInput(enum.Enum):
    DAYS = "days"
    OUTCOME = "outcome"
    SETTLED_LEVEL = "settled_level"
    RATING = "rating"
    URGENT = "urgent"
    TOUGH = "tough"
    REQUEST = "request"
    CAUSE = "cause"
    RESULT = "result"
    SATISFIED = "satisfied"
    CARRIED_OUT = "carried_out"


describe_values(
    ActionInput,
    DAYS="days: how much longer an extension asks for.",
    OUTCOME="outcome: how a closed dispute ended.",
    SETTLED_LEVEL="settledLevel: the level a closed dispute was settled at.",
    RATING="rating: 1 to 5.",
    URGENT="urgent: an urgent order, with its arrival clock.",
    TOUGH="tough: a tough whistle, 5 working days to arrive.",
    REQUEST="request: the version of the request approved or refused.",
    CAUSE="cause: why an order is bounced.",
    RESULT="result: what was done.",
    SATISFIED="satisfied: whether the party was satisfied.",
    CARRIED_OUT="carriedOut: whether the settlement was carried out.",
)


# What each action reads of its input beside targets and reason (workflow/actions.py and
# workflow/handover.py).
ACTION_INPUTS = {
    "dispatch": (ActionInput.URGENT,),
    "record": (ActionInput.RESULT,),
    "request_extension": (ActionInput.DAYS,),
    "close": (ActionInput.OUTCOME, ActionInput.SETTLED_LEVEL),
    "rate": (ActionInput.RATING,),
    "rate_response": (ActionInput.RATING,),
    "whistle": (ActionInput.TOUGH,),
    "approve": (ActionInput.REQUEST,),
    "refuse": (ActionInput.REQUEST,),
    "bounce": (ActionInput.CAUSE,),
    "feed_back": (ActionInput.RESULT,),
    "call_back": (ActionInput.SATISFIED,),
    "check": (ActionInput.CARRIED_OUT,),
}


@strawberry.type(description="An action this caller may take now, and what it takes.")
class AllowedAction:
    action: WorkflowAction
    reason_required: bool
    approval_by: list[str] = strawberry.field(
        description="The roles that approve it before it takes effect (empty: none needed)."
    )
    proposed: list[NodeRef] = strawberry.field(
        description="Targets to offer: dispatch, the referral's actors; whistle, its "
        "departments; escalate, the ladder's next rung; order, those the expert pool offered."
    )
    inputs: list[ActionInput]


@strawberry.type(description="One summoned department's answer to a whistle (吹哨报到).")
class WhistleResponse:
    department: NodeRef
    summoner: NodeRef
    start: datetime
    signed: datetime | None
    contacted: datetime | None
    arrived: datetime | None
    rating: int | None = strawberry.field(description="The summoning body's rating, 1 to 5.")
    clocks: list[Clock] = strawberry.field(description="Its open clocks: sign, contact, arrive.")


@strawberry.type(description="A notice the timers sent about the dispute (records, not texts).")
class WorkflowNotification:
    recipient: NodeRef | None
    why: str
    clock: str
    at: datetime
    due: datetime | None
    delivered_at: datetime | None


@strawberry.type(description="A dispute's workflow, derived from its log.")
class DisputeWorkflow:
    state: str
    version: int
    kind: str
    warning: Warning | None
    holder: NodeRef | None
    clocks: list[Clock]
    pending: list[PendingRequest]
    counts: WorkflowCounts
    outcome: DisputeOutcome | None
    settled_level: SettledLevel | None
    log: list[WorkflowEvent]
    whistles: list[WhistleResponse]
    notifications: list[WorkflowNotification]
    allowed_actions: list[AllowedAction] = strawberry.field(
        description="What this caller may do now: the actions whose checks of role, standing, "
        "state and kind pass (their inputs are checked when taken)."
    )


@strawberry.type(description="What a mutation did: the dispute, its event, or why not.")
class DisputePayload:
    dispute: Dispute | None
    event: WorkflowEvent | None
    user_errors: list[WorkflowError]
    replayed: bool = strawberry.field(
        description="True when the idempotency key was used before: the first event is "
        "returned and nothing was applied."
    )


@strawberry.type(description="One row of a work queue.")
class QueueRow:
    dispute: Dispute
    state: str
    version: int
    warning: Warning | None
    holder: NodeRef | None
    clock: Clock | None = strawberry.field(description="The open clock with least time left.")
    bounces: int
    loops: int = strawberry.field(
        default=0, description="Times it came back to a unit that had bounced it."
    )
    held_since: datetime | None = strawberry.field(
        default=None, description="When the holder got it."
    )
    pending: list[PendingRequest] = strawberry.field(
        default_factory=list, description="Requests waiting for approval."
    )


@strawberry.type(description="Rows in each view of the queue, under the same filters.")
class QueueCounts:
    mine: int
    unit: int
    claimable: int
    approaching: int
    overdue: int
    all: int


@strawberry.type(description="A work queue, least working time left first.")
class QueuePage:
    items: list[QueueRow]
    total_count: int
    cursor: str = strawberry.field(description="Pass to queueChanges to learn what changed.")
    counts: QueueCounts = strawberry.field(
        description="Rows in each view, with the same scope, search and filters (tab labels)."
    )
    page_info: PageInfo = strawberry.field(description="Where this page ends: pass its "
                                           "endCursor as `after` for the next.")  # fmt: skip


@strawberry.type(description="What changed in the queue since a cursor.")
class QueueChanges:
    rows: list[QueueRow]
    removed: list[strawberry.ID] = strawberry.field(description="Disputes closed since.")
    cursor: str


AreaLevel: Any = strawberry.enum(
    cast(Any, enum.Enum)("AreaLevel", {v.upper(): v for v in LEVELS}),
    description="The areas figures are grouped by: grids, or the villages, towns or counties "
    "their units lie in.",
)
describe_values(
    AreaLevel,
    GRID="By grid.",
    VILLAGE="By village or community (村/社区): the first 12 digits of a unit's code.",
    TOWN="By town or street (乡镇/街道): the first 9 digits of a unit's code.",
    COUNTY="By county (县/区): the first 6 digits of a unit's code.",
)


@strawberry.type(description="The share of the settled disputes settled at one level.")
class LevelShare:
    level: str = strawberry.field(description="grid, village, town, county or court.")
    share: float = strawberry.field(description="From 0 to 1.")


@strawberry.type(description="An area's workflow figures.")
class AreaFigures:
    area: NodeRef = strawberry.field(description="A grid, or a unit (keyed by its code).")
    disputes: int = strawberry.field(description="Disputes reported there in the period.")
    bounce_rate: float | None = strawberry.field(
        description="Share of its disputes bounced (退单) at least once."
    )
    whistle_rate: float | None = strawberry.field(
        description="Share of its disputes with a whistle (吹哨)."
    )
    on_time_rate: float | None = strawberry.field(
        description="Share of ended handling steps that ended by their due time."
    )
    settled_share: list[LevelShare] = strawberry.field(
        description="Of the settled disputes, the share settled at each level."
    )


@strawberry.type(description="A department's workflow figures.")
class DepartmentFigures:
    department: NodeRef = strawberry.field(description="The department.")
    orders: int = strawberry.field(description="Holdings given to it (orders, escalations…).")
    bounced: int = strawberry.field(description="Of those, bounced by it.")
    bounce_rate: float | None = strawberry.field(description="bounced / orders.")
    whistled: int = strawberry.field(description="Whistles that summoned it.")
    whistle_rate: float | None = strawberry.field(
        description="Share of the period's disputes in scope whose whistle summoned it."
    )
    on_time_rate: float | None = strawberry.field(
        description="Share of its ended handling steps that ended by their due time."
    )


@strawberry.type(description="Open disputes now, by the state of their governing clock.")
class OpenFigures:
    unit: NodeRef = strawberry.field(
        description="The area (a grid, or a unit keyed by its code) or the holder."
    )
    open: int = strawberry.field(description="Open disputes (with a workflow log).")
    approaching: int = strawberry.field(description="Of those, with a clock approaching (临期).")
    overdue: int = strawberry.field(description="Of those, with a clock past due (超期).")
    paused: int = strawberry.field(description="Of those, parked (挂账): their clocks stand.")


@strawberry.type(description="A person party to several disputes in the period (重复来访).")
class RepeatVisitor:
    person: NodeRef = strawberry.field(description="Named as this caller may see them.")
    disputes: int = strawberry.field(description="Disputes in scope and period they were party to.")


@strawberry.type(description="The workflow's figures over the disputes reported in a period.")
class WorkflowMeasures:
    disputes: int = strawberry.field(description="Disputes with a log in scope and period.")
    by_area: list[AreaFigures] = strawberry.field(description="Per area, by code or grid id.")
    by_department: list[DepartmentFigures] = strawberry.field(
        description="Per department that held or was summoned to one, by its key."
    )
    open_by_area: list[OpenFigures] = strawberry.field(
        description="The disputes open now (whatever the period) per area, most overdue first."
    )
    open_by_holder: list[OpenFigures] = strawberry.field(
        description="The disputes open now per holder (a unit, or an expert or mediator who "
        "claimed one), most overdue first."
    )
    repeat_visitors: list[RepeatVisitor] = strawberry.field(
        description="People party to at least `visits` disputes in scope reported in the "
        "period, most disputes first (at most 50)."
    )


@strawberry.type(description="Who the API takes the caller to be, and who they act as.")
class Me:
    role: str = strawberry.field(description="viewer, mediator, researcher or admin.")
    scope: str | None = strawberry.field(
        description="A mediator's jurisdiction: the division-code prefix inside which they see "
        "personal data in full."
    )
    person: NodeRef | None
    acts_for: NodeRef | None
    workflow_role: str | None


@strawberry.input(description="A new party, validated as the loaders validate people.")
class NewPartyInput:
    name: str = strawberry.field(description="Their full name.")
    id_number: str | None = strawberry.field(
        default=None, description="Their 18-digit resident ID number (身份证号)."
    )
    mobile: str | None = strawberry.field(
        default=None, description="Their mainland mobile number (1[3-9] and 9 more digits)."
    )
    gender: str | None = strawberry.field(default=None, description="male or female (男, 女).")


@strawberry.input(description="A report: what, where, by which channel, and the parties.")
class ReportDisputeInput:
    idempotency_key: str = strawberry.field(
        description="The caller's key for this report: a retried report with it names the same "
        "dispute and answers the first report."
    )
    kind: DisputeKind = strawberry.field(description="A dispute between parties, or an event.")
    title: str = strawberry.field(
        description="A short title. Personal data: withheld as （已隐去） but from admins and "
        "the mediators whose jurisdiction holds its grid."
    )
    place: strawberry.ID = strawberry.field(description="A grid or micro-grid id.")
    channel: DisputeChannel = strawberry.field(description="How it came in.")
    category: str | None = strawberry.field(
        default=None, description="A domain's code or Chinese name."
    )
    list_item: strawberry.ID | None = strawberry.field(
        default=None, description="The responsibility-list item it falls under (L1-011)."
    )
    description: str | None = strawberry.field(default=None, description="What happened.")
    receiver: str | None = strawberry.field(
        default=None, description="Label:key of the receiving center or grid team."
    )
    parties: list[str] = strawberry.field(
        default_factory=list, description="Existing parties, Person:key or Organisation:key."
    )
    new_parties: list[NewPartyInput] = strawberry.field(
        default_factory=list, description="Parties not in the graph yet, added as people."
    )


@strawberry.input(description="An action on a dispute at the version the caller last saw.")
class ActOnDisputeInput:
    dispute_id: strawberry.ID = strawberry.field(description="The dispute's id.")
    action: WorkflowAction = strawberry.field(description="What to do.")
    expected_version: int = strawberry.field(
        description="The dispute's version the caller last saw (DisputeWorkflow.version)."
    )
    idempotency_key: str = strawberry.field(
        description="The caller's key for this request: sent again, it answers the first "
        "event and applies nothing."
    )
    targets: list[str] = strawberry.field(
        default_factory=list, description="Label:key, e.g. Department:dept-330421-health."
    )
    reason: str | None = strawberry.field(
        default=None, description="Why: required by the actions whose reasonRequired is true."
    )
    days: int | None = strawberry.field(
        default=None, description="REQUEST_EXTENSION: how much longer, in the limit's unit, ≥ 1."
    )
    outcome: DisputeOutcome | None = strawberry.field(
        default=None, description="CLOSE: how it ended."
    )
    settled_level: SettledLevel | None = strawberry.field(
        default=None, description="CLOSE: the level it was settled at."
    )
    rating: int | None = strawberry.field(default=None, description="RATE, RATE_RESPONSE: 1 to 5.")
    urgent: bool | None = strawberry.field(
        default=None, description="DISPATCH: an urgent order, with the arrival clock."
    )
    tough: bool | None = strawberry.field(
        default=None, description="WHISTLE: a tough one, 5 working days to arrive, not 3."
    )
    request: int | None = strawberry.field(
        default=None, description="APPROVE, REFUSE: the version of the request (its event)."
    )
    cause: str | None = strawberry.field(
        default=None, description="BOUNCE: why, e.g. dispatch_error (returned at once)."
    )
    satisfied: bool | None = strawberry.field(
        default=None, description="CALL_BACK: whether the party was satisfied."
    )
    carried_out: bool | None = strawberry.field(
        default=None, description="CHECK: whether the settlement was carried out."
    )
    result: str | None = strawberry.field(
        default=None, description="RECORD, FEED_BACK: what was done."
    )


def _describe(cls: type, **descriptions: str) -> None:
    """Describe the fields of a strawberry type by their Python names."""
    for f in cls.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if f.python_name in descriptions:
            f.description = descriptions[f.python_name]


_describe(
    DisputeWorkflow,
    state="The state: new, reported, accepted, dispatched, open, handling, parked, fed_back, "
    "closed.",
    version="How many events its log holds: pass it as expectedVersion.",
    kind="dispute or event.",
    warning="Its risk colour (三色预警), graded at the report.",
    holder="Who holds it now.",
    clocks="Its open steps' clocks, computed now.",
    pending="Requests waiting for approval.",
    counts="How often it was handed on.",
    outcome="How it ended, once closed.",
    settled_level="The level it was settled at.",
    log="Its events, in order of version.",
    whistles="The departments summoned (吹哨报到), each with its answer and clocks.",
    notifications="The notices the timers sent about it, in the order they fell due.",
)
_describe(
    WorkflowNotification,
    recipient="To whom.",
    why="pre_breach, breach, escalated or escalation_refused.",
    clock="The clock it is about: name@version:who.",
    at="When it fell due to be sent (China time).",
    due="The clock's due time.",
    delivered_at="When the gateway took it; null until then.",
)
_describe(
    AllowedAction,
    action="The action.",
    reason_required="Whether it must be given a reason.",
    inputs="The inputs it takes beside targets and reason (DAYS, OUTCOME, RATING…).",
)
_describe(
    WhistleResponse,
    department="The department summoned.",
    summoner="The body that blew the whistle.",
    start="When it was summoned.",
    signed="When it signed for the summons (签收), if it has.",
    contacted="When it contacted the parties, if it has.",
    arrived="When it arrived on site or reported (报到), if it has.",
)
_describe(
    Clock,
    name="accept, sign, arrive, handle, supervise, whistle_signed, whistle_contacted, "
    "whistle_arrived or call_back.",
    who="Who must act.",
    start="When the clock started.",
    due="When it falls due (null while paused).",
    pre_breach="When it starts approaching.",
    limit="The allowance, in `unit`.",
    limit_source="Where the allowance comes from (a rule or a list item).",
)
_describe(
    PendingRequest,
    action="request_extension, bounce or park.",
    version="The version of the request: pass it as `request` to approve or refuse it.",
    by="The unit that asked.",
    at="When it asked.",
)
_describe(
    WorkflowCounts,
    assignments="New holders given by dispatch, claim, order, escalation, bounce, reopen.",
    bounces="Bounces (退单) that took effect.",
    loops="Times it came back to a unit that had bounced it (踢皮球).",
    escalations="Escalations, by hand or by the timers.",
    reopens="Reopens.",
    extensions="Extensions approved.",
    whistles="Whistles (吹哨).",
)
_describe(
    WorkflowEvent,
    version="Its version: 1 for the report, then one more per event.",
    at="When it was appended (China time).",
    actor="The person (or System) who acted.",
    role="The workflow role they acted in.",
    acts_for="The unit they acted for.",
    action="The action.",
    from_state="The state before.",
    to_state="The state after.",
    targets="The actors it named (the new holder, the summoned departments).",
    reason="The reason given.",
    data="The action's data (limits with their sources, outcome, rating…), as text.",
)
_describe(KeyValue, key="The name.", value="The value, as text (JSON for a non-text value).")
_describe(
    Me,
    person="The person the token acts as in the workflow.",
    acts_for="The unit they act for.",
    workflow_role="Their workflow role (grid_worker, dispatcher, department…).",
)
_describe(QueuePage, items="The rows, least time left first.", total_count="Rows in the view.")
_describe(
    QueueRow,
    dispute="The dispute.",
    state="Its state.",
    version="Its version.",
    warning="Its risk colour.",
    holder="Who holds it.",
    bounces="Bounces that took effect.",
)
_describe(
    QueueCounts,
    mine="Held by you.",
    unit="Held by your unit, or your unit summoned by a whistle.",
    claimable="Open to claims (抢单).",
    approaching="The governing clock is approaching its due time.",
    overdue="The governing clock is past its due time.",
    all="Every open dispute in scope.",
)
_describe(QueueChanges, rows="The open rows that changed.", cursor="The cursor to pass next.")
_describe(
    DisputePayload,
    dispute="The dispute after the action (null when refused).",
    event="The event appended (on a replay, the first one).",
    user_errors="The rules the request broke (empty when it was taken).",
)
_describe(
    WorkflowError,
    code="What was wrong.",
    message="What and why, in words.",
    field="The input field at fault, if one is.",
)

View = Annotated[QueueView, strawberry.argument(description="Which queue.")]
Within = Annotated[
    str | None,
    strawberry.argument(description="A division prefix; default the caller's scope."),
]
First = Annotated[int, strawberry.argument(description="How many rows, 1 to 500.")]
After = Annotated[
    str | None, strawberry.argument(description="A row's cursor (pageInfo.endCursor).")
]
Search = Annotated[
    str | None,
    strawberry.argument(
        description="Text found in a dispute's id or title, a party's name, ID number or "
        "mobile, or the grid's or holder's name, each as you may see it."
    ),
]
States = Annotated[
    list[WorkflowState] | None, strawberry.argument(description="Only these states.")
]
Warnings = Annotated[
    list[Warning] | None, strawberry.argument(description="Only these risk colours.")
]
DomainArg = Annotated[
    str | None, strawberry.argument(description="Only this domain: a code or Chinese name.")
]
KindArg = Annotated[
    DisputeKind | None, strawberry.argument(description="Only disputes, or only events.")
]
Since = Annotated[str, strawberry.argument(description="A cursor from workQueue or queueChanges.")]
FromDate = Annotated[
    date | None,
    strawberry.argument(name="from", description="Reported on or after this day."),
]
ToDate = Annotated[date | None, strawberry.argument(description="Reported on or before it.")]
Level = Annotated[AreaLevel, strawberry.argument(description="How areas are grouped.")]
Visits = Annotated[
    int, strawberry.argument(description="Disputes that make a repeat visitor (at least 2).")
]
ReportInput = Annotated[ReportDisputeInput, strawberry.argument(description="The report.")]
ActInput = Annotated[ActOnDisputeInput, strawberry.argument(description="The action.")]


# -- building the answers --------------------------------------------------------------------


async def _refs(info: Info, refs: list[Ref]) -> dict[Ref, NodeRef]:
    """Each ref with its name, a person's as this caller may see it (`acting.names`)."""
    context = info.context
    named = await run_in_threadpool(acting.names, context.backend, context.caller, refs)
    return {r: NodeRef(label=r.kind, key=strawberry.ID(r.id), name=n) for r, n in named.items()}


def _clock(c: DomainClock, refs: dict[Ref, NodeRef]) -> Clock:
    return Clock(
        name=c.name,
        who=refs.get(c.who) if c.who else None,
        status=c.status,
        start=c.start,
        due=c.due,
        pre_breach=c.pre_breach,
        limit=c.limit.amount,
        unit=c.limit.unit.value,
        limit_source=c.limit_source,
        remaining_minutes=int(c.remaining.total_seconds() // 60),
        overdue_minutes=int(c.overdue.total_seconds() // 60),
    )


def _event(e: Event, refs: dict[Ref, NodeRef], whole: bool) -> WorkflowEvent:
    reason, data = privacy.reveal_event(whole, e.reason, e.data)
    return WorkflowEvent(
        version=e.version,
        at=e.at,
        actor=refs[e.actor],
        role=e.role,
        acts_for=refs.get(e.unit) if e.unit else None,
        action=e.action,
        from_state=e.from_state,
        to_state=e.to_state,
        targets=[refs[t] for t in e.targets],
        reason=reason,
        data=[
            KeyValue(key=k, value=v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
            for k, v in sorted(data.items())
        ],
    )


def _event_refs(e: Event) -> list[Ref]:
    return [e.actor, *([e.unit] if e.unit else []), *e.targets]


async def _dispute(info: Info, key: str) -> Dispute | None:
    row = await info.context.loaders.node("Dispute").load(key)
    if row is None:
        return None
    [shown] = await info.context.reveal("Dispute", [row])
    return Dispute(**shown)


async def _whole(info: Info, key: str) -> bool:
    """Whether this caller sees dispute `key` whole, and so its log's free text (api.privacy)."""
    row = await info.context.loaders.node("Dispute").load(key)
    return row is not None and privacy.whole(
        "Dispute", row, (await info.context.reveal("Dispute", [row]))[0]
    )


async def dispute_workflow(info: Info, key: str) -> DisputeWorkflow | None:
    """The workflow of dispute `key`; None for a dispute loaded without a log."""
    backend, caller = info.context.backend, info.context.caller
    log = await run_in_threadpool(EventStore(backend).log, key)
    state = replay(log)
    if state is None:
        return None
    now = acting.now_in_china()
    rows = await run_in_threadpool(queue.rows_of, backend, [state], now)
    allowed = await run_in_threadpool(acting.allowed_actions, backend, caller, state, now)
    proposals = await run_in_threadpool(_proposals, backend, state, allowed)
    found = rows[0].clocks
    sent = await run_in_threadpool(Outbox(backend).all, key)
    wanted = [r for e in log for r in _event_refs(e)]
    wanted += [n.recipient for n in sent if n.recipient]
    wanted += [c.who for c in found if c.who] + [p.by for p in state.waiting]
    wanted += [state.holder] if state.holder else []
    wanted += [r for w in state.whistles for r in (w.department, w.summoner)]
    wanted += [r for refs_ in proposals.values() for r in refs_]
    refs = await _refs(info, wanted)
    whole = await _whole(info, key)
    grid = await run_in_threadpool(acting.place_of, backend, key, state)
    rules, _ = await run_in_threadpool(acting.rules_for, backend, grid)
    counts = state.counts
    return DisputeWorkflow(
        state=state.state,
        version=state.version,
        kind=state.kind,
        warning=Warning(state.warning) if state.warning else None,
        holder=refs[state.holder] if state.holder else None,
        clocks=[_clock(c, refs) for c in found],
        pending=[
            PendingRequest(action=p.action, version=p.version, by=refs[p.by], at=p.at)
            for p in state.waiting
        ],
        counts=WorkflowCounts(
            assignments=counts.get("assignments", 0),
            bounces=counts.get("bounces", 0),
            loops=counts.get("loops", 0),
            escalations=counts.get("escalations", 0),
            reopens=counts.get("reopens", 0),
            extensions=counts.get("extensions", 0),
            whistles=counts.get("whistles", 0),
        ),
        outcome=DisputeOutcome(state.outcome) if state.outcome else None,
        settled_level=SettledLevel(state.settled_level) if state.settled_level else None,
        log=[_event(e, refs, whole) for e in log],
        whistles=[
            WhistleResponse(
                department=refs[w.department],
                summoner=refs[w.summoner],
                start=w.start,
                signed=w.signed,
                contacted=w.contacted,
                arrived=w.arrived,
                rating=w.rating,
                clocks=[
                    _clock(c, refs)
                    for c in found
                    if c.name.startswith("whistle_")
                    and c.who == w.department
                    and c.opened == w.opened
                ],
            )
            for w in state.whistles
        ],
        notifications=[
            WorkflowNotification(
                recipient=refs[n.recipient] if n.recipient else None,
                why=n.why,
                clock=n.clock,
                at=n.at,
                due=n.due,
                delivered_at=n.delivered_at,
            )
            for n in sent
        ],
        allowed_actions=[_allowed(a, rules, proposals.get(a, []), refs) for a in allowed],
    )


def _allowed(
    action: str, rules: Rules, proposed: list[Ref], refs: dict[Ref, NodeRef]
) -> AllowedAction:
    rule = rules.workflow.action(action)
    return AllowedAction(
        action=WorkflowAction(action),
        reason_required=rule.reason,
        approval_by=sorted(r for r, how in rule.approvers.items() if how != "none")
        if rule.approval
        else [],
        proposed=[refs[r] for r in proposed],
        inputs=list(ACTION_INPUTS.get(action, ())),
    )


def _proposals(backend: Backend, state: DisputeState, allowed: list[str]) -> dict[str, list[Ref]]:
    """The targets to offer for the allowed actions that take one."""
    out: dict[str, list[Ref]] = {}
    if "order" in allowed:
        out["order"] = list(state.offered)
    grid = (
        acting.place_of(backend, state.id, state)
        if {"dispatch", "whistle", "escalate"} & set(allowed)
        else None
    )
    if grid is None:
        return out
    rules, _ = acting.rules_for(backend, grid)
    if "escalate" in allowed:
        rung = acting.next_rung_of(backend, grid, state, rules)
        out["escalate"] = [rung.body] if rung else []
    if {"dispatch", "whistle"} & set(allowed):
        try:
            steps = referral(backend, dispute_id=state.id, rules=rules).steps
        except (LookupError, ValueError):
            steps = ()
        actors = list(dict.fromkeys(Ref(s.actor.label, s.actor.key) for s in steps))
        if "dispatch" in allowed:
            out["dispatch"] = [a for a in actors if a.kind in HOLDERS and a != state.holder]
        if "whistle" in allowed:
            out["whistle"] = [
                a for a in actors if a.kind == "Department" and state.whistle_of(a) is None
            ]
    return out


async def _queue_rows(info: Info, rows: list[queue.QueueRow]) -> list[QueueRow]:
    wanted = [r.state.holder for r in rows if r.state.holder]
    wanted += [r.clock.who for r in rows if r.clock and r.clock.who]
    wanted += [p.by for r in rows for p in r.state.waiting]
    refs = await _refs(info, wanted)
    out = []
    for r in rows:
        dispute = await _dispute(info, r.state.id)
        if dispute is None:
            continue
        s = r.state
        out.append(
            QueueRow(
                dispute=dispute,
                state=s.state,
                version=s.version,
                warning=Warning(s.warning) if s.warning else None,
                holder=refs[s.holder] if s.holder else None,
                clock=_clock(r.clock, refs) if r.clock else None,
                bounces=s.counts.get("bounces", 0),
                loops=s.counts.get("loops", 0),
                held_since=s.holding.start if s.holding else None,
                pending=[
                    PendingRequest(action=p.action, version=p.version, by=refs[p.by], at=p.at)
                    for p in s.waiting
                ],
            )
        )
    return out


async def _payload(
    info: Info, acted: acting.Acted, what: str, given: dict[str, Any]
) -> DisputePayload:
    caller = info.context.caller
    request = getattr(info.context, "request", None)
    audit = getattr(getattr(getattr(request, "app", None), "state", None), "audit", None)
    result = acted.result
    refused = isinstance(result, Refusal)
    if audit is not None:
        who = caller.role.value + (f":{caller.token}" if caller.token else "")
        record = AuditRecord(
            who=who,
            query=what,
            params={**given, "dispute": acted.dispute, "person": caller.person},
            outcome="refused" if refused else "accepted",
            reason="; ".join(e.code.value for e in result.errors)
            if isinstance(result, Refusal)
            else "",
        )
        await run_in_threadpool(audit.append, record)
    if isinstance(result, Refusal):
        errors = [
            WorkflowError(code=e.code, message=e.message, field=e.field) for e in result.errors
        ]
        return DisputePayload(dispute=None, event=None, user_errors=errors, replayed=False)
    # read what was written
    info.context.loaders = type(info.context.loaders)(info.context.read, info.context.units_of)
    refs = await _refs(info, _event_refs(result.event))
    return DisputePayload(
        dispute=await _dispute(info, acted.dispute),
        event=_event(result.event, refs, await _whole(info, acted.dispute)),
        user_errors=[],
        replayed=result.replayed,
    )


# -- the root fields -------------------------------------------------------------------------


def _data(input: ActOnDisputeInput) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in (
        "days",
        "rating",
        "urgent",
        "tough",
        "request",
        "cause",
        "satisfied",
        "carried_out",
        "result",
    ):
        value = getattr(input, name)
        if value is not None:
            data[name] = value
    if input.tough:  # a tough-problem whistle: its departments' report limit is the longer one
        data["type"] = "tough"
    if input.outcome is not None:
        data["outcome"] = input.outcome.value
    if input.settled_level is not None:
        data["settled_level"] = input.settled_level.value
    return data


@strawberry.type
class WorkflowMutations:
    @mutation("Report a dispute or an event (发现/上报).")
    async def report_dispute(self, info: Info, input: ReportInput) -> DisputePayload:
        backend, caller = info.context.backend, info.context.caller
        new = [acting.NewParty(p.name, p.id_number, p.mobile, p.gender) for p in input.new_parties]
        acted = await run_in_threadpool(
            lambda: acting.report(
                backend,
                caller,
                input.idempotency_key,
                kind=input.kind.value,
                title=input.title,
                place=str(input.place),
                category=input.category,
                channel=input.channel.value,
                list_item=str(input.list_item) if input.list_item else None,
                description=input.description,
                receiver=input.receiver,
                parties=input.parties,
                new_parties=new,
            )
        )
        given = {"idempotencyKey": input.idempotency_key, "place": str(input.place)}
        return await _payload(info, acted, "reportDispute", given)

    @mutation(
        "Take an action on a dispute. A stale expectedVersion is refused "
        "(STALE_VERSION); an idempotencyKey used before returns the first answer."
    )
    async def act_on_dispute(self, info: Info, input: ActInput) -> DisputePayload:
        backend, caller = info.context.backend, info.context.caller
        acted = await run_in_threadpool(
            lambda: acting.act(
                backend,
                caller,
                str(input.dispute_id),
                input.action.value,
                input.expected_version,
                input.idempotency_key,
                targets=input.targets,
                reason=input.reason,
                data=_data(input),
            )
        )
        given = {
            "action": input.action.value,
            "expectedVersion": input.expected_version,
            "idempotencyKey": input.idempotency_key,
        }
        return await _payload(info, acted, "actOnDispute", given)


@strawberry.type
class WorkflowQueries:
    @resolver("Who the token stands for, and who they act as.")
    async def me(self, info: Info) -> Me:
        caller = info.context.caller
        wanted = [Ref("Person", caller.person)] if caller.person else []
        unit = Ref.parse(caller.unit) if caller.unit else None
        refs = await _refs(info, wanted + ([unit] if unit else []))
        return Me(
            role=caller.role.value,
            scope=caller.scope,
            person=refs.get(wanted[0]) if wanted else None,
            acts_for=refs.get(unit) if unit else None,
            workflow_role=caller.workflow_role,
        )

    @resolver("A work queue of open disputes, least working time left first.")
    async def work_queue(
        self,
        info: Info,
        view: View,
        within: Within = None,
        first: First = 50,
        after: After = None,
        search: Search = None,
        states: States = None,
        warnings: Warnings = None,
        domain: DomainArg = None,
        kind: KindArg = None,
    ) -> QueuePage:
        if not 0 < first <= 500:
            raise GraphQLUserError("first is between 1 and 500", argument="first")
        backend, caller = info.context.backend, info.context.caller
        filters = queue.Filters(
            search=search,
            states=frozenset(s.value for s in states or ()),
            warnings=frozenset(w.value for w in warnings or ()),
            domain=domain,
            kind=kind.value if kind else None,
        )
        # The cursor first: an event logged while the page is read is then answered again by
        # the next poll, never missed by both.
        mark = await run_in_threadpool(queue.cursor, backend)
        try:
            page = await run_in_threadpool(
                lambda: queue.queue_page(
                    backend, caller, view.value, within=within, filters=filters, first=first,
                    after=after,
                )
            )  # fmt: skip
        except ValueError as exc:
            argument = str(exc).split(":", 1)[0]
            raise GraphQLUserError(str(exc), argument=argument) from None
        counts = {v.lower(): n for v, n in page.counts.items()}
        return QueuePage(
            items=await _queue_rows(info, page.rows),
            total_count=page.total,
            cursor=mark,
            counts=QueueCounts(**counts),
            page_info=PageInfo(end_cursor=page.end_cursor, has_next_page=page.has_next),
        )

    @resolver("The queue's rows changed since a cursor (poll it).")
    async def queue_changes(self, info: Info, since: Since, within: Within = None) -> QueueChanges:
        backend, caller = info.context.backend, info.context.caller
        rows, removed, mark = await run_in_threadpool(
            queue.queue_changes, backend, caller, since, within
        )
        return QueueChanges(
            rows=await _queue_rows(info, rows),
            removed=[strawberry.ID(i) for i in removed],
            cursor=mark,
        )

    @resolver(
        "Bounce, whistle and on-time rates and the share settled at each level, per area and "
        "per department, over the disputes reported in a period (workflow.measures)."
    )
    async def workflow_measures(
        self,
        info: Info,
        within: Within = None,
        from_: FromDate = None,
        to: ToDate = None,
        level: Level = AreaLevel.TOWN,
        visits: Visits = 2,
    ) -> WorkflowMeasures:
        backend, caller = info.context.backend, info.context.caller
        try:
            figures = await run_in_threadpool(
                lambda: workflow_measures(
                    backend, caller, level=level.value, within=within, start=from_, end=to,
                    visits=visits,
                )
            )  # fmt: skip
        except ValueError as exc:
            raise GraphQLUserError(str(exc), argument=str(exc).split(":", 1)[0]) from None
        refs = await _refs(
            info,
            [
                *figures.by_area,
                *figures.by_department,
                *figures.open_by_area,
                *figures.open_by_holder,
                *(person for person, _ in figures.repeat_visitors),
            ],
        )

        def open_figures(counts: dict[Ref, OpenCounts]) -> list[OpenFigures]:
            return [
                OpenFigures(
                    unit=refs[ref], open=c.open, approaching=c.approaching, overdue=c.overdue,
                    paused=c.paused,
                )
                for ref, c in counts.items()
            ]  # fmt: skip

        return WorkflowMeasures(
            disputes=figures.disputes,
            by_area=[
                AreaFigures(
                    area=refs[ref],
                    disputes=f.disputes,
                    bounce_rate=f.bounce_rate,
                    whistle_rate=f.whistle_rate,
                    on_time_rate=f.on_time_rate,
                    settled_share=[LevelShare(level=k, share=v) for k, v in f.settled_at.items()],
                )
                for ref, f in figures.by_area.items()
            ],
            by_department=[
                DepartmentFigures(
                    department=refs[ref],
                    orders=f.received,
                    bounced=f.bounced,
                    bounce_rate=f.bounce_rate,
                    whistled=f.summoned,
                    whistle_rate=figures.whistled_share[ref],
                    on_time_rate=f.on_time_rate,
                )
                for ref, f in figures.by_department.items()
            ],
            open_by_area=open_figures(figures.open_by_area),
            open_by_holder=open_figures(figures.open_by_holder),
            repeat_visitors=[
                RepeatVisitor(person=refs[person], disputes=n)
                for person, n in figures.repeat_visitors
            ],
        )
