"""The actions that hand the dispute over or end its holding: report, accept, dispatch (派单),
offer, claim (抢单), order (点单), bounce (退单), escalate, feed back, close and reopen — each
one's own checks after `workflow.decide`'s common ones, and the data its event records."""

from __future__ import annotations

from typing import Any

from graph.schema import SCHEMA, SETTLED_LEVELS
from queries.calendar import Allowance, Unit
from workflow.context import HOLDERS, Context, Effect, no, one_target, whole
from workflow.model import Problem, Refusal, UserError

CHANNELS = SCHEMA.node("Dispute").property("channel").choices
OUTCOMES = SCHEMA.node("Dispute").property("outcome").choices


def report(c: Context) -> Effect | Refusal:
    data, facts = c.command.data, c.facts
    kind = data.get("kind", "dispute")
    errors = []
    if kind not in ("dispute", "event"):
        errors.append(UserError(Problem.INVALID_INPUT, "kind is dispute or event", "kind"))
    if data.get("channel") not in CHANNELS:
        errors.append(UserError(Problem.INVALID_INPUT, f"channel is one of {CHANNELS}", "channel"))
    if not isinstance(data.get("title"), str) or not data["title"].strip():
        errors.append(UserError(Problem.INVALID_INPUT, "a title is required", "title"))
    if not isinstance(data.get("place"), str) or not data["place"]:
        errors.append(
            UserError(Problem.INVALID_INPUT, "the place (a grid id) is required", "place")
        )
    parties = whole(data.get("parties", 0 if kind == "event" else None))
    if parties is None or parties < (0 if kind == "event" else 1):
        errors.append(
            UserError(
                Problem.INVALID_INPUT,
                "a dispute needs at least one party, given in `parties` or `newParties`",
                "parties",
            )
        )
    receiver = one_target(c, HOLDERS)
    if isinstance(receiver, Refusal):
        errors += receiver.errors
    if errors:
        return Refusal(tuple(errors))
    assert parties is not None
    warning = c.rules.warnings.colour(parties, facts.visits) if kind == "dispute" else None
    keep = ("title", "place", "category", "list_item", "description")
    return Effect(
        data={
            **{k: data[k] for k in keep if data.get(k) is not None},
            "kind": kind,
            "channel": data["channel"],
            "parties": parties,
            "party_ids": [str(p) for p in data.get("party_ids", ())],
            "visits": facts.visits,
            "warning": warning,
            "level": facts.target_level,
            "limit": c.limit(c.rules.workflow.limits.accept),
            "limit_source": "workflow.limits.accept",
        }
    )


def accept(c: Context) -> Effect | Refusal:
    level = c.state.holding.level if c.state.holding else None
    found = c.level_limit(c.facts.target_level or level)
    if isinstance(found, UserError):
        return Refusal((found,))
    return Effect(data={"level": c.facts.target_level or level, **found})


def dispatch(c: Context) -> Effect | Refusal:
    target = one_target(c, HOLDERS)
    if isinstance(target, Refusal):
        return target
    if c.state.kind == "event" and target.kind == "MediationOrg":
        return no(Problem.NOT_FOR_KIND, "an event is never sent to mediation", "targets")
    if target == c.state.holder:
        return no(Problem.INVALID_INPUT, "the dispute is held there already", "targets")
    found = c.level_limit(c.facts.target_level)
    if isinstance(found, UserError):
        return Refusal((found,))
    limits = c.rules.workflow.limits
    data = {"level": c.facts.target_level, **found, "sign_limit": c.limit(limits.sign)}
    if c.command.data.get("urgent"):
        data["arrive_limit"] = c.limit(limits.arrive)
    return Effect(data=data)


def offer(c: Context) -> Effect | Refusal:
    return Effect(data={"offered": [str(r) for r in c.facts.offered]})


def claim(c: Context) -> Effect | Refusal:
    if c.facts.conflict:
        return no(Problem.CONFLICT_OF_INTEREST, f"the expert pool excludes you: {c.facts.conflict}")
    level = c.state.holding.level if c.state.holding else None
    found = c.level_limit(level)
    if isinstance(found, UserError):
        return Refusal((found,))
    return Effect(data={"level": level, **found}, targets=(c.unit,))


def order(c: Context) -> Effect | Refusal:
    pick = one_target(c, ("Person", "MediationOrg"))
    if isinstance(pick, Refusal):
        return pick
    if pick not in c.state.offered:
        offered = ", ".join(str(r) for r in c.state.offered) or "nobody"
        return no(Problem.INVALID_INPUT, f"{pick} was not offered; offered: {offered}", "targets")
    if c.facts.conflict:
        return no(
            Problem.CONFLICT_OF_INTEREST, f"the expert pool excludes {pick}: {c.facts.conflict}"
        )
    level = c.state.holding.level if c.state.holding else None
    found = c.level_limit(level)
    if isinstance(found, UserError):
        return Refusal((found,))
    sign = c.limit(c.rules.workflow.limits.sign)
    return Effect(data={"level": level, **found, "sign_limit": sign})


