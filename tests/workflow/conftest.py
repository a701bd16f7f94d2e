"""A dispute driven through `workflow.decide` without a store, and the actors of the tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from queries.calendar import Calendar, china_calendar
from queries.rules import Rules, load_rules
from workflow.clocks import Clock, clocks
from workflow.decide import decide
from workflow.model import Caller, Command, Event, Facts, Ref, Refusal
from workflow.state import DisputeState, apply

NO_FACTS = Facts()


@dataclass
class Flow:
    """One dispute's log, grown a command at a time by the pure decision."""

    dispute: str
    rules: Rules
    calendar: Calendar = field(default_factory=china_calendar)
    log: list[Event] = field(default_factory=list)
    state: DisputeState | None = None

    @property
    def version(self) -> int:
        return self.state.version if self.state else 0

    def command(
        self,
        action: str,
        caller: Caller,
        targets: tuple[Ref, ...] = (),
        reason: str | None = None,
        key: str | None = None,
        **data: Any,
    ) -> Command:
        key = key or f"{action}-{self.version + 1}"
        return Command(self.dispute, action, caller, self.version, key, targets, reason, data)

    def decide(self, command: Command, now: datetime, facts: Facts = NO_FACTS) -> Event | Refusal:
        return decide(self.state, command, facts, now, self.rules, self.calendar)

    def act(
        self, action: str, caller: Caller, now: datetime, facts: Facts = NO_FACTS, **kw: Any
    ) -> Event:
        result = self.decide(self.command(action, caller, **kw), now, facts)
        assert not isinstance(result, Refusal), result.errors
        self.log.append(result)
        self.state = apply(self.state or DisputeState(self.dispute), result)
        return result

    def refused(
        self, action: str, caller: Caller, now: datetime, facts: Facts = NO_FACTS, **kw: Any
    ) -> list[tuple[str, str]]:
        result = self.decide(self.command(action, caller, **kw), now, facts)
        assert isinstance(result, Refusal), result
        return [(e.code.value, e.message) for e in result.errors]

    def trail(self) -> list[tuple[str, str, str, str | None]]:
        """(action, from, to, holder after) per event."""
        out = []
        state = DisputeState(self.dispute)
        for e in self.log:
            state = apply(state, e)
            out.append(
                (e.action, e.from_state, e.to_state, str(state.holder) if state.holder else None)
            )
        return out

    def steps(self) -> list[str | None]:
        return [e.data.get("step") for e in self.log]

    def clocks(self, now: datetime) -> list[Clock]:
        assert self.state is not None
        return list(clocks(self.state, now, self.rules, self.calendar))

    def badges(self, now: datetime) -> list[tuple[str, str, str, str]]:
        """(name, who, status, due) of each open clock."""
        return [
            (c.name, str(c.who), c.status, c.due.isoformat() if c.due else "")
            for c in self.clocks(now)
        ]


@pytest.fixture
def flow_of() -> Iterator[Any]:
    """`flow_of(dispute, county)`: a new Flow under the county's rules."""

    def make(dispute: str, county: str | None = None) -> Flow:
        return Flow(dispute, load_rules(county))

    yield make
