"""Every action's own checks (`EFFECTS`, after `workflow.decide`'s common ones): the handing
over is in `workflow.handover`; here the requests for approval (extension 延期, parking 挂账)
and their decision, the whistle (吹哨报到) and its answers, and the records (handling,
supervision, ratings, call-back, check)."""

from __future__ import annotations

from collections.abc import Callable

from queries.calendar import Allowance, CalendarNotCovered
from workflow import handover
from workflow.clocks import extended
from workflow.context import Context, Effect, no, one_target, rating_of, twice_named, whole
from workflow.model import Problem, Refusal
from workflow.state import DisputeState, allowance

WHISTLE_TYPES = ("progress", "tough")  # Nanjing Gulou: work-progress and tough-problem whistles


def record(c: Context) -> Effect | Refusal:
    data = c.command.data
    note = data.get("result", data.get("note"))  # what was done: the clients send `result`
    return Effect(data={"note": note} if isinstance(note, str) and note.strip() else {})


def decide_request(approved: bool) -> Callable[[Context], Effect | Refusal]:
    def effect(c: Context) -> Effect | Refusal:
        s = c.state
        asked = whole(c.command.data.get("request"))
        request = next((r for r in s.waiting if r.version == asked), None)
        if request is None:
            pending = ", ".join(f"{r.action} (version {r.version})" for r in s.waiting) or "none"
            return no(Problem.NO_PENDING_REQUEST, f"no such request; pending: {pending}", "request")
        if request.by == c.unit:
            return no(Problem.SELF_APPROVAL, "a unit does not decide its own request")
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
    days = whole(c.command.data.get("days"))
    if days is None or days < 1:
        return no(
            Problem.INVALID_INPUT,
            "days is the extension asked (in the limit's unit), a whole number ≥ 1",
            "days",
        )
    asked = sum(1 for r in s.waiting if r.action == "request_extension")
    if len(s.holding.extensions) + asked >= c.rules.workflow.max_extensions:
        return no(Problem.LIMIT_REACHED, f"at most {c.rules.workflow.max_extensions} extensions")
    due = c.calendar.due(s.holding.start, _total(s), s.pauses)
    if due is not None and c.now >= due:
        return no(
            Problem.PAST_DEADLINE,
            f"an extension is asked before the deadline, {due:%Y-%m-%d %H:%M}",
        )
    unit = s.holding.limit.unit
    asked_days = [a for r in s.waiting if (a := allowance(r.data.get("extension")))]
    whole_limit = extended(_total(s), (*asked_days, Allowance(days, unit)))
    try:  # once approved, every read of its clocks (the queue, the timers) counts to its end
        c.calendar.due(s.holding.start, whole_limit, s.pauses)
    except (CalendarNotCovered, OverflowError) as exc:
        why = str(exc) if isinstance(exc, CalendarNotCovered) else "past any date"
        return no(
            Problem.INVALID_INPUT,
            f"an extension of {days} {unit.value} would end where no deadline can be counted "
            f"({why}): ask for fewer",
            "days",
        )
    extension = {"amount": days, "unit": unit.value}  # in the limit's own unit
    return Effect(to_state=s.state, data={"extension": extension, "pending": True})


def _total(s: DisputeState) -> Allowance:
    """The holding's allowance with its approved extensions."""
    assert s.holding is not None
    return extended(s.holding.limit, s.holding.extensions)


def park(c: Context) -> Effect | Refusal:
    if any(r.action == "park" for r in c.state.waiting):
        return no(Problem.NOT_ALLOWED_IN_STATE, "parking already waits for approval")
    return Effect(to_state=c.state.state, data={"pending": True})


def whistle(c: Context) -> Effect | Refusal:
    targets = c.command.targets
    if not targets or any(t.kind != "Department" for t in targets):
        return no(Problem.INVALID_INPUT, "a whistle summons one or more departments", "targets")
    twice = twice_named(targets)
    if twice:
        return no(Problem.INVALID_INPUT, twice, "targets")
    again = [str(t) for t in targets if c.state.whistle_of(t) is not None]
    if again:
        return no(Problem.INVALID_INPUT, f"summoned already: {', '.join(again)}", "targets")
    kind = c.command.data.get("type", "progress")
    if kind not in WHISTLE_TYPES:
        return no(Problem.INVALID_INPUT, f"type is one of {WHISTLE_TYPES}", "type")
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
            return no(Problem.NOT_SUMMONED, "your unit was not summoned by a whistle")
        if whistle is None:  # an order's arrival (stands() let only the holder through)
            assert c.state.holding is not None
            if c.state.holding.arrived is not None:
                return no(Problem.NOT_ALLOWED_IN_STATE, "you have arrived already")
            return Effect(data={"for": "order"})
        if getattr(whistle, stage) is not None:
            return no(Problem.NOT_ALLOWED_IN_STATE, f"{stage} already")
        if stage != "signed" and whistle.signed is None:
            return no(Problem.NOT_ALLOWED_IN_STATE, "sign for the whistle first")
        return Effect(data={"for": "whistle"})

    return effect


def rate_response(c: Context) -> Effect | Refusal:
    target = one_target(c, ("Department",))
    if isinstance(target, Refusal):
        return target
    whistle = c.state.whistle_of(target)
    if whistle is None or whistle.summoner != c.unit:
        return no(Problem.NOT_SUMMONED, f"your unit did not summon {target}", "targets")
    rating = rating_of(c)
    return rating if isinstance(rating, Refusal) else Effect(data={"rating": rating})


def supervise(c: Context) -> Effect | Refusal:
    return Effect(data={"limit": c.limit(c.rules.workflow.limits.supervise)})


def rate(c: Context) -> Effect | Refusal:
    if str(c.command.caller.actor) in c.state.rated:
        return no(Problem.NOT_ALLOWED_IN_STATE, "you have rated it already")
    rating = rating_of(c)
    return rating if isinstance(rating, Refusal) else Effect(data={"rating": rating})


def flag(name: str) -> Callable[[Context], Effect | Refusal]:
    def effect(c: Context) -> Effect | Refusal:
        value = c.command.data.get(name)
        if not isinstance(value, bool):
            return no(Problem.INVALID_INPUT, f"{name} is true or false", name)
        return Effect(data={name: value})

    return effect


def nothing(c: Context) -> Effect | Refusal:
    return Effect()


EFFECTS: dict[str, Callable[[Context], Effect | Refusal]] = {
    "report": handover.report,
    "accept": handover.accept,
    "dispatch": handover.dispatch,
    "offer": handover.offer,
    "sign": nothing,
    "claim": handover.claim,
    "order": handover.order,
    "record": record,
    "bounce": handover.bounce,
    "approve": decide_request(True),
    "refuse": decide_request(False),
    "request_extension": request_extension,
    "park": park,
    "resume": nothing,
    "escalate": handover.escalate,
    "whistle": whistle,
    "sign_whistle": answer("signed"),
    "contact": answer("contacted"),
    "arrive": answer("arrived"),
    "rate_response": rate_response,
    "supervise": supervise,
    "chase": nothing,
    "feed_back": handover.feed_back,
    "close": handover.close,
    "rate": rate,
    "reopen": handover.reopen,
    "call_back": flag("satisfied"),
    "check": flag("carried_out"),
}
