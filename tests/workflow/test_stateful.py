"""Random sequences of actions by random callers, through the store on the embedded backend:
the state always equals the replay of the stored log, no action outside the rules succeeds,
versions rise by one, a replayed request changes nothing, and clocks are never negative."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from graph.embedded import EmbeddedBackend
from queries.calendar import CHINA_TIME, china_calendar
from queries.flow_rules import ACTIONS
from queries.rules import load_rules
from workflow.clocks import clocks
from workflow.model import Caller, Command, Facts, Ref, Refusal, Rung
from workflow.state import DisputeState, replay
from workflow.store import EventStore, Outcome, projection

RULES, CALENDAR = load_rules("330421"), china_calendar()
CENTER, TOWN = Ref("Center", "center-330421"), Ref("Center", "center-330421001")
DEPT, COMMITTEE = Ref("Department", "dept-wjw"), Ref("MediationOrg", "med-medical")
GRID = Ref("Grid", "330421001001-G01")
EXPERT = Ref("Person", "P-E")
CALLERS = (
    Caller(Ref("Person", "P-D"), "dispatcher", CENTER, "330421"),
    Caller(Ref("Person", "P-T"), "dispatcher", TOWN, "330421001"),
    Caller(Ref("Person", "P-O"), "department", DEPT, "330421"),
    Caller(Ref("Person", "P-M"), "mediator", COMMITTEE, "330421"),
    Caller(EXPERT, "expert"),
    Caller(Ref("Person", "P-G"), "grid_worker", GRID, "330421001001"),
    Caller(Ref("Person", "P-A"), "resident"),
    Caller(Ref("Person", "P-S"), "supervisor", Ref("Department", "zfw"), "330421"),
    Caller(Ref("Person", "timers"), "system"),
)
TARGETS = (CENTER, TOWN, DEPT, COMMITTEE, GRID, EXPERT)
D = "D-PROP"

facts = st.builds(
    Facts,
    in_scope=st.booleans(),
    is_party=st.booleans(),
    in_domain=st.booleans(),
    conflict=st.sampled_from([None, None, "tie"]),
    offered=st.just((EXPERT, COMMITTEE)),
    next_rung=st.sampled_from([None, Rung("town", TOWN), Rung("county", CENTER)]),
    target_level=st.sampled_from([None, "town", "county", "grid"]),
)
payload = st.fixed_dictionaries(
    {
        "outcome": st.sampled_from(["settled", "unsettled", "litigated", "lost"]),
        "settled_level": st.sampled_from([None, "town", "county", "court"]),
        "rating": st.integers(0, 6),
        "days": st.integers(0, 4),
        "cause": st.sampled_from(["dispatch_error", "not_responsible"]),
        "request": st.integers(1, 40),
        "satisfied": st.booleans(),
        "carried_out": st.booleans(),
        "urgent": st.booleans(),
    }
)


def _may(state: DisputeState, action: str, caller: Caller, payload: dict[str, Any]) -> bool:
    """Whether the caller's role may take the action and stands to the dispute as a holder or
    a summoned unit must (the facts decide the other relations)."""
    rule_ = RULES.workflow.action(action)
    who = rule_.roles
    if action in ("approve", "refuse"):
        who = {
            r: rel
            for q in state.pending
            for r, rel in RULES.workflow.action(q.action).approvers.items()
        }
    relation = who.get(caller.role, "none")
    if relation == "holder":
        return state.holder == caller.acting_for
    if relation == "summoned":
        return state.whistle_of(caller.acting_for) is not None or state.holder == caller.acting_for
    return relation != "none"


def _targets(action: str) -> list[tuple[Ref, ...]]:
    return {
        "dispatch": [(DEPT,), (COMMITTEE,), (GRID,), (TOWN,)],
        "whistle": [(DEPT,)],
        "rate_response": [(DEPT,)],
        "order": [(EXPERT,), (COMMITTEE,)],
    }.get(action, [()])


def at(day: str, hour: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour), CHINA_TIME)


class DisputeMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.mkdtemp()
        self.backend = EmbeddedBackend(Path(self.folder) / "g.lbdb")
        self.backend.init_schema()
        self.store = EventStore(self.backend)
        self.now = at("2024-03-04", 9)
        self.keys = 0
        self.last: tuple[Command, Facts, Outcome] | None = None

    def teardown(self) -> None:
        self.backend.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    @initialize(kind=st.sampled_from(["dispute", "event"]))
    def report(self, kind: str) -> None:
        command = Command(
            D,
            "report",
            Caller(Ref("Person", "P-A"), "resident"),
            0,
            "report",
            (CENTER,),
            None,
            {"kind": kind, "channel": "app", "title": "纠纷", "place": GRID.id, "parties": 3},
        )
        outcome = self.store.act(command, Facts(target_level="county"), self.now, RULES, CALENDAR)
        assert isinstance(outcome, Outcome)

    @rule(choice=st.data(), facts=facts, payload=payload, minutes=st.integers(0, 3 * 24 * 60))
    def act(self, choice: Any, facts: Facts, payload: dict[str, Any], minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        before = self.store.log(D)
        state = replay(before)
        assert state is not None
        fitting = choice.draw(st.integers(0, 9)) > 0  # mostly an action the state allows
        allowed = [a for a in ACTIONS if state.state in RULES.workflow.action(a).from_]
        action = choice.draw(st.sampled_from(allowed if fitting and allowed else ACTIONS))
        callers = [c for c in CALLERS if _may(state, action, c, payload)] if fitting else []
        caller = choice.draw(st.sampled_from(callers or CALLERS))
        sent_to = choice.draw(st.sampled_from(_targets(action)) if fitting else st.just(()))
        if fitting and state.pending:
            payload = {**payload, "request": choice.draw(st.sampled_from(state.pending)).version}
        reason = choice.draw(st.sampled_from(["理由", "理由", None]))
        version = len(before) if choice.draw(st.integers(0, 9)) else max(len(before) - 2, 0)
        self.keys += 1
        command = Command(D, action, caller, version, f"k{self.keys}", sent_to, reason, payload)
        result = self.store.act(command, facts, self.now, RULES, CALENDAR)
        after = self.store.log(D)
        if isinstance(result, Refusal):
            assert after == before
            event("refused")
            return
        event(f"applied {action}")
        assert result.event.version == state.version + 1 == len(after)
        rule_ = RULES.workflow.action(action)
        assert state.state in rule_.from_
        assert state.kind in rule_.kinds
        who = rule_.roles
        if action in ("approve", "refuse"):
            request = state.request(payload["request"])
            assert request is not None
            who = RULES.workflow.action(request.action).approvers
        assert who.get(caller.role, "none") != "none"
        assert after[-1] == result.event
        assert result.state == replay(after)
        self.last = (command, facts, result)

    @rule()
    def replay_the_last_request(self) -> None:
        if self.last is None:
            return
        command, facts, first = self.last
        before = self.store.log(D)
        again = self.store.act(command, facts, self.now + timedelta(hours=1), RULES, CALENDAR)
        assert again == Outcome(first.event, first.state, replayed=True)
        assert self.store.log(D) == before

    @invariant()
    def the_node_and_the_clocks_follow_the_log(self) -> None:
        state = self.store.state(D)
        if state is None:
            return
        node = self.backend.read(
            "MATCH (d:Dispute {id: $id}) RETURN d.id AS id, d.status AS status, d.outcome AS "
            "outcome, d.settled_level AS settled_level, d.settled_on AS settled_on, d.warning "
            "AS warning, d.satisfaction AS satisfaction",
            {"id": D},
        )
        assert node == [projection(state)]
        for clock in clocks(state, self.now, RULES, CALENDAR):
            assert clock.remaining >= timedelta(0) and clock.overdue >= timedelta(0)
            assert clock.status in ("within", "approaching", "breached", "paused")


DisputeMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestDisputeMachine = DisputeMachine.TestCase
