"""Timers: what falls due by `now`, and carrying it out exactly once.

    due_firings(states, now, rules_for, calendar_for, done=keys) -> [Firing]   # pure
    run_timers(store, outbox, now, rules_for, calendar_for, next_rung)          # carries out

A firing is a pre-breach notice (the clock passed its pre-breach point), a breach notice, or
an automatic escalation of a breached handling step to the ladder's next rung (unless an
extension asked in time still waits for approval). Its key is made of the dispute, the clock's
identity (name, the version that opened it, who must act), the kind and the recipient, so it
is the same on every run: a run after downtime lists every firing missed, each once, and the
store refuses a second record of a key (`workflow.notify`) and a second escalation with it
(the escalation's idempotency key). Escalations are appended by the `system` caller, each
at the pass's `now`, or later where an event logged while the pass ran is later
(`workflow.store.stamp`): a pass's appends take a while.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from queries.calendar import Calendar
from queries.rules import Rules
from workflow.clocks import Clock, clocks
from workflow.model import SYSTEM_CALLER, Command, Event, Facts, Problem, Ref, Refusal, Rung
from workflow.notify import Notification, Outbox
from workflow.state import DisputeState, replay
from workflow.store import EventStore, Outcome

ESCALATING = ("accepted", "dispatched", "handling")


@dataclass(frozen=True)
class Firing:
    key: str
    dispute: str
    kind: str  # pre_breach, breach, escalate
    clock: Clock
    at: datetime  # when it fell due
    recipient: Ref | None
    version: int  # the dispute's version when it was listed


def _firing(s: DisputeState, c: Clock, kind: str, at: datetime, to: Ref | None) -> Firing:
    return Firing(f"{s.id}:{c.key}:{kind}:{to}", s.id, kind, c, at, to, s.version)


def firings_of(s: DisputeState, now: datetime, rules: Rules, calendar: Calendar) -> list[Firing]:
    out = []
    for c in clocks(s, now, rules, calendar):
        if c.status == "paused":
            continue
        if c.pre_breach is not None and now >= c.pre_breach:
            out.append(_firing(s, c, "pre_breach", c.pre_breach, c.who))
        if c.due is None or now < c.due:
            continue
        out.append(_firing(s, c, "breach", c.due, c.who))
        sender = s.holding.sender if s.holding else None
        if c.name in ("handle", "sign", "arrive") and sender is not None and sender != c.who:
            out.append(_firing(s, c, "breach", c.due, sender))
        if c.name.startswith("whistle_") and s.holder is not None:
            out.append(_firing(s, c, "breach", c.due, s.holder))  # the summoning body
        waiting = any(r.action == "request_extension" for r in s.waiting)
        if (
            c.name == "handle"
            and rules.workflow.auto_escalate
            and s.state in ESCALATING
            and not waiting
        ):
            out.append(_firing(s, c, "escalate", c.due, None))
    return out


def due_firings(
    states: Iterable[DisputeState],
    now: datetime,
    rules_for: Callable[[DisputeState], Rules],
    calendar_for: Callable[[Rules], Calendar],
    done: Collection[str] = (),
) -> list[Firing]:
    """Every firing due by `now` not in `done`, oldest first."""
    out = []
    for s in states:
        rules = rules_for(s)
        out += [f for f in firings_of(s, now, rules, calendar_for(rules)) if f.key not in done]
    return sorted(out, key=lambda f: (f.at, f.key))


def run_timers(
    store: EventStore,
    outbox: Outbox,
    now: datetime,
    rules_for: Callable[[DisputeState], Rules],
    calendar_for: Callable[[Rules], Calendar],
    next_rung: Callable[[DisputeState], Rung | None],
) -> list[Notification]:
    """Carry out the firings due: escalate, then record a notification per firing (each
    once). Returns the notifications recorded by this run."""
    logs = store.logs()
    states = [s for log in logs.values() if (s := replay(log)) is not None]
    done = outbox.keys()
    # An escalation whose notice a killed run did not record: its clock is gone with the
    # holding, so no firing lists it again; the log does.
    recorded = [n for n in _unnoted(logs.values(), done) if outbox.record(n)]
    firings = due_firings(states, now, rules_for, calendar_for, done)
    by_id = {s.id: s for s in states}
    for f in firings:
        why, recipient = f.kind, f.recipient
        if f.kind == "escalate":
            state = by_id[f.dispute]
            rules = rules_for(state)
            result = store.act(
                Command(
                    f.dispute,
                    "escalate",
                    SYSTEM_CALLER,
                    f.version,
                    f.key,
                    reason=f"{f.clock.name} breached at {f.clock.due}",
                    data={"breached": f.clock.key, "due": f.at.isoformat()},
                ),
                Facts(next_rung=next_rung(state)),
                now,
                rules,
                calendar_for(rules),
            )
            if isinstance(result, Refusal):
                if any(e.code is Problem.STALE_VERSION for e in result.errors):
                    continue  # the dispute moved meanwhile: the next run looks again
                why = "escalation_refused"
            else:
                why, recipient = "escalated", _holder(result)
        note = Notification(f.key, f.dispute, recipient, why, f.clock.key, f.at, f.clock.due)
        if outbox.record(note):
            recorded.append(note)
    return recorded


def _holder(outcome: Outcome) -> Ref | None:
    return outcome.state.holder


def _unnoted(logs: Iterable[Iterable[Event]], done: Collection[str]) -> list[Notification]:
    """The notices of the timers' escalations logged without one, as their run meant them:
    those that keep their due time (a migrated log's past escalations do not, and were told
    where they happened)."""
    out = []
    for log in logs:
        for e in log:
            due = e.data.get("due") if e.action == "escalate" and e.role == "system" else None
            if due and e.idempotency_key not in done:
                at = datetime.fromisoformat(due)
                holder = e.targets[0] if e.targets else None
                clock = str(e.data.get("breached", ""))
                out.append(
                    Notification(e.idempotency_key, e.dispute, holder, "escalated", clock, at, at)
                )
    return out
