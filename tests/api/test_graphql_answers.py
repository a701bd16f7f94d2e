"""The headline answers exist once: the GraphQL types of api/graphql/headline.py serve the
result dataclasses of queries/ as they are, so each type must have a field for every field of
its dataclass, of the same nullability and kind, and no field the dataclass lacks (but the
ones computed from it). The pairs are found by walking the three answers from their roots, so a
dataclass nested in an answer is checked as soon as it is added."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from typing import Any

import pytest
import strawberry
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition

from api.graphql import headline
from queries import escalation, experts, referral
from queries.flow_rules import UNITS, Limit

ROOTS = [
    (headline.Referral, referral.Referral),
    (headline.ExpertRanking, experts.ExpertRanking),
    (headline.Escalation, escalation.Escalation),
]
COMPUTED = {
    "GraphPath": {"text"},
    "ReferralStep": {"time_limit_days"},  # deprecated: the days of limit, a property
    "EscalationStep": {"time_limit_days"},
}
"""GraphQL fields computed from the answer rather than read from a field of it."""


def _graphql(tp: Any) -> tuple[bool, bool, Any]:
    """(nullable, list, the named type inside) of a strawberry field type."""
    nullable = isinstance(tp, StrawberryOptional)
    tp = tp.of_type if nullable else tp
    many = isinstance(tp, StrawberryList)
    return nullable, many, tp.of_type if many else tp


def _python(tp: Any) -> tuple[bool, bool, Any]:
    """(nullable, sequence, the type inside) of a dataclass field's type hint."""
    args = typing.get_args(tp)
    nullable = typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args
    if nullable:
        [tp] = [a for a in args if a is not type(None)]
    many = typing.get_origin(tp) in (tuple, list)
    return nullable, many, typing.get_args(tp)[0] if many else tp


def pairs() -> list[tuple[type, type]]:
    """Every (GraphQL type, dataclass) pair an answer holds, from the roots down."""
    found: dict[type, type] = {}
    todo = list(ROOTS)
    while todo:
        gql, dc = todo.pop()
        if gql in found:
            continue
        found[gql] = dc
        hints = typing.get_type_hints(dc)
        for f in gql.__strawberry_definition__.fields:
            if f.python_name in hints:
                inner = _graphql(f.type)[2]
                inside = _python(hints[f.python_name])[2]
                if dataclasses.is_dataclass(inside):
                    todo.append((inner, inside))
    return sorted(found.items(), key=lambda p: p[0].__name__)


def test_the_walk_reaches_every_type_of_the_answers() -> None:
    assert [(g.__name__, d.__name__) for g, d in pairs()] == [
        ("Body", "Body"),
        ("Contact", "Contact"),
        ("Escalation", "Escalation"),
        ("EscalationStep", "EscalationStep"),
        ("ExcludedExpert", "ExcludedExpert"),
        ("ExpertRanking", "ExpertRanking"),
        ("GraphPath", "GraphPath"),
        ("NodeRef", "NodeRef"),
        ("PartyLineStep", "PartyLineStep"),
        ("RankedExpert", "RankedExpert"),
        ("Referral", "Referral"),
        ("ReferralGap", "Missing"),
        ("ReferralLead", "Lead"),
        ("ReferralStep", "ReferralStep"),
        ("RelRef", "RelRef"),
        ("ScorePart", "ScorePart"),
    ]


@pytest.mark.parametrize(("gql", "dc"), pairs(), ids=lambda t: t.__name__)
def test_each_graphql_type_has_exactly_the_fields_of_its_answer(gql: type, dc: type) -> None:
    served = {f.python_name for f in gql.__strawberry_definition__.fields}
    answer = {f.name for f in dataclasses.fields(dc)}
    computed = COMPUTED.get(gql.__name__, set())
    # (fields of the answer GraphQL lacks, GraphQL fields the answer lacks)
    assert (sorted(answer - served), sorted(served - answer - computed)) == ([], [])


SCALARS: dict[Any, type] = {
    str: str, strawberry.ID: str, int: int, float: float, bool: bool, date: date,
    datetime: datetime, headline.TimeLimit: Limit,
}  # fmt: skip


def test_a_time_limit_is_served_with_the_fields_of_the_rules_limit() -> None:
    served = {f.python_name for f in headline.TimeLimit.__strawberry_definition__.fields}
    assert served == set(Limit.model_fields) == {"amount", "unit"}
    assert {u.value for u in headline.TimeUnit} == set(UNITS)


@pytest.mark.parametrize(("gql", "dc"), pairs(), ids=lambda t: t.__name__)
def test_each_field_has_its_answers_nullability_and_kind(gql: type, dc: type) -> None:
    hints = typing.get_type_hints(dc)
    for f in gql.__strawberry_definition__.fields:
        if f.python_name not in hints:
            continue
        nullable, many, inner = _graphql(f.type)
        want_nullable, want_many, want_inner = _python(hints[f.python_name])
        where = f"{gql.__name__}.{f.python_name}"
        assert (nullable, many) == (want_nullable, want_many), where
        if dataclasses.is_dataclass(want_inner):
            continue  # checked as a pair of its own
        if isinstance(inner, StrawberryEnumDefinition):
            # the answer holds the value as text; the enum names every value it may take
            assert want_inner is str, where
            continue
        assert SCALARS[inner] is want_inner, where
