"""Clocks, computed from a dispute's state at read time: never stored as time remaining.

    clocks(state, now, rules, calendar) -> tuple[Clock, ...]

Each open step has a clock: to accept a report, to sign for an order, to arrive, to handle it
(the holding's limit plus its approved extensions), to report back to a supervision, each
summoned department's sign, contact and report of a whistle, and the call-back after closing.
A clock is `within` its allowance, `approaching` once `pre_breach_share` of it is used,
`breached` at its due time, or `paused` while the dispute is parked (挂账: the parked spans are
not counted, so a resumed clock goes on where it stopped). `remaining` and `overdue` are counted
time (working time for working days) and never negative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from queries.calendar import Allowance, Calendar, Span
from queries.rules import Rules
from workflow.model import Ref
from workflow.state import DisputeState

STATUSES = ("within", "approaching", "breached", "paused")
HOLDING_STATES = ("reported", "accepted", "dispatched", "open", "handling", "parked", "fed_back")


@dataclass(frozen=True)
class Clock:
    """One open step's clock. `name` is accept, sign, arrive, handle, supervise,
    whistle_signed, whistle_contacted, whistle_arrived or call_back; `who` must act; `opened`
    is the version of the event that started it (with `name` and `who`, its identity)."""

    name: str
    who: Ref | None
    opened: int
    start: datetime
    limit: Allowance
    limit_source: str
    due: datetime | None
    pre_breach: datetime | None
    status: str
    remaining: timedelta
    overdue: timedelta

    @property
    def key(self) -> str:
        return f"{self.name}@{self.opened}:{self.who}"


def _clock(
    name: str,
    who: Ref | None,
    opened: int,
    start: datetime,
    limit: Allowance,
    source: str,
    pauses: Sequence[Span],
    now: datetime,
    share: float,
    calendar: Calendar,
) -> Clock:
    due = calendar.due(start, limit, pauses)
    warn = calendar.deadline(start, limit.unit, limit.counted() * share, pauses)
    used = calendar.counted(start, limit.unit, now, pauses)
    allowed = calendar.counted(start, limit.unit, due, pauses) if due else limit.counted()
    if due is None or (pauses and pauses[-1][1] is None and now >= pauses[-1][0]):
        status = "paused"
    elif now >= due:
        status = "breached"
    elif warn is not None and now >= warn:
        status = "approaching"
    else:
        status = "within"
    zero = timedelta(0)
    return Clock(
        name,
        who,
        opened,
        start,
        limit,
        source,
        due,
        warn,
        status,
        max(allowed - used, zero),
        max(used - allowed, zero),
    )


def extended(limit: Allowance, extensions: Sequence[Allowance]) -> Allowance:
    """A limit with its approved extensions (each in the limit's own unit)."""
    return Allowance(limit.amount + sum(a.amount for a in extensions), limit.unit)


def clocks(
    state: DisputeState, now: datetime, rules: Rules, calendar: Calendar
) -> tuple[Clock, ...]:
    """The clocks of the steps open in `state` at `now`."""
    share = rules.workflow.pre_breach_share
    pauses = state.pauses
    found: list[Clock] = []

    def add(
        name: str, who: Ref | None, opened: int, start: datetime, limit: Allowance, src: str
    ) -> None:
        found.append(_clock(name, who, opened, start, limit, src, pauses, now, share, calendar))

    h = state.holding
    if h is not None and state.state in HOLDING_STATES:
        name = "accept" if h.via == "report" else "handle"
        add(name, h.holder, h.opened, h.start, extended(h.limit, h.extensions), h.limit_source)
        if h.sign_limit and h.signed is None and state.state == "dispatched":
            add("sign", h.holder, h.opened, h.start, h.sign_limit, "workflow.limits.sign")
        if h.arrive_limit and h.arrived is None:
            add("arrive", h.holder, h.opened, h.start, h.arrive_limit, "workflow.limits.arrive")
    if state.supervision is not None and state.state in HOLDING_STATES:
        s = state.supervision
        add("supervise", state.holder, s.opened, s.start, s.limit, "workflow.limits.supervise")
    if state.state != "closed":
        for w in state.whistles:
            for stage in ("signed", "contacted", "arrived"):
                limit = w.limits.get(stage)
                if limit is not None and getattr(w, stage) is None:
                    source = "workflow.limits.whistle_" + {
                        "signed": "sign",
                        "contacted": "contact",
                    }.get(stage, "report")
                    add("whistle_" + stage, w.department, w.opened, w.start, limit, source)
    if state.state == "closed" and not state.called_back and state.call_back_limit:
        assert state.closed_at is not None and state.closed_version is not None
        found.append(
            _clock(
                "call_back",
                state.closed_by,
                state.closed_version,
                state.closed_at,
                state.call_back_limit,
                "workflow.limits.call_back",
                (),
                now,
                share,
                calendar,
            )
        )
    return tuple(found)