def bounce(c: Context) -> Effect | Refusal:
    s = c.state
    cause = c.command.data.get("cause")
    if not isinstance(cause, str) or not cause:
        return no(Problem.INVALID_INPUT, "a bounce names its cause, e.g. dispatch_error", "cause")
    if s.holding is None or s.holding.sender is None:
        return no(Problem.NOT_ALLOWED_IN_STATE, "nobody sent you the dispute: escalate it instead")
    if any(r.action == "bounce" for r in s.waiting):
        return no(Problem.NOT_ALLOWED_IN_STATE, "a bounce already waits for approval")
    data: dict[str, Any] = {
        "cause": cause,
        "back_to": str(s.holding.sender),
        "level": s.holding.sender_level,
        "limit": c.limit(c.rules.workflow.limits.accept),
        "limit_source": "workflow.limits.accept",
    }
    if cause in c.rule.causes_without_approval:
        return Effect(to_state="accepted", data=data)
    return Effect(to_state=s.state, data={**data, "pending": True})


def escalate(c: Context) -> Effect | Refusal:
    rung = c.facts.next_rung
    if rung is None:
        held = c.state.holding
        where = f"{held.holder} at level {held.level or 'unknown'}" if held else "nobody"
        return no(
            Problem.INVALID_INPUT,
            f"the ladder has no rung with a body above where the dispute is held ({where}): "
            "settle or close it there",
        )
    if c.state.kind == "event" and rung.level == "court":
        return no(Problem.NOT_FOR_KIND, "an event is never sent to a court")
    found = c.level_limit(rung.level)
    if isinstance(found, UserError):
        return Refusal((found,))
    data = {"level": rung.level, **found, "auto": c.command.caller.role == "system"}
    for name in ("breached", "due"):  # the timers': the clock breached, and its due time
        if c.command.data.get(name):
            data[name] = str(c.command.data[name])
    return Effect(data=data, targets=(rung.body,))


def feed_back(c: Context) -> Effect | Refusal:
    s = c.state
    assert s.holding is not None
    result = c.command.data.get("result")
    data: dict[str, Any] = {
        "level": s.holding.sender_level if s.holding.sender else s.holding.level,
        "limit": c.limit(c.rules.workflow.limits.accept),
        "limit_source": "workflow.limits.accept",
    }
    if isinstance(result, str) and result:
        data["result"] = result
    return Effect(data=data)


def close(c: Context) -> Effect | Refusal:
    data = c.command.data
    outcome, level = data.get("outcome"), data.get("settled_level")
    errors = []
    if outcome not in OUTCOMES:
        errors.append(UserError(Problem.INVALID_INPUT, f"outcome is one of {OUTCOMES}", "outcome"))
    if level is not None and level not in SETTLED_LEVELS:
        errors.append(
            UserError(
                Problem.INVALID_INPUT, f"settled_level is one of {SETTLED_LEVELS}", "settled_level"
            )
        )
    if outcome == "settled" and level is None:
        errors.append(
            UserError(Problem.INVALID_INPUT, "a settlement names its level", "settled_level")
        )
    if c.state.kind == "event" and (outcome == "litigated" or level == "court"):
        errors.append(UserError(Problem.NOT_FOR_KIND, "an event never goes to a court", "outcome"))
    if errors:
        return Refusal(tuple(errors))
    call_back = c.limit(c.rules.workflow.limits.call_back)
    return Effect(data={"outcome": outcome, "settled_level": level, "call_back_limit": call_back})


def reopen(c: Context) -> Effect | Refusal:
    s = c.state
    assert s.closed_at is not None and s.closed_by is not None
    window = c.rules.workflow.limits.reopen_within
    ends = c.calendar.due(s.closed_at, Allowance(window.amount, Unit(window.unit)))
    failed = s.satisfied is False or s.carried_out is False
    if not failed and ends is not None and c.now >= ends:
        return no(
            Problem.PAST_WINDOW,
            f"a dispute reopens within {window.amount} {window.unit} of closing "
            f"(until {ends:%Y-%m-%d %H:%M}), or after a failed call-back or check",
        )
    found = c.level_limit(s.closed_level)
    if isinstance(found, UserError):
        return Refusal((found,))
    return Effect(data={"level": s.closed_level, **found}, targets=(s.closed_by,))
