"""Each action's own checks and the data its event records (after `workflow.decide`'s common
checks). An effect names the state the action leads to where the rules cannot (a bounce waiting
for approval stays; an approval leads where the request would have), the event's data (every
time limit that applies, with its source, so the log replays without the rules) and its
targets (the new holder, the summoned departments).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from graph.schema import SCHEMA, SETTLED_LEVELS
from queries.flow_rules import ActionRule, Limit
from queries.rules import Rules
from workflow.calendar import Allowance, Calendar, Unit
from workflow.model import Command, Facts, Problem, Ref, Refusal, UserError
from workflow.state import DisputeState

CHANNELS = SCHEMA.node("Dispute").property("channel").choices
OUTCOMES = SCHEMA.node("Dispute").property("outcome").choices
HOLDERS = ("Grid", "Department", "MediationOrg", "Center")  # whom a dispatch may send to
WHISTLE_TYPES = ("progress", "tough")  # Nanjing Gulou: work-progress and tough-problem whistles


@dataclass(frozen=True)
class Effect:
    to_state: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    targets: tuple[Ref, ...] | None = None
    step: str | None = None


@dataclass(frozen=True)
class Context:
    state: DisputeState
    command: Command
    facts: Facts
    now: datetime
    rules: Rules
    calendar: Calendar
    rule: ActionRule

    @property
    def unit(self) -> Ref:
        return self.command.caller.acting_for

    def stands(self, relation: str) -> bool:
        """Whether the caller stands to the dispute as `relation` says."""
        s, f = self.state, self.facts
        if relation == "anyone":
            return True
        if relation == "scope":
            return f.in_scope
        if relation == "holder":
            return s.holder is not None and s.holder == self.unit
        if relation == "summoned":
            arrival = s.holding is not None and s.holding.arrive_limit is not None
            return s.whistle_of(self.unit) is not None or (arrival and s.holder == self.unit)
        if relation == "party":
            return f.is_party
        if relation == "domain":
            return f.in_domain
        return False

    def approvers(self) -> dict[str, str] | None:
        """Who may decide the request the command names (None: it names none)."""
        request = self.state.request(_int(self.command.data.get("request")) or -1)
        if request is None:
            return None
        return self.rules.workflow.action(request.action).approvers

    def limit(self, limit: Limit) -> dict[str, Any]:
        return {"amount": limit.amount, "unit": limit.unit}

    def level_limit(self, level: str | None) -> dict[str, Any] | UserError:
        """A rung's handling time: the responsibility-list item's limit where the facts give
        one, else `[time_limits]` for the level, in `limits.handling_unit`."""
        unit = self.rules.workflow.limits.handling_unit
        if self.facts.time_limit_days is not None:
            source = self.facts.limit_source or "responsibility-list item"
            return {
                "limit": {"amount": self.facts.time_limit_days, "unit": unit},
                "limit_source": source,
            }
        days = self.rules.time_limits.level(level or "")
        if days is None:
            return UserError(
                Problem.INVALID_INPUT,
                f"no time limit for level {level!r}: give the target's level "
                "(grid, village, town, county, city, liaison, industry)",
                "targets",
            )
        return {"limit": {"amount": days, "unit": unit}, "limit_source": f"time_limits.{level}"}


def _no(problem: Problem, message: str, field: str | None = None) -> Refusal:
    return Refusal((UserError(problem, message, field),))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _one_target(c: Context, kinds: tuple[str, ...]) -> Ref | Refusal:
    targets = c.command.targets
    if len(targets) != 1 or targets[0].kind not in kinds:
        return _no(
            Problem.INVALID_INPUT,
            f"{c.command.action} takes one target, a {' or '.join(kinds)}",
            "targets",
        )
    return targets[0]


def _rating(c: Context) -> int | Refusal:
    rating = _int(c.command.data.get("rating"))
    if rating is None or not 1 <= rating <= 5:
        return _no(Problem.INVALID_INPUT, "rating is a whole number from 1 to 5", "rating")
    return rating


# -- the actions ---------------------------------------------------------------------------


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
    parties = _int(data.get("parties", 0 if kind == "event" else None))
    if parties is None or parties < (0 if kind == "event" else 1):
        errors.append(
            UserError(Problem.INVALID_INPUT, "parties is how many parties there are", "parties")
        )
    receiver = _one_target(c, HOLDERS)
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
    target = _one_target(c, HOLDERS)
    if isinstance(target, Refusal):
        return target
    if c.state.kind == "event" and target.kind == "MediationOrg":
        return _no(Problem.NOT_FOR_KIND, "an event is never sent to mediation", "targets")
    if target == c.state.holder:
        return _no(Problem.INVALID_INPUT, "the dispute is held there already", "targets")
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
        return _no(
            Problem.CONFLICT_OF_INTEREST, f"the expert pool excludes you: {c.facts.conflict}"
        )
    level = c.state.holding.level if c.state.holding else None
    found = c.level_limit(level)
    if isinstance(found, UserError):
        return Refusal((found,))
    return Effect(data={"level": level, **found}, targets=(c.unit,))


def order(c: Context) -> Effect | Refusal:
    pick = _one_target(c, ("Person", "MediationOrg"))
    if isinstance(pick, Refusal):
        return pick
    if pick not in c.state.offered:
        offered = ", ".join(str(r) for r in c.state.offered) or "nobody"
        return _no(Problem.INVALID_INPUT, f"{pick} was not offered; offered: {offered}", "targets")
    if c.facts.conflict:
        return _no(
            Problem.CONFLICT_OF_INTEREST, f"the expert pool excludes {pick}: {c.facts.conflict}"
        )
    level = c.state.holding.level if c.state.holding else None
    found = c.level_limit(level)
    if isinstance(found, UserError):
        return Refusal((found,))
    sign = c.limit(c.rules.workflow.limits.sign)
    return Effect(data={"level": level, **found, "sign_limit": sign})


def record(c: Context) -> Effect | Refusal:
    note = c.command.data.get("note")
    return Effect(data={"note": note} if isinstance(note, str) and note else {})


def bounce(c: Context) -> Effect | Refusal:
    s = c.state
    cause = c.command.data.get("cause")
    if not isinstance(cause, str) or not cause:
        return _no(Problem.INVALID_INPUT, "a bounce names its cause, e.g. dispatch_error", "cause")
    if s.holding is None or s.holding.sender is None:
        return _no(Problem.NOT_ALLOWED_IN_STATE, "nobody sent you the dispute: escalate it instead")
    if any(r.action == "bounce" for r in s.pending):
        return _no(Problem.NOT_ALLOWED_IN_STATE, "a bounce already waits for approval")
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


def decide_request(approved: bool) -> Callable[[Context], Effect | Refusal]:
    def effect(c: Context) -> Effect | Refusal:
        s = c.state
        request = s.request(_int(c.command.data.get("request")) or -1)
        if request is None:
            pending = ", ".join(f"{r.action} (version {r.version})" for r in s.pending) or "none"
            return _no(
                Problem.NO_PENDING_REQUEST, f"no such request; pending: {pending}", "request"
            )
        if request.by == c.unit:
            return _no(Problem.SELF_APPROVAL, "a unit does not decide its own request")
        data = {"request": request.version, "request_action": request.action}
        if not approved:
            return Effect(to_state=s.state, data=data)
        if request.action == "bounce":
            back = {k: request.data[k] for k in ("back_to", "limit", "limit_source", "level")}
            return Effect(to_state="accepted", data={**data, **back}, step="routed")
        if request.action == "park":
            return Effect(to_state="parked", data=data)
        return Effect(to_state=s.state, data=data)

    return effect


def request_extension(c: Context) -> Effect | Refusal:
    s = c.state
    assert s.holding is not None
    days = _int(c.command.data.get("days"))
    if days is None or days < 1:
        return _no(
            Problem.INVALID_INPUT,
            "days is the extension asked (in the limit's unit), a whole number ≥ 1",
            "days",
        )
    asked = sum(1 for r in s.pending if r.action == "request_extension")
    if len(s.holding.extensions) + asked >= c.rules.workflow.max_extensions:
        return _no(Problem.LIMIT_REACHED, f"at most {c.rules.workflow.max_extensions} extensions")
    due = c.calendar.due(s.holding.start, _total(s), s.pauses)
    if due is not None and c.now >= due:
        return _no(
            Problem.PAST_DEADLINE,
            f"an extension is asked before the deadline, {due:%Y-%m-%d %H:%M}",
        )
    unit = s.holding.limit.unit.value if s.holding.limit.unit is not Unit.HOURS else "working_days"
    return Effect(
        to_state=s.state, data={"extension": {"amount": days, "unit": unit}, "pending": True}
    )


def _total(s: DisputeState) -> Allowance:
    """The holding's allowance with its approved extensions."""
    assert s.holding is not None
    extra = sum(a.amount for a in s.holding.extensions)
    return Allowance(s.holding.limit.amount + extra, s.holding.limit.unit)


