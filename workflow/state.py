"""A dispute's state, derived from its log alone: `replay(events)`.

The state is whatever the events say, folded one at a time by `apply`: the state name (the
event's `to_state`), the holder and the holding it has (who sent it, since when, with which
time limits and approved extensions), the whistle's sub-case of each summoned department, the
requests waiting for approval, the paused spans, the outcome, ratings and counters. Nothing in
it is read from the graph or the rules, so a log replays the same anywhere, and the clocks
(`workflow.clocks`) are computed from it at read time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from queries.calendar import Allowance, Span, Unit
from workflow.model import Event, Ref


def allowance(value: Mapping[str, Any] | None) -> Allowance | None:
    """An allowance as events keep it: {"amount": 3, "unit": "working_days"}."""
    if not value:
        return None
    return _allowance(int(value["amount"]), value["unit"])


@lru_cache(maxsize=256)
def _allowance(amount: int, unit: str) -> Allowance:
    """One (frozen) Allowance for each amount and unit: a replay reads two or three an event,
    and making each anew (the Unit enum's look-up above all) was a tenth of a replay."""
    return Allowance(amount, Unit(unit))


@dataclass(frozen=True)
class Holding:
    """The holder's hold on the dispute: how it came (`via`: accept, dispatch, claim, order,
    escalate, bounce, feed_back, reopen), from whom, since when (`start`, the event's version
    `opened`), and its clocks: to sign for it, to arrive, to handle it (with approved
    extensions)."""

    holder: Ref
    level: str | None
    via: str
    sender: Ref | None
    sender_level: str | None
    start: datetime
    opened: int
    limit: Allowance
    limit_source: str
    sign_limit: Allowance | None = None
    signed: datetime | None = None
    arrive_limit: Allowance | None = None
    arrived: datetime | None = None
    extensions: tuple[Allowance, ...] = ()


@dataclass(frozen=True)
class Whistle:
    """One summoned department's sub-case of a whistle (吹哨报到)."""

    department: Ref
    summoner: Ref
    start: datetime
    opened: int
    limits: Mapping[str, Allowance]  # sign, contact, report
    signed: datetime | None = None
    contacted: datetime | None = None
    arrived: datetime | None = None
    rating: int | None = None


@dataclass(frozen=True)
class Request:
    """A request waiting for approval: an extension, a bounce or parking."""

    action: str
    version: int
    by: Ref
    at: datetime
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Supervision:
    by: Ref
    start: datetime
    opened: int
    limit: Allowance


@dataclass(frozen=True)
class DisputeState:
    id: str
    state: str = "new"
    version: int = 0
    kind: str = "dispute"
    step: str | None = None
    reported_at: datetime | None = None
    report: Mapping[str, Any] = field(default_factory=dict)
    warning: str | None = None
    holding: Holding | None = None
    offered: tuple[Ref, ...] = ()
    whistles: tuple[Whistle, ...] = ()
    pending: tuple[Request, ...] = ()
    pauses: tuple[Span, ...] = ()
    supervision: Supervision | None = None
    closed_at: datetime | None = None
    closed_version: int | None = None
    closed_by: Ref | None = None
    closed_level: str | None = None
    call_back_limit: Allowance | None = None
    outcome: str | None = None
    settled_level: str | None = None
    ratings: tuple[tuple[str, int], ...] = ()  # each party's latest
    rated: tuple[str, ...] = ()  # the parties who rated since the latest close
    satisfied: bool | None = None
    carried_out: bool | None = None
    called_back: bool = False
    bounced_by: tuple[Ref, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def holder(self) -> Ref | None:
        return self.holding.holder if self.holding else None

    @property
    def summoned(self) -> tuple[Ref, ...]:
        return tuple(w.department for w in self.whistles)

    def whistle_of(self, unit: Ref) -> Whistle | None:
        return next((w for w in self.whistles if w.department == unit), None)

    def request(self, version: int) -> Request | None:
        return next((r for r in self.pending if r.version == version), None)

    @property
    def waiting(self) -> tuple[Request, ...]:
        """The requests of the current holding, which alone may be decided: those asked
        before a feed-back handed the dispute on lapsed with it (kept in `pending`, so that
        a log written before replays as it did)."""
        opened = self.holding.opened if self.holding else 0
        return tuple(r for r in self.pending if r.version > opened)


_Value = TypeVar("_Value", DisputeState, Holding, Whistle)


def _evolve(value: _Value, **changes: Any) -> _Value:
    """`dataclasses.replace` for the replay's frozen values, without calling `__init__`: a
    copy of the fields with `changes` over them. replace() passes every field through
    `__init__` again (27 of them for a state), and a replay makes two or three per event: over
    the demo's 120,000 events that was half the replay's time (docs/benchmarks.md)."""
    copy = type(value).__new__(type(value))
    fields = copy.__dict__
    fields.update(value.__dict__)
    fields.update(changes)
    if len(fields) != len(value.__dict__):  # a name that is not a field, as replace() refuses
        unknown = ", ".join(sorted(changes.keys() - value.__dict__.keys()))
        raise TypeError(f"{type(value).__name__} has no field {unknown}")
    return copy


class LogError(ValueError):
    """A log that cannot be replayed: an event out of order or of another dispute."""


def _count(state: DisputeState, name: str) -> dict[str, int]:
    counts = dict(state.counts)
    counts[name] = counts.get(name, 0) + 1
    return counts


def _holding(
    e: Event, holder: Ref, via: str, sender: Ref | None, sender_level: str | None = None
) -> Holding:
    limit = allowance(e.data.get("limit"))
    assert limit is not None, f"{e.id}: a holding needs a limit"
    return Holding(
        holder=holder,
        level=e.data.get("level"),
        via=via,
        sender=sender,
        sender_level=sender_level,
        start=e.at,
        opened=e.version,
        limit=limit,
        limit_source=str(e.data.get("limit_source", "")),
        sign_limit=allowance(e.data.get("sign_limit")),
        arrive_limit=allowance(e.data.get("arrive_limit")),
    )


def apply(state: DisputeState, e: Event) -> DisputeState:
    """The state after event `e`."""
    if e.version != state.version + 1 or e.dispute != state.id:
        raise LogError(f"{e.id} cannot follow {state.id} at version {state.version}")
    s = _evolve(state, state=e.to_state, version=e.version, step=e.data.get("step", state.step))
    handler = _EFFECTS.get(e.action)
    out = handler(s, e) if handler else s
    old, new = state.holding, out.holding
    handed = new is not None and (old is None or new.opened != old.opened)
    if handed and new is not None and new.holder in state.bounced_by:
        out = _evolve(out, counts=_count(out, "loops"))  # back to a unit that bounced it (踢皮球)
    return out


def replay(events: Iterable[Event]) -> DisputeState | None:
    """The state a log leads to; None for an empty log."""
    state: DisputeState | None = None
    for e in events:
        state = apply(state or DisputeState(e.dispute), e)
    return state


# -- the effect of each action beside its state ------------------------------------------------


def _report(s: DisputeState, e: Event) -> DisputeState:
    holder = e.targets[0]
    return _evolve(
        s,
        kind=e.data["kind"],
        reported_at=e.at,
        report=dict(e.data),
        warning=e.data.get("warning"),
        holding=_holding(e, holder, "report", None),
    )


def _take(via: str, counted: str | None = "assignments") -> Any:
    """An action that gives the dispute a new holding: the target, or the caller's unit."""

    def effect(s: DisputeState, e: Event) -> DisputeState:
        holder = e.targets[0] if e.targets else e.acting_for
        sender = s.holder if via in ("dispatch", "order", "claim") else None
        level = s.holding.level if s.holding and sender else None
        holding = _holding(e, holder, via, sender, level)
        out = _evolve(s, holding=holding, offered=(), pending=())
        if counted:
            out = _evolve(out, counts=_count(out, counted))
        if via == "escalate" and e.data.get("auto"):
            out = _evolve(out, counts=_count(out, "auto_escalations"))
        return out

    return effect


def _accept(s: DisputeState, e: Event) -> DisputeState:
    assert s.holding is not None
    return _evolve(s, holding=_holding(e, s.holding.holder, "accept", None))


def _sign(s: DisputeState, e: Event) -> DisputeState:
    assert s.holding is not None
    return _evolve(s, holding=_evolve(s.holding, signed=e.at))


def _offer(s: DisputeState, e: Event) -> DisputeState:
    return _evolve(s, offered=tuple(Ref.parse(r) for r in e.data.get("offered", ())))


def _return(s: DisputeState, e: Event, bouncer: Ref) -> DisputeState:
    """A bounce takes effect: the dispute goes back to whoever sent the order."""
    out = _evolve(
        s,
        bounced_by=(*s.bounced_by, bouncer),
        counts=_count(s, "bounces"),
        pending=(),  # requests of the old holding lapse with it
    )
    back = Ref.parse(e.data["back_to"])
    return _evolve(out, holding=_holding(e, back, "bounce", None))


def _bounce(s: DisputeState, e: Event) -> DisputeState:
    if e.data.get("pending"):
        return _ask(s, e)
    return _return(s, e, e.acting_for)


def _ask(s: DisputeState, e: Event) -> DisputeState:
    request = Request(e.action, e.version, e.acting_for, e.at, dict(e.data))
    return _evolve(s, pending=(*s.pending, request))


def _decide(approved: bool) -> Any:
    def effect(s: DisputeState, e: Event) -> DisputeState:
        request = s.request(int(e.data["request"]))
        assert request is not None, f"{e.id}: no pending request {e.data['request']}"
        s = _evolve(s, pending=tuple(r for r in s.pending if r is not request))
        if not approved:
            return s
        if request.action == "bounce":
            return _return(s, e, request.by)
        if request.action == "request_extension":
            assert s.holding is not None
            extra = allowance(request.data["extension"])
            assert extra is not None
            holding = _evolve(s.holding, extensions=(*s.holding.extensions, extra))
            return _evolve(s, holding=holding, counts=_count(s, "extensions"))
        if request.action == "park":
            return _evolve(s, pauses=(*s.pauses, (e.at, None)))
        raise AssertionError(f"{e.id}: cannot approve {request.action}")

    return effect


def _resume(s: DisputeState, e: Event) -> DisputeState:
    (start, _), *_ = s.pauses[-1:]
    return _evolve(s, pauses=(*s.pauses[:-1], (start, e.at)))


def _whistle(s: DisputeState, e: Event) -> DisputeState:
    assert s.holding is not None
    limits = {k: a for k, v in e.data["limits"].items() if (a := allowance(v))}
    summoned = tuple(
        Whistle(d, s.holding.holder, e.at, e.version, limits)
        for d in e.targets
        if s.whistle_of(d) is None
    )
    return _evolve(s, whistles=(*s.whistles, *summoned), counts=_count(s, "whistles"))


def _answer(stage: str) -> Any:
    def effect(s: DisputeState, e: Event) -> DisputeState:
        unit = e.acting_for
        whistle = s.whistle_of(unit)
        if e.data.get("for") == "order" or whistle is None:
            assert s.holding is not None
            return _evolve(s, holding=_evolve(s.holding, arrived=e.at))
        changed = {
            "signed": lambda: _evolve(whistle, signed=e.at),
            "contacted": lambda: _evolve(whistle, contacted=e.at),
            "arrived": lambda: _evolve(whistle, arrived=e.at),
        }[stage]()
        return _evolve(s, whistles=tuple(changed if w is whistle else w for w in s.whistles))

    return effect


def _rate_response(s: DisputeState, e: Event) -> DisputeState:
    unit = e.targets[0]
    rated = tuple(
        _evolve(w, rating=int(e.data["rating"])) if w.department == unit else w for w in s.whistles
    )
    return _evolve(s, whistles=rated)


def _supervise(s: DisputeState, e: Event) -> DisputeState:
    limit = allowance(e.data["limit"])
    assert limit is not None
    return _evolve(s, supervision=Supervision(e.acting_for, e.at, e.version, limit))


def _feed_back(s: DisputeState, e: Event) -> DisputeState:
    assert s.holding is not None
    back = s.holding.sender or s.holding.holder
    return _evolve(s, holding=_holding(e, back, "feed_back", None), supervision=None)


def _record(s: DisputeState, e: Event) -> DisputeState:
    return _evolve(s, supervision=None)  # the holder's record answers a supervision


def _close(s: DisputeState, e: Event) -> DisputeState:
    return _evolve(
        s,
        closed_at=e.at,
        closed_version=e.version,
        closed_by=e.acting_for,
        closed_level=s.holding.level if s.holding else None,
        call_back_limit=allowance(e.data.get("call_back_limit")),
        outcome=e.data["outcome"],
        settled_level=e.data["settled_level"],
        holding=None,
        supervision=None,
        pending=(),
        satisfied=None,
        carried_out=None,
        called_back=False,
        rated=(),  # a reopened dispute's new outcome is rated anew
    )


def _rate(s: DisputeState, e: Event) -> DisputeState:
    party = str(e.actor)
    ratings = (*(r for r in s.ratings if r[0] != party), (party, int(e.data["rating"])))
    return _evolve(s, ratings=ratings, rated=(*s.rated, party))


def _reopen(s: DisputeState, e: Event) -> DisputeState:
    holder = e.targets[0]
    return _evolve(
        s,
        holding=_holding(e, holder, "reopen", None),
        closed_at=None,
        closed_version=None,
        closed_by=None,
        closed_level=None,
        outcome=None,
        settled_level=None,
        counts=_count(s, "reopens"),
    )


def _call_back(s: DisputeState, e: Event) -> DisputeState:
    return _evolve(s, satisfied=bool(e.data["satisfied"]), called_back=True)


def _check(s: DisputeState, e: Event) -> DisputeState:
    return _evolve(s, carried_out=bool(e.data["carried_out"]))


_EFFECTS: dict[str, Any] = {
    "report": _report,
    "accept": _accept,
    "dispatch": _take("dispatch"),
    "offer": _offer,
    "sign": _sign,
    "claim": _take("claim"),
    "order": _take("order"),
    "record": _record,
    "bounce": _bounce,
    "approve": _decide(True),
    "refuse": _decide(False),
    "request_extension": _ask,
    "park": _ask,
    "resume": _resume,
    "escalate": _take("escalate", "escalations"),
    "whistle": _whistle,
    "sign_whistle": _answer("signed"),
    "contact": _answer("contacted"),
    "arrive": _answer("arrived"),
    "rate_response": _rate_response,
    "supervise": _supervise,
    "feed_back": _feed_back,
    "close": _close,
    "rate": _rate,
    "reopen": _reopen,
    "call_back": _call_back,
    "check": _check,
}
