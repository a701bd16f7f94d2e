"""The decision: given a dispute's state, a command, the facts and `now`, the event to append,
or the rules the command breaks.

    decide(state, command, facts, now, rules, calendar) -> Event | Refusal

Pure: it reads neither the graph nor the clock, so a test drives it with any `now`, and both
backends decide alike. The checks common to every action come first, each giving a typed
`UserError`: the version the caller saw, the role and how the caller stands to the dispute
(`[workflow.actions.<action>].roles`), the state, the kind (dispute or event) and the reason.
Then the action's own checks and data (`workflow.actions`).
"""

from __future__ import annotations

from datetime import datetime

from queries.calendar import CHINA_TIME, Calendar, CalendarNotCovered
from queries.flow_rules import ACTIONS
from queries.rules import Rules
from workflow.actions import EFFECTS
from workflow.clocks import clocks
from workflow.context import Context, Effect
from workflow.model import Caller, Command, Event, Facts, Problem, Refusal, UserError
from workflow.state import DisputeState, apply

_STANDING = {
    "scope": (Problem.OUT_OF_SCOPE, "the dispute lies outside your jurisdiction"),
    "holder": (Problem.NOT_HOLDER, "your unit does not hold the dispute"),
    "summoned": (Problem.NOT_SUMMONED, "your unit was not summoned to it, nor sent to arrive"),
    "party": (Problem.NOT_A_PARTY, "you are not a party to the dispute"),
    "domain": (Problem.NOT_IN_DOMAIN, "the order's domain is not one of yours"),
}


def decide(
    state: DisputeState | None,
    command: Command,
    facts: Facts,
    now: datetime,
    rules: Rules,
    calendar: Calendar,
) -> Event | Refusal:
    """The event `command` leads to, or why it is refused. `state` is None for a dispute with
    no log yet (only a report may start one); `now` must be aware."""
    action = command.action
    if action not in ACTIONS:
        return _refuse(Problem.UNKNOWN_ACTION, f"{action!r} is not an action; one of {ACTIONS}")
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if state is None and action != "report":
        return _refuse(Problem.NOT_FOUND, f"dispute {command.dispute!r} has no log")
    if state is not None and action == "report":
        return _refuse(Problem.DISPUTE_EXISTS, f"dispute {command.dispute!r} exists already")
    current = state or DisputeState(command.dispute)
    if command.expected_version != current.version:
        return _refuse(
            Problem.STALE_VERSION,
            f"the dispute is at version {current.version}, not {command.expected_version}: "
            "read it again and decide anew",
            "expectedVersion",
        )
    rule = rules.workflow.action(action)
    context = Context(current, command, facts, now.astimezone(CHINA_TIME), rules, calendar, rule)
    errors = _common(context)
    if errors:
        return Refusal(tuple(errors))
    effect = EFFECTS[action](context)
    if isinstance(effect, Refusal):
        return effect
    event = _event(context, effect)
    return _unreadable(context, event) or event


def _unreadable(c: Context, e: Event) -> Refusal | None:
    """Why `e` must not be written when it starts a clock whose due time cannot be counted (a
    list item's limit of years, past the holiday table): every read of the dispute's clocks,
    its unit's work queue and the timer pass would fail on it."""
    if not ({"limit", "limits"} & e.data.keys() or e.action == "approve"):
        return None  # it starts no clock and lengthens none
    try:
        clocks(apply(c.state, e), c.now, c.rules, c.calendar)
    except (CalendarNotCovered, OverflowError) as exc:
        why = str(exc) if isinstance(exc, CalendarNotCovered) else "past any date"
        return _refuse(
            Problem.INVALID_INPUT,
            f"{e.action} would start a clock whose due time cannot be counted ({why})",
        )
    return None


def _common(c: Context) -> list[UserError]:
    rule, command, state = c.rule, c.command, c.state
    errors = []
    who = c.approvers() if command.action in ("approve", "refuse") else rule.roles
    if who is not None:
        errors += _standing(who, command.caller, c, command.action)
    if state.state not in rule.from_:
        errors.append(
            UserError(
                Problem.NOT_ALLOWED_IN_STATE,
                f"{command.action} is not allowed while the dispute is {state.state}; "
                f"it is allowed when {', '.join(rule.from_)}",
            )
        )
    kind = command.data.get("kind", "dispute") if command.action == "report" else state.kind
    if kind not in rule.kinds:
        errors.append(
            UserError(
                Problem.NOT_FOR_KIND,
                f"{command.action} is not for an {kind}: an event (部件/事件) goes to the "
                "responsible department and is closed, never offered mediation or a court",
            )
        )
    if rule.reason and not (command.reason or "").strip():
        errors.append(
            UserError(Problem.REASON_MISSING, f"{command.action} needs a reason", "reason")
        )
    return errors


def _standing(who: dict[str, str], caller: Caller, c: Context, action: str) -> list[UserError]:
    relation = who.get(caller.role, "none")
    if relation == "none":
        allowed = sorted(r for r, rel in who.items() if rel != "none")
        return [
            UserError(
                Problem.WRONG_ROLE,
                f"a {caller.role} may not {action}; who may: {', '.join(allowed) or 'nobody'}",
            )
        ]
    if c.stands(relation):
        return []
    problem, message = _STANDING[relation]
    return [UserError(problem, message)]


def _event(c: Context, effect: Effect) -> Event:
    command = c.command
    data = dict(effect.data)
    step = c.rule.step if effect.step is None else effect.step
    if step:
        data["step"] = step
    return Event(
        dispute=command.dispute,
        version=c.state.version + 1,
        at=c.now,
        actor=command.caller.actor,
        role=command.caller.role,
        unit=command.caller.unit,
        scope=command.caller.scope,
        action=command.action,
        from_state=c.state.state,
        to_state=effect.to_state or c.rule.to or c.state.state,
        targets=effect.targets if effect.targets is not None else command.targets,
        reason=(command.reason or "").strip() or None,
        idempotency_key=command.idempotency_key,
        fingerprint=command.fingerprint(),
        data=data,
    )


def _refuse(problem: Problem, message: str, field: str | None = None) -> Refusal:
    return Refusal((UserError(problem, message, field),))
