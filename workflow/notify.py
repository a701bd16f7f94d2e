"""Notifications: records of who was told what and when, kept in the graph, and the one place a
gateway (SMS, a messaging app) plugs in.

A notification's key is its firing's (`workflow.timers`): recording it twice fails on the
store's uniqueness constraint, so each is recorded once however often the timers run. It is
recorded first and handed to the gateway after; `delivered_at` says the gateway took it, and
`deliver` retries those it has not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from graph.backend import Backend
from graph.errors import ConstraintViolation
from workflow.model import Ref

SOURCE = "workflow"


@dataclass(frozen=True)
class Notification:
    """To `recipient`, about `dispute`: `why` (pre_breach, breach, escalated,
    escalation_refused), the clock it is about, when it fell due and the clock's due time."""

    id: str
    dispute: str
    recipient: Ref | None
    why: str
    clock: str
    at: datetime
    due: datetime | None
    delivered_at: datetime | None = None


class Gateway(Protocol):
    """Where a notification leaves govgraph: an SMS or messaging gateway implements `send`
    (raise to have it retried on the next `deliver`)."""

    def send(self, notification: Notification) -> None: ...


class Outbox:
    """The notifications in the graph."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def record(self, n: Notification) -> bool:
        """Record `n`; False if a notification with its key was recorded before."""
        try:
            self.backend.write(
                [
                    (
                        "CREATE (n:Notification {id: $id, dispute: $dispute, recipient: "
                        "$recipient, why: $why, clock: $clock, at: $at, due: $due, "
                        "source: $source})",
                        {
                            "id": n.id,
                            "dispute": n.dispute,
                            "recipient": str(n.recipient) if n.recipient else None,
                            "why": n.why,
                            "clock": n.clock,
                            "at": n.at.isoformat(timespec="microseconds"),
                            "due": n.due.isoformat(timespec="microseconds") if n.due else None,
                            "source": SOURCE,
                        },
                    )
                ]
            )
        except ConstraintViolation:
            return False
        return True

    def keys(self) -> set[str]:
        return {r["id"] for r in self.backend.read("MATCH (n:Notification) RETURN n.id AS id")}

    def all(self, dispute: str | None = None) -> list[Notification]:
        """The notifications (of one dispute), in the order they fell due."""
        where = " WHERE n.dispute = $dispute" if dispute else ""
        rows = self.backend.read(
            "MATCH (n:Notification)" + where + " RETURN n.id AS id, n.dispute AS dispute, "
            "n.recipient AS recipient, n.why AS why, n.clock AS clock, n.at AS at, n.due AS due, "
            "n.delivered_at AS delivered_at ORDER BY at, id",
            {"dispute": dispute} if dispute else {},
        )
        return [
            Notification(
                r["id"],
                r["dispute"],
                Ref.parse(r["recipient"]) if r["recipient"] else None,
                r["why"],
                r["clock"],
                datetime.fromisoformat(r["at"]),
                datetime.fromisoformat(r["due"]) if r["due"] else None,
                datetime.fromisoformat(r["delivered_at"]) if r["delivered_at"] else None,
            )
            for r in rows
        ]

    def deliver(self, gateway: Gateway, now: datetime) -> list[Notification]:
        """Hand every undelivered notification to `gateway`; those it took, marked."""
        sent = []
        for n in self._undelivered():
            try:
                gateway.send(n)
            except Exception:
                continue
            self.backend.write(
                [
                    (
                        "MATCH (n:Notification {id: $id}) SET n.delivered_at = $at",
                        {"id": n.id, "at": now.isoformat(timespec="microseconds")},
                    )
                ]
            )
            sent.append(n)
        return sent

    def _undelivered(self) -> Iterable[Notification]:
        return [n for n in self.all() if n.delivered_at is None]
