"""The headline answers as a caller may see them, by `api.privacy`'s one policy.

An answer of `queries/` (a referral, an expert ranking, an escalation) names people and
disputes in its steps, contacts, exclusions and every node of every path. `Personal` gathers
them once each, as the records `api.privacy.reveal` takes (a Person's name and a contact's
mobile; a Dispute's title), and puts what the caller may see back into a copy of the answer.
GraphQL reveals them through its request's loaders (`Context.reveal`), the command line
through `reveal_read`: the same policy either way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from api.auth import Caller
from api.privacy import reveal_read
from graph.backend import Backend
from queries import explain

T = TypeVar("T")

_PersonKey = tuple[str, str, str | None]  # key, name, mobile (None for a bare NodeRef)
_DisputeKey = tuple[str, str]  # key, title


class Personal:
    """The people and disputes an answer names, each once."""

    def __init__(self, answer: object) -> None:
        self._people: dict[_PersonKey, None] = {}
        self._disputes: dict[_DisputeKey, None] = {}
        for v in explain.people_and_disputes(answer):
            if isinstance(v, explain.Contact):
                self._people[(v.person.key, v.person.name, v.mobile)] = None
            elif v.label == "Person":
                self._people[(v.key, v.name, None)] = None
            elif v.label == "Dispute":
                self._disputes[(v.key, v.name)] = None

    def records(self) -> dict[str, list[dict[str, Any]]]:
        """The records to reveal, by label."""
        return {
            "Person": [{"id": k, "name": n, "mobile": m} for k, n, m in self._people],
            "Dispute": [{"id": k, "title": t} for k, t in self._disputes],
        }

    def shown(self, answer: T, revealed: Mapping[str, Sequence[Mapping[str, Any]]]) -> T:
        """A copy of `answer` with the records of `records()` as `revealed` shows them (in the
        same order, label by label)."""
        person = {
            p: (str(r["name"]), r["mobile"])
            for p, r in zip(self._people, revealed["Person"], strict=True)
        }
        title = {
            d: str(r["title"]) for d, r in zip(self._disputes, revealed["Dispute"], strict=True)
        }

        def node(v: explain.NodeRef) -> explain.NodeRef:
            if v.label == "Person":
                return dataclasses.replace(v, name=person[(v.key, v.name, None)][0])
            if v.label == "Dispute":
                return dataclasses.replace(v, name=title[(v.key, v.name)])
            return v

        def contact(v: explain.Contact) -> explain.Contact:
            name, mobile = person[(v.person.key, v.person.name, v.mobile)]
            return dataclasses.replace(
                v, person=dataclasses.replace(v.person, name=name), mobile=mobile
            )

        return explain.rewrite(answer, node, contact)


def revealed(backend: Backend, caller: Caller, answer: T) -> T:
    """A copy of `answer` as `caller` may see it, for code that reads the graph itself (the
    command line): a mediator's jurisdiction is looked up in `backend`."""
    personal = Personal(answer)
    records = personal.records()
    shown = {label: reveal_read(backend, caller, label, rows) for label, rows in records.items()}
    return personal.shown(answer, shown)
