"""The values the workflow passes around: actors, callers, commands, facts, events, errors.

An actor is named by a `Ref`: a schema label (Person, Grid, Department, Center, MediationOrg,
Unit) and its key, or `System` for the timers. A `Caller` is who acts: the actor, the workflow
role they act in (queries.flow_rules.ROLES), the unit they act for and their jurisdiction. A
`Command` is what they ask; `Facts` are what the caller looked up in the graph for it (whether
the dispute lies in their jurisdiction, the expert pool's conflict verdict, the ladder's next
rung…), so that `workflow.decide` never reads the graph and is the same on every backend.

An `Event` is one record of the append-only log: never updated, never deleted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

SYSTEM = "System"


@dataclass(frozen=True, order=True)
class Ref:
    """An actor: its kind (a schema label, or System) and its key."""

    kind: str
    id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> Ref:
        kind, _, key = text.partition(":")
        return cls(kind, key)


@dataclass(frozen=True)
class Caller:
    """Who acts. `unit` is the body they act for (their department, center, grid team or
    committee; an expert acts for themselves); `scope` their jurisdiction, a division-code
    prefix."""

    actor: Ref
    role: str
    unit: Ref | None = None
    scope: str | None = None

    @property
    def acting_for(self) -> Ref:
        return self.unit or self.actor


SYSTEM_CALLER = Caller(Ref(SYSTEM, "timers"), "system")


@dataclass(frozen=True)
class Command:
    """An action asked for. `expected_version` is the version the caller last saw (0 before a
    report); `idempotency_key` names the request, so a replay applies nothing."""

    dispute: str
    action: str
    caller: Caller
    expected_version: int
    idempotency_key: str
    targets: tuple[Ref, ...] = ()
    reason: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        """A digest of what was asked, to tell a replay from another request with the key."""
        body = {
            "dispute": self.dispute,
            "action": self.action,
            "caller": [str(self.caller.actor), self.caller.role, str(self.caller.unit)],
            "expected_version": self.expected_version,
            "targets": [str(t) for t in self.targets],
            "reason": self.reason,
            "data": dict(self.data),
        }
        text = json.dumps(body, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def report_id(county: str, caller: Caller, idempotency_key: str) -> str:
    """A new dispute's id: its county and a digest of the reporter and the request's key, so
    a retried report names the same dispute and finds the first one (`workflow.store`)."""
    text = f"{caller.actor}\x1f{idempotency_key}"
    return f"{county}-W{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12].upper()}"


@dataclass(frozen=True)
class Rung:
    """The ladder's next rung above where the dispute is held: its level and its body."""

    level: str
    body: Ref


@dataclass(frozen=True)
class Facts:
    """What the caller looked up for the command.

    `in_scope`: the dispute (or the reported place) lies in the caller's jurisdiction.
    `is_party`: the caller is a party to the dispute. `in_domain`: the open order's domain is
    one of the caller's (claim). `conflict`: the expert pool's reason for excluding the caller
    (claim) or the pick (order), None when it found none. `offered`: those the expert pool
    offers the parties (offer, order). `next_rung`: the ladder's next rung (escalate).
    `target_level`: the level of the command's first target (dispatch). `time_limit_days` and
    `limit_source`: the responsibility-list item's limit for the target, where there is one.
    `visits`: the most disputes one party brought within the warning window (report).
    """

    in_scope: bool = False
    is_party: bool = False
    in_domain: bool = False
    conflict: str | None = None
    offered: tuple[Ref, ...] = ()
    next_rung: Rung | None = None
    target_level: str | None = None
    time_limit_days: int | None = None
    limit_source: str | None = None
    visits: int = 0


@dataclass(frozen=True)
class Event:
    """One action, as the log keeps it."""

    dispute: str
    version: int
    at: datetime
    actor: Ref
    role: str
    unit: Ref | None
    scope: str | None
    action: str
    from_state: str
    to_state: str
    targets: tuple[Ref, ...]
    reason: str | None
    idempotency_key: str
    fingerprint: str
    data: Mapping[str, Any]

    @property
    def id(self) -> str:
        """The event's key: the dispute and the version, so two writers of one version clash."""
        return f"{self.dispute}#{self.version}"

    @property
    def acting_for(self) -> Ref:
        return self.unit or self.actor


class Problem(StrEnum):
    """What went wrong with a command, for the caller to mend (GraphQL userErrors' codes)."""

    STALE_VERSION = "stale_version"
    UNKNOWN_ACTION = "unknown_action"
    NOT_FOUND = "not_found"
    DISPUTE_EXISTS = "dispute_exists"
    WRONG_ROLE = "wrong_role"
    OUT_OF_SCOPE = "out_of_scope"
    NOT_HOLDER = "not_holder"
    NOT_SUMMONED = "not_summoned"
    NOT_A_PARTY = "not_a_party"
    NOT_IN_DOMAIN = "not_in_domain"
    CONFLICT_OF_INTEREST = "conflict_of_interest"
    NOT_ALLOWED_IN_STATE = "not_allowed_in_state"
    NOT_FOR_KIND = "not_for_kind"
    REASON_MISSING = "reason_missing"
    PAST_WINDOW = "past_window"
    PAST_DEADLINE = "past_deadline"
    LIMIT_REACHED = "limit_reached"
    NO_PENDING_REQUEST = "no_pending_request"
    SELF_APPROVAL = "self_approval"
    INVALID_INPUT = "invalid_input"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"


@dataclass(frozen=True)
class UserError:
    """A rule the command broke: a code, a message that says what and why, and the input
    field at fault (None for the command as a whole)."""

    code: Problem
    message: str
    field: str | None = None


@dataclass(frozen=True)
class Refusal:
    errors: tuple[UserError, ...]
