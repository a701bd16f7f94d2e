"""The `[workflow]` part of the rules file: the life of a dispute as data.

States, actions, who may take each action and how they must stand to the dispute, the guards,
the time limits of each step and the pre-breach share. `queries.rules.Rules.workflow` holds it;
the `workflow` package carries out what it says (docs/workflow.md).

The vocabularies below are fixed in code, since each action's effect is code: the rules choose
from them, and a name outside them is an error that names the key. The table of actions has
one source, `[workflow.actions]` in the packaged rules.toml: a county or another file overrides
an action key by key (`roles = { mediator = "none" }` takes a role away).
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from graph.schema import DISPUTE_STEPS

STATES = (
    "new",  # no report yet
    "reported",  # 发现/上报: waiting for the receiving center to accept it
    "accepted",  # 受理: held by a center, to be dispatched
    "dispatched",  # 派单: an order sent to a unit, not yet signed for
    "open",  # an order open to claims (抢单) and to the parties' pick (点单)
    "handling",  # 处置: signed for, claimed or taken on
    "parked",  # 挂账: clocks stopped, with approval
    "fed_back",  # 反馈: the handler reported back; the center closes it
    "closed",  # 办结
)
KINDS = ("dispute", "event")  # 矛盾纠纷 between parties / 部件事件 such as a broken manhole cover
ROLES = (
    "grid_worker",  # 网格员
    "resident",  # a resident through the app (a party, when the facts say so)
    "hotline",  # a 12345 operator reporting on a caller's behalf
    "dispatcher",  # a center's staff: accept, dispatch, approve
    "department",  # a department's staff
    "mediator",  # a mediator of a committee or center
    "expert",  # an expert of a pool
    "supervisor",  # a higher level's supervision (督办)
    "system",  # the timers
)
RELATIONS = (
    "anyone",  # no tie to the dispute needed
    "scope",  # the dispute lies in the caller's jurisdiction (a fact the caller supplies)
    "holder",  # the caller's unit holds the dispute
    "summoned",  # the caller's unit was summoned by a whistle, or sent an order to arrive
    "party",  # the caller is a party to the dispute (a fact)
    "domain",  # the open order's domain is one of the caller's (a fact); no conflict found
    "none",  # not allowed: takes a role away in an override
)
ACTIONS = (
    "report",
    "accept",
    "dispatch",
    "offer",
    "sign",
    "claim",
    "order",
    "record",
    "bounce",
    "approve",
    "refuse",
    "request_extension",
    "park",
    "resume",
    "escalate",
    "whistle",
    "sign_whistle",
    "contact",
    "arrive",
    "rate_response",
    "supervise",
    "chase",
    "feed_back",
    "close",
    "rate",
    "reopen",
    "call_back",
    "check",
)
UNITS = ("hours", "working_days", "days")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _known(values: Any, vocabulary: tuple[str, ...], what: str) -> None:
    unknown = [v for v in values if v not in vocabulary]
    if unknown:
        raise ValueError(f"unknown {what} {unknown}; known: {list(vocabulary)}")


class Limit(_Model):
    """A time limit: `amount` hours, working days or calendar days."""

    amount: int = Field(ge=0)
    unit: str = "working_days"

    @field_validator("unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        _known([value], UNITS, "unit")
        return value

    def __str__(self) -> str:
        """1 hour, 3 working days, 7 days."""
        word = {"hours": "hour", "working_days": "working day", "days": "day"}[self.unit]
        return f"{self.amount} {word}{'' if self.amount == 1 else 's'}"


def _roles(value: dict[str, str]) -> dict[str, str]:
    _known(value, ROLES, "roles")
    _known(value.values(), RELATIONS, "relations")
    return value


class ActionRule(_Model):
    """One action: the states it may be taken in, the state it leads to (None: it stays, or
    the action's effect decides it), who may take it and how they must stand to the dispute,
    the Suzhou step it counts as (None: the step stays) and its guards."""

    from_: tuple[str, ...] = Field(alias="from")
    to: str | None = None
    roles: dict[str, str] = Field(default_factory=dict)
    step: str | None = None
    kinds: tuple[str, ...] = KINDS
    reason: StrictBool = False  # a reason is required
    approval: StrictBool = False  # it takes effect when approved
    approvers: dict[str, str] = Field(default_factory=dict)
    causes_without_approval: tuple[str, ...] = ()  # causes that need no approval

    @field_validator("from_")
    @classmethod
    def _from(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        _known(value, STATES, "states")
        return value

    @field_validator("to")
    @classmethod
    def _to(cls, value: str | None) -> str | None:
        _known([value] if value else [], STATES, "state")
        return value

    @field_validator("roles", "approvers")
    @classmethod
    def _who(cls, value: dict[str, str]) -> dict[str, str]:
        return _roles(value)

    @field_validator("step")
    @classmethod
    def _step(cls, value: str | None) -> str | None:
        _known([value] if value else [], DISPUTE_STEPS, "step")
        return value

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        _known(value, KINDS, "kinds")
        return value

    def relation(self, role: str) -> str:
        """How a caller of `role` must stand to the dispute; "none" if the role may not."""
        return self.roles.get(role, "none")


class Limits(_Model):
    """Time limits of the steps that are not a rung's handling (that is `[time_limits]`, or
    the responsibility-list item's limit, counted in `handling_unit`)."""

    accept: Limit = Limit(amount=1)
    sign: Limit = Limit(amount=1)
    arrive: Limit = Limit(amount=1, unit="hours")
    whistle_sign: Limit = Limit(amount=1, unit="hours")
    whistle_contact: Limit = Limit(amount=24, unit="hours")
    whistle_report: Limit = Limit(amount=3)
    whistle_report_tough: Limit = Limit(amount=5)
    supervise: Limit = Limit(amount=3)
    call_back: Limit = Limit(amount=1)
    reopen_within: Limit = Limit(amount=5, unit="days")
    handling_unit: str = "working_days"

    @field_validator("handling_unit")
    @classmethod
    def _unit(cls, value: str) -> str:
        _known([value], UNITS, "unit")
        return value


class CalendarDays(_Model):
    """A county's own rest days and working days beside the national table."""

    extra_rest_days: tuple[str, ...] = ()
    extra_work_days: tuple[str, ...] = ()

    @field_validator("extra_rest_days", "extra_work_days")
    @classmethod
    def _dates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from datetime import date

        for day in value:
            date.fromisoformat(day)  # a ValueError names the bad date
        return value


@cache
def _packaged_actions() -> dict[str, Any]:
    text = resources.files("queries").joinpath("rules.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text).get("workflow", {}).get("actions", {})
    return dict(table) if isinstance(table, dict) else {}


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class WorkflowRules(_Model):
    pre_breach_share: float = Field(0.8, gt=0, lt=1)
    max_extensions: int = Field(2, ge=0)
    auto_escalate: StrictBool = True
    limits: Limits = Limits()
    calendar: CalendarDays = CalendarDays()
    actions: dict[str, ActionRule] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _over_the_packaged_table(cls, data: Any) -> Any:
        """The packaged table of actions with the given keys merged over it."""
        if isinstance(data, dict):
            given = data.get("actions", {})
            if isinstance(given, dict):
                _known(given, ACTIONS, "actions")
                return {**data, "actions": _merge(_packaged_actions(), given)}
        return data

    @model_validator(mode="after")
    def _every_action(self) -> WorkflowRules:
        _known(self.actions, ACTIONS, "actions")
        missing = [a for a in ACTIONS if a not in self.actions]
        if missing:
            raise ValueError(f"the actions table lacks {missing}")
        return self

    def action(self, name: str) -> ActionRule:
        return self.actions[name]
