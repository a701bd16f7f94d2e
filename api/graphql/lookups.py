"""Lookups by key: `grid(id:)`, `unit(code:)`… An unknown key is a clear error, and the rest
of the query still answers. Also `me`: who the API takes the caller to be.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

import strawberry

from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.fields import resolver
from api.graphql.types import (
    Center,
    Department,
    Dispute,
    Domain,
    ExpertPool,
    Grid,
    ListItem,
    MediationOrg,
    Organisation,
    PartyOrg,
    Person,
    Unit,
)
from graph.schema import SCHEMA

Key = Annotated[strawberry.ID, strawberry.argument(description="The identifier.")]
Code = Annotated[str, strawberry.argument(description="The code.")]


N = TypeVar("N")


async def _lookup(info: Info, cls: type[N], key: str) -> N:
    label = cls.__name__
    node = SCHEMA.node(label)
    row = await info.context.loaders.node(label).load(key)
    if row is None:
        raise UserError(
            f"{node.key}: there is no {label} with {node.key} {key!r}", argument=node.key
        )
    [shown] = await info.context.reveal(label, [row])
    return cls(**shown)


@strawberry.type(description="Lookups by key.")
class NodeLookups:
    @resolver("The unit with this 12-digit division code.")
    async def unit(self, info: Info, code: Code) -> Unit | None:
        return await _lookup(info, Unit, code)

    @resolver("The grid with this id.")
    async def grid(self, info: Info, id: Key) -> Grid | None:
        return await _lookup(info, Grid, id)

    @resolver("The person with this id.")
    async def person(self, info: Info, id: Key) -> Person | None:
        return await _lookup(info, Person, id)

    @resolver("The party organisation with this id.")
    async def party_org(self, info: Info, id: Key) -> PartyOrg | None:
        return await _lookup(info, PartyOrg, id)

    @resolver("The department with this id.")
    async def department(self, info: Info, id: Key) -> Department | None:
        return await _lookup(info, Department, id)

    @resolver("The center with this id.")
    async def center(self, info: Info, id: Key) -> Center | None:
        return await _lookup(info, Center, id)

    @resolver("The mediation organisation with this id.")
    async def mediation_org(self, info: Info, id: Key) -> MediationOrg | None:
        return await _lookup(info, MediationOrg, id)

    @resolver("The organisation with this id.")
    async def organisation(self, info: Info, id: Key) -> Organisation | None:
        return await _lookup(info, Organisation, id)

    @resolver("The expertise domain with this code, e.g. medical.")
    async def domain(self, info: Info, code: Code) -> Domain | None:
        return await _lookup(info, Domain, code)

    @resolver("The expert pool with this id.")
    async def pool(self, info: Info, id: Key) -> ExpertPool | None:
        return await _lookup(info, ExpertPool, id)

    @resolver("The responsibility-list item with this id.")
    async def list_item(self, info: Info, id: Key) -> ListItem | None:
        return await _lookup(info, ListItem, id)

    @resolver("The dispute with this id.")
    async def dispute(self, info: Info, id: Key) -> Dispute | None:
        return await _lookup(info, Dispute, id)
