"""What an action's own checks are given, and what they give back.

A `Context` is the state, the command, the facts, `now`, the rules, the calendar and the
action's rule, with how the caller stands to the dispute (`stands`) and the time limits a
holding gets (`level_limit`). An `Effect` names the state the action leads to where the rules
cannot (a bounce waiting for approval stays; an approval leads where the request would have),
the event's data (every time limit that applies, with its source, so the log replays without
the rules) and its targets (the new holder, the summoned departments).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from queries.calendar import Calendar
from queries.flow_rules import ActionRule, Limit
from queries.rules import Rules
from workflow.model import Command, Facts, Problem, Ref, Refusal, UserError
from workflow.state import DisputeState

HOLDERS = ("Grid", "Department", "MediationOrg", "Center")  # whom a dispatch may send to


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
        asked = whole(self.command.data.get("request"))
        request = next((r for r in self.state.waiting if r.version == asked), None)
        if request is None:
            return None
        return self.rules.workflow.action(request.action).approvers

    def limit(self, limit: Limit) -> dict[str, Any]:
        return {"amount": limit.amount, "unit": limit.unit}

    def level_limit(self, level: str | None) -> dict[str, Any] | UserError:
        """A rung's handling time: the responsibility-list item's limit where the facts give
        one, else `[time_limits]` for the level, both counted as the referral and the ladder count
        them (`Rules.item_limit`, `Rules.level_limit`: a bare number of days in
        `limits.handling_unit`, a `{ amount, unit }` limit in its own unit, hours too)."""
        if self.facts.time_limit_days is not None:
            source = self.facts.limit_source or "responsibility-list item"
            return {
                "limit": self.limit(self.rules.item_limit(self.facts.time_limit_days)),
                "limit_source": source,
            }
        limit = self.rules.level_limit(level or "")
        if limit is None:
            return UserError(
                Problem.INVALID_INPUT,
                f"no time limit for level {level!r}: give the target's level "
                "(grid, village, town, county, city, liaison, industry)",
                "targets",
            )
        return {"limit": self.limit(limit), "limit_source": f"time_limits.{level}"}


def no(problem: Problem, message: str, field: str | None = None) -> Refusal:
    return Refusal((UserError(problem, message, field),))


def whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def one_target(c: Context, kinds: tuple[str, ...]) -> Ref | Refusal:
    targets = c.command.targets
    if len(targets) != 1 or targets[0].kind not in kinds:
        return no(
            Problem.INVALID_INPUT,
            f"{c.command.action} takes one target, a {' or '.join(kinds)}",
            "targets",
        )
    return targets[0]


def twice_named(refs: tuple[Ref, ...]) -> str | None:
    """What a list that names one actor twice says of it; None when each is named once."""
    twice = sorted({str(r) for r in refs if refs.count(r) > 1})
    return f"named twice: {', '.join(twice)}" if twice else None


def rating_of(c: Context) -> int | Refusal:
    rating = whole(c.command.data.get("rating"))
    if rating is None or not 1 <= rating <= 5:
        return no(Problem.INVALID_INPUT, "rating is a whole number from 1 to 5", "rating")
    return rating