def park(c: Context) -> Effect | Refusal:
    if any(r.action == "park" for r in c.state.pending):
        return _no(Problem.NOT_ALLOWED_IN_STATE, "parking already waits for approval")
    return Effect(to_state=c.state.state, data={"pending": True})


def escalate(c: Context) -> Effect | Refusal:
    rung = c.facts.next_rung
    if rung is None:
        return _no(Problem.INVALID_INPUT, "the ladder has no rung above where the dispute is held")
    if c.state.kind == "event" and rung.level == "court":
        return _no(Problem.NOT_FOR_KIND, "an event is never sent to a court")
    found = c.level_limit(rung.level)
    if isinstance(found, UserError):
        return Refusal((found,))
    data = {"level": rung.level, **found, "auto": c.command.caller.role == "system"}
    if c.command.data.get("breached"):
        data["breached"] = str(c.command.data["breached"])
    return Effect(data=data, targets=(rung.body,))


def whistle(c: Context) -> Effect | Refusal:
    targets = c.command.targets
    if not targets or any(t.kind != "Department" for t in targets):
        return _no(Problem.INVALID_INPUT, "a whistle summons one or more departments", "targets")
    again = [str(t) for t in targets if c.state.whistle_of(t) is not None]
    if again or len(set(targets)) != len(targets):
        return _no(Problem.INVALID_INPUT, f"summoned already: {', '.join(again)}", "targets")
    kind = c.command.data.get("type", "progress")
    if kind not in WHISTLE_TYPES:
        return _no(Problem.INVALID_INPUT, f"type is one of {WHISTLE_TYPES}", "type")
    limits = c.rules.workflow.limits
    report_limit = limits.whistle_report_tough if kind == "tough" else limits.whistle_report
    return Effect(
        data={
            "type": kind,
            "limits": {
                "signed": c.limit(limits.whistle_sign),
                "contacted": c.limit(limits.whistle_contact),
                "arrived": c.limit(report_limit),
            },
        }
    )


