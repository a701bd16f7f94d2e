"""Field declarations: descriptions taken from `graph/schema.py`, and a typed resolver decorator.

`prop("Grid", "name")` declares a field described by the schema's declaration of that
property; a personal-data property's description also says how it is masked. `resolver(…)`
is `strawberry.field(description=…)` as a decorator that mypy can see through (strawberry
types that call as returning Any).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry

from graph.schema import SCHEMA, Mask, Property

F = TypeVar("F", bound=Callable[..., Any])

_MASKED = {
    Mask.NAME: "shown as the surname and 某 (张某)",
    Mask.MOBILE: "shown as 138****1234",
    Mask.ID_NUMBER: "shown as its first 6 and last 4 digits",
    Mask.TEXT: "withheld (（已隐去）)",
}


def describe(p: Property) -> str:
    """A property's description, with how it is masked when it is personal data."""
    if p.mask is None:
        return p.description
    return (
        p.description + " Personal data: " + _MASKED[p.mask] + " unless the caller may see it "
        "(an admin, or a mediator whose jurisdiction holds the record)."
    )


def declared(owner: str, name: str) -> Property:
    """The schema's declaration of property `name` of a node label or relationship type."""
    if owner in {n.label for n in SCHEMA.nodes}:
        return SCHEMA.node(owner).property(name)
    return SCHEMA.rel(owner).property(name)


def prop(owner: str, name: str) -> Any:
    """A field described by the schema's declaration of `owner`'s property `name`."""
    return strawberry.field(description=describe(declared(owner, name)))


def resolver(description: str) -> Callable[[F], F]:
    """`@strawberry.field(description=…)`, typed."""
    return cast(Callable[[F], F], strawberry.field(description=description))


def mutation(description: str) -> Callable[[F], F]:
    """`@strawberry.mutation(description=…)`, typed."""
    return cast(Callable[[F], F], strawberry.mutation(description=description))