def answer(stage: str) -> Callable[[Context], Effect | Refusal]:
    def effect(c: Context) -> Effect | Refusal:
        whistle = c.state.whistle_of(c.unit)
        if whistle is None and stage != "arrived":
            return _no(Problem.NOT_SUMMONED, "your unit was not summoned by a whistle")
        if whistle is None:  # an order's arrival (stands() let only the holder through)
            assert c.state.holding is not None
            if c.state.holding.arrived is not None:
                return _no(Problem.NOT_ALLOWED_IN_STATE, "you have arrived already")
            return Effect(data={"for": "order"})
        if getattr(whistle, stage) is not None:
            return _no(Problem.NOT_ALLOWED_IN_STATE, f"{stage} already")
        if stage != "signed" and whistle.signed is None:
            return _no(Problem.NOT_ALLOWED_IN_STATE, "sign for the whistle first")
        return Effect(data={"for": "whistle"})

    return effect


def rate_response(c: Context) -> Effect | Refusal:
    target = _one_target(c, ("Department",))
    if isinstance(target, Refusal):
        return target
    whistle = c.state.whistle_of(target)
    if whistle is None or whistle.summoner != c.unit:
        return _no(Problem.NOT_SUMMONED, f"your unit did not summon {target}", "targets")
    rating = _rating(c)
    return rating if isinstance(rating, Refusal) else Effect(data={"rating": rating})


def supervise(c: Context) -> Effect | Refusal:
    return Effect(data={"limit": c.limit(c.rules.workflow.limits.supervise)})


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


def rate(c: Context) -> Effect | Refusal:
    if any(party == str(c.command.caller.actor) for party, _ in c.state.ratings):
        return _no(Problem.NOT_ALLOWED_IN_STATE, "you have rated it already")
    rating = _rating(c)
    return rating if isinstance(rating, Refusal) else Effect(data={"rating": rating})


def reopen(c: Context) -> Effect | Refusal:
    s = c.state
    assert s.closed_at is not None and s.closed_by is not None
    window = c.rules.workflow.limits.reopen_within
    ends = c.calendar.due(s.closed_at, Allowance(window.amount, Unit(window.unit)))
    failed = s.satisfied is False or s.carried_out is False
    if not failed and ends is not None and c.now >= ends:
        return _no(
            Problem.PAST_WINDOW,
            f"a dispute reopens within {window.amount} {window.unit} of closing "
            f"(until {ends:%Y-%m-%d %H:%M}), or after a failed call-back or check",
        )
    found = c.level_limit(s.closed_level)
    if isinstance(found, UserError):
        return Refusal((found,))
    return Effect(data={"level": s.closed_level, **found}, targets=(s.closed_by,))


def flag(name: str) -> Callable[[Context], Effect | Refusal]:
    def effect(c: Context) -> Effect | Refusal:
        value = c.command.data.get(name)
        if not isinstance(value, bool):
            return _no(Problem.INVALID_INPUT, f"{name} is true or false", name)
        return Effect(data={name: value})

    return effect


def nothing(c: Context) -> Effect | Refusal:
    return Effect()


EFFECTS: dict[str, Callable[[Context], Effect | Refusal]] = {
    "report": report,
    "accept": accept,
    "dispatch": dispatch,
    "offer": offer,
    "sign": nothing,
    "claim": claim,
    "order": order,
    "record": record,
    "bounce": bounce,
    "approve": decide_request(True),
    "refuse": decide_request(False),
    "request_extension": request_extension,
    "park": park,
    "resume": nothing,
    "escalate": escalate,
    "whistle": whistle,
    "sign_whistle": answer("signed"),
    "contact": answer("contacted"),
    "arrive": answer("arrived"),
    "rate_response": rate_response,
    "supervise": supervise,
    "chase": nothing,
    "feed_back": feed_back,
    "close": close,
    "rate": rate,
    "reopen": reopen,
    "call_back": flag("satisfied"),
    "check": flag("carried_out"),
}
