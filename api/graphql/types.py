"""A GraphQL type for every node type in `graph/schema.py`, and for the ties between them.

The fields are written out, so the SDL is static and typed, but every description is taken
from the schema declaration (`_prop`), and a test checks that each type has exactly one field
per declared property, of the declared type and nullability. Personal-data fields say how
they are masked.

Relationships are fields resolved through this request's DataLoaders (`ctx.loaders`), and
every record passes through `ctx.reveal` (masking by role) before a type is built from it.
Lists that can grow without bound (a pool's experts, a domain's disputes) are not fields
here: they are root lists with a filter (`people(pool:)`, `disputes(domain:)`) and pages.
"""

from __future__ import annotations

import asyncio
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from graphql import FieldNode

from api.graphql.context import Info
from api.graphql.cypher import Tie
from api.graphql.enums import (
    CenterKind,
    DisputeChannel,
    DisputeOutcome,
    DisputeStep,
    Gender,
    GridField,
    GridKind,
    GridRole,
    Level,
    MediationOrgKind,
    OrganisationKind,
    PartyOrgKind,
    PartyOrgLevel,
    SettledLevel,
    Side,
    Warning,
)
from api.graphql.fields import prop, resolver
from api.privacy import Revealed

if TYPE_CHECKING:
    from api.graphql.workflow import DisputeWorkflow
from graph.schema import DISPUTE_STEPS, GRID_ROLES, SCHEMA


def _type(label: str) -> Any:
    return strawberry.type(description=SCHEMA.node(label).description)


AsOf = Annotated[
    date | None,
    strawberry.argument(
        description="Only ties that hold on this day (valid_from ≤ asOf ≤ valid_to, an empty "
        "valid_to meaning the tie still holds). Every tie, past and present, when omitted."
    ),
]

N = TypeVar("N")


def _build(cls: type[N], rows: list[Revealed]) -> list[N]:
    """One object per distinct node (two ties may lead to the same one), in order."""
    key = SCHEMA.node(cls.__name__).key
    seen: set[Any] = set()
    out = []
    for row in rows:
        if row[key] not in seen:
            seen.add(row[key])
            out.append(cls(**row))
    return out


async def _nodes(
    info: Info, tie: Tie, key: str, cls: type[N], as_of: date | None = None
) -> list[N]:
    """The nodes at the far end of `tie` from `key`, masked for this caller."""
    pairs = await info.context.loaders.ties(tie, as_of).load(key)
    return _build(cls, await info.context.reveal(tie.target, [node for _, node in pairs]))


async def _node(info: Info, tie: Tie, key: str, cls: type[N]) -> N | None:
    found = await _nodes(info, tie, key, cls)
    return found[0] if found else None


def _asks(info: Info, name: str) -> bool:
    """Whether this field's selection may ask for `name` of its items: a field of that name,
    or any fragment (not looked into)."""
    for node in info._raw_info.field_nodes:
        selections = node.selection_set.selections if node.selection_set else ()
        for selection in selections:
            if not isinstance(selection, FieldNode) or selection.name.value == name:
                return True
    return False


async def _filed(info: Info, tie: Tie, key: str, cls: type[N]) -> N | None:
    """`_node` for a dispute's grid, category or list item (`Loaders.filed`)."""
    pairs = await info.context.loaders.filed(tie).load(key)
    found = _build(cls, await info.context.reveal(tie.target, [node for _, node in pairs]))
    return found[0] if found else None


# -- node types -----------------------------------------------------------------------------


@_type("Unit")
class Unit:
    code: str = prop("Unit", "code")
    name: str = prop("Unit", "name")
    level: Level = prop("Unit", "level")
    kind: str | None = prop("Unit", "kind")
    edition: str | None = prop("Unit", "edition")
    valid_from: date | None = prop("Unit", "valid_from")
    valid_to: date | None = prop("Unit", "valid_to")
    source: str | None = prop("Unit", "source")

    @resolver("The unit this one is part of (a village's town…).")
    async def parent(self, info: Info) -> Unit | None:
        return await _node(info, Tie("Unit", "PART_OF", "Unit"), self.code, Unit)

    @resolver("The units directly inside this one, by code.")
    async def children(self, info: Info) -> list[Unit]:
        return await _nodes(info, Tie("Unit", "PART_OF", "Unit", outgoing=False), self.code, Unit)

    @resolver("The centers whose jurisdiction is this unit.")
    async def centers(self, info: Info) -> list[Center]:
        tie = Tie("Unit", "JURISDICTION", "Center", outgoing=False)
        return await _nodes(info, tie, self.code, Center)


@_type("Grid")
class Grid:
    id: strawberry.ID = prop("Grid", "id")
    name: str = prop("Grid", "name")
    level: int = prop("Grid", "level")
    kind: GridKind = prop("Grid", "kind")
    grid_class: int | None = prop("Grid", "grid_class")
    households: int | None = prop("Grid", "households")
    population: int | None = prop("Grid", "population")
    urban: bool | None = prop("Grid", "urban")
    location: str | None = prop("Grid", "location")
    field: GridField | None = prop("Grid", "field")
    unit_level: Level | None = prop("Grid", "unit_level")
    valid_from: date | None = prop("Grid", "valid_from")
    valid_to: date | None = prop("Grid", "valid_to")
    source: str | None = prop("Grid", "source")

    @resolver(
        "The unit the grid lies in: the one it is part of, or the one its parent grid lies "
        "in for a micro-grid, at any depth (a village, or the home county of an "
        "out-of-county grid)."
    )
    async def unit(self, info: Info) -> Unit | None:
        row = await info.context.loaders.grid_unit().load(self.id)
        return Unit(**row) if row is not None else None

    @resolver("The grid a micro-grid is part of.")
    async def parent(self, info: Info) -> Grid | None:
        return await _node(info, Tie("Grid", "PART_OF", "Grid"), self.id, Grid)

    @resolver("The micro-grids inside this grid, by id.")
    async def micro_grids(self, info: Info) -> list[Grid]:
        tie = Tie("Grid", "PART_OF", "Grid", outgoing=False)
        return await _nodes(info, tie, self.id, Grid)

    @resolver(
        "Who serves on the grid (SERVES_IN): each person with their role and the "
        "days the post ran, heads first."
    )
    async def team(self, info: Info, as_of: AsOf = None) -> list[GridPost]:
        loaders = info.context.loaders
        if _asks(info, "source"):  # not held by the read model: read with the ties
            tie = Tie("Grid", "SERVES_IN", "Person", outgoing=False)
            pairs = await loaders.ties(tie, as_of).load(self.id)
        else:
            pairs = await loaders.team(as_of).load(self.id)
        people = await info.context.reveal("Person", [node for _, node in pairs])
        posts = [
            GridPost(person=Person(**p), grid=self, **{"source": None, **t})
            for (t, _), p in zip(pairs, people, strict=True)
        ]
        return sorted(posts, key=_post_order)

    @resolver("The party organisations built on this grid (COVERS).")
    async def party_orgs(self, info: Info) -> list[PartyOrg]:
        tie = Tie("Grid", "COVERS", "PartyOrg", outgoing=False)
        return await _nodes(info, tie, self.id, PartyOrg)


@_type("Person")
class Person:
    id: strawberry.ID = prop("Person", "id")
    name: str = prop("Person", "name")
    gender: Gender | None = prop("Person", "gender")
    id_number: str | None = prop("Person", "id_number")
    mobile: str | None = prop("Person", "mobile")
    profession: str | None = prop("Person", "profession")
    source: str | None = prop("Person", "source")

    @resolver("The unit of the person's registered home (LIVES_IN).")
    async def home(self, info: Info) -> Unit | None:
        return await _node(info, Tie("Person", "LIVES_IN", "Unit"), self.id, Unit)

    @resolver("The person's posts on grids (SERVES_IN), earliest first.")
    async def grid_posts(self, info: Info, as_of: AsOf = None) -> list[GridPost]:
        tie = Tie("Person", "SERVES_IN", "Grid")
        pairs = await info.context.loaders.ties(tie, as_of).load(self.id)
        posts = [GridPost(person=self, grid=Grid(**g), **t) for t, g in pairs]
        return sorted(posts, key=lambda p: (p.valid_from or date.min, p.grid.id))

    @resolver("The person's domains of expertise (HAS_EXPERTISE).")
    async def expertise(self, info: Info) -> list[Domain]:
        return await _nodes(info, Tie("Person", "HAS_EXPERTISE", "Domain"), self.id, Domain)

    @resolver("The expert pools the person is in (IN_POOL).")
    async def pools(self, info: Info, as_of: AsOf = None) -> list[ExpertPool]:
        tie = Tie("Person", "IN_POOL", "ExpertPool")
        return await _nodes(info, tie, self.id, ExpertPool, as_of)

    @resolver("The disputes the person is a party to (PARTY_TO), earliest report first.")
    async def disputes(self, info: Info) -> list[Dispute]:
        return await _party_to(info, "Person", self.id)


async def _posts(info: Info, tie: Tie, key: str, as_of: date | None) -> list[Post]:
    pairs = await info.context.loaders.ties(tie, as_of).load(key)
    people = await info.context.reveal("Person", [node for _, node in pairs])
    return [
        Post(
            person=Person(**p),
            post=t.get("post"),
            valid_from=t["valid_from"],
            valid_to=t["valid_to"],
            source=t["source"],
        )
        for (t, _), p in zip(pairs, people, strict=True)
    ]


@_type("PartyOrg")
class PartyOrg:
    id: strawberry.ID = prop("PartyOrg", "id")
    name: str = prop("PartyOrg", "name")
    kind: PartyOrgKind = prop("PartyOrg", "kind")
    level: PartyOrgLevel | None = prop("PartyOrg", "level")
    source: str | None = prop("PartyOrg", "source")

    @resolver("The higher organisation this one is under (SUBORDINATE_TO).")
    async def parent(self, info: Info) -> PartyOrg | None:
        return await _node(info, Tie("PartyOrg", "SUBORDINATE_TO", "PartyOrg"), self.id, PartyOrg)

    @resolver("The unit it is located in.")
    async def unit(self, info: Info) -> Unit | None:
        return await _node(info, Tie("PartyOrg", "LOCATED_IN", "Unit"), self.id, Unit)

    @resolver("The grids it is built on (COVERS).")
    async def grids(self, info: Info) -> list[Grid]:
        return await _nodes(info, Tie("PartyOrg", "COVERS", "Grid"), self.id, Grid)

    @resolver("Who leads it (LEADS), with their post.")
    async def leaders(self, info: Info, as_of: AsOf = None) -> list[Post]:
        return await _posts(info, Tie("PartyOrg", "LEADS", "Person", False), self.id, as_of)


@_type("Department")
class Department:
    id: strawberry.ID = prop("Department", "id")
    name: str = prop("Department", "name")
    function: str = prop("Department", "function")
    level: Level | None = prop("Department", "level")
    valid_from: date | None = prop("Department", "valid_from")
    valid_to: date | None = prop("Department", "valid_to")
    source: str | None = prop("Department", "source")

    @resolver("The unit it is located in.")
    async def unit(self, info: Info) -> Unit | None:
        return await _node(info, Tie("Department", "LOCATED_IN", "Unit"), self.id, Unit)

    @resolver("The centers it is stationed at (STATIONED_AT).")
    async def centers(self, info: Info) -> list[Center]:
        return await _nodes(info, Tie("Department", "STATIONED_AT", "Center"), self.id, Center)

    @resolver("The responsibility-list items it is responsible for.")
    async def list_items(self, info: Info) -> list[ListItem]:
        tie = Tie("Department", "RESPONSIBLE_FOR", "ListItem")
        return await _nodes(info, tie, self.id, ListItem)

    @resolver("Who holds a named post in it (HOLDS_POST).")
    async def staff(self, info: Info, as_of: AsOf = None) -> list[Post]:
        return await _posts(info, Tie("Department", "HOLDS_POST", "Person", False), self.id, as_of)


@_type("Center")
class Center:
    id: strawberry.ID = prop("Center", "id")
    name: str = prop("Center", "name")
    kind: CenterKind = prop("Center", "kind")
    level: Level = prop("Center", "level")
    grade: str | None = prop("Center", "grade")
    windows: int | None = prop("Center", "windows")
    valid_from: date | None = prop("Center", "valid_from")
    valid_to: date | None = prop("Center", "valid_to")
    source: str | None = prop("Center", "source")

    @resolver("The unit it serves (JURISDICTION).")
    async def unit(self, info: Info) -> Unit | None:
        return await _node(info, Tie("Center", "JURISDICTION", "Unit"), self.id, Unit)

    @resolver("Where it sends what it cannot settle (ESCALATES_TO).")
    async def escalates_to(self, info: Info) -> Center | None:
        return await _node(info, Tie("Center", "ESCALATES_TO", "Center"), self.id, Center)

    @resolver("The departments stationed at it.")
    async def departments(self, info: Info) -> list[Department]:
        tie = Tie("Center", "STATIONED_AT", "Department", outgoing=False)
        return await _nodes(info, tie, self.id, Department)

    @resolver("Who holds a named post in it (HOLDS_POST).")
    async def staff(self, info: Info, as_of: AsOf = None) -> list[Post]:
        return await _posts(info, Tie("Center", "HOLDS_POST", "Person", False), self.id, as_of)


@_type("MediationOrg")
class MediationOrg:
    id: strawberry.ID = prop("MediationOrg", "id")
    name: str = prop("MediationOrg", "name")
    kind: MediationOrgKind = prop("MediationOrg", "kind")
    level: Level | None = prop("MediationOrg", "level")
    source: str | None = prop("MediationOrg", "source")

    @resolver("The unit it is located in.")
    async def unit(self, info: Info) -> Unit | None:
        return await _node(info, Tie("MediationOrg", "LOCATED_IN", "Unit"), self.id, Unit)

    @resolver("The domains it mediates in (HAS_EXPERTISE).")
    async def domains(self, info: Info) -> list[Domain]:
        return await _nodes(info, Tie("MediationOrg", "HAS_EXPERTISE", "Domain"), self.id, Domain)

    @resolver("Its mediators (MEDIATES_IN), with their post.")
    async def mediators(self, info: Info, as_of: AsOf = None) -> list[Post]:
        tie = Tie("MediationOrg", "MEDIATES_IN", "Person", outgoing=False)
        return await _posts(info, tie, self.id, as_of)


@_type("Organisation")
class Organisation:
    id: strawberry.ID = prop("Organisation", "id")
    name: str = prop("Organisation", "name")
    kind: OrganisationKind = prop("Organisation", "kind")
    source: str | None = prop("Organisation", "source")

    @resolver("The unit it is located in, if it is located in a unit.")
    async def unit(self, info: Info) -> Unit | None:
        return await _node(info, Tie("Organisation", "LOCATED_IN", "Unit"), self.id, Unit)

    @resolver("The grid it is located in, if it is located in a grid.")
    async def grid(self, info: Info) -> Grid | None:
        return await _node(info, Tie("Organisation", "LOCATED_IN", "Grid"), self.id, Grid)

    @resolver("The disputes the organisation is a party to (PARTY_TO), earliest report first.")
    async def disputes(self, info: Info) -> list[Dispute]:
        return await _party_to(info, "Organisation", self.id)


@_type("Domain")
class Domain:
    code: str = prop("Domain", "code")
    name: str = prop("Domain", "name")
    source: str | None = prop("Domain", "source")


@_type("ExpertPool")
class ExpertPool:
    id: strawberry.ID = prop("ExpertPool", "id")
    name: str = prop("ExpertPool", "name")
    shared: bool | None = prop("ExpertPool", "shared")
    source: str | None = prop("ExpertPool", "source")

    @resolver("The unit that keeps the pool.")
    async def unit(self, info: Info) -> Unit | None:
        return await _node(info, Tie("ExpertPool", "LOCATED_IN", "Unit"), self.id, Unit)

    @resolver("The domains the pool covers. Its experts: people(pool:).")
    async def domains(self, info: Info) -> list[Domain]:
        return await _nodes(info, Tie("ExpertPool", "HAS_EXPERTISE", "Domain"), self.id, Domain)


@_type("ListItem")
class ListItem:
    id: strawberry.ID = prop("ListItem", "id")
    name: str = prop("ListItem", "name")
    item_class: str = prop("ListItem", "item_class")
    time_limit_days: int = prop("ListItem", "time_limit_days")
    source: str | None = prop("ListItem", "source")

    @resolver("The domains the matter belongs to.")
    async def domains(self, info: Info) -> list[Domain]:
        return await _nodes(info, Tie("ListItem", "HAS_EXPERTISE", "Domain"), self.id, Domain)

    @resolver("The departments responsible for it (RESPONSIBLE_FOR).")
    async def departments(self, info: Info) -> list[Department]:
        tie = Tie("ListItem", "RESPONSIBLE_FOR", "Department", outgoing=False)
        return await _nodes(info, tie, self.id, Department)


@_type("Dispute")
class Dispute:
    id: strawberry.ID = prop("Dispute", "id")
    title: str = prop("Dispute", "title")
    reported_on: date = prop("Dispute", "reported_on")
    channel: DisputeChannel | None = prop("Dispute", "channel")
    status: DisputeStep | None = prop("Dispute", "status")
    outcome: DisputeOutcome | None = prop("Dispute", "outcome")
    settled_level: SettledLevel | None = prop("Dispute", "settled_level")
    settled_on: date | None = prop("Dispute", "settled_on")
    parties: int | None = prop("Dispute", "parties")
    warning: Warning | None = prop("Dispute", "warning")
    satisfaction: int | None = prop("Dispute", "satisfaction")
    source: str | None = prop("Dispute", "source")

    @resolver("The grid it occurred in (OCCURRED_IN).")
    async def grid(self, info: Info) -> Grid | None:
        return await _filed(info, Tie("Dispute", "OCCURRED_IN", "Grid"), self.id, Grid)

    @resolver("Its category (IN_DOMAIN).")
    async def domain(self, info: Info) -> Domain | None:
        return await _filed(info, Tie("Dispute", "IN_DOMAIN", "Domain"), self.id, Domain)

    @resolver("The responsibility-list item it falls under (CLASSIFIED_AS).")
    async def list_item(self, info: Info) -> ListItem | None:
        tie = Tie("Dispute", "CLASSIFIED_AS", "ListItem")
        return await _filed(info, tie, self.id, ListItem)

    @resolver("The parties to it (PARTY_TO): people and organisations.")
    async def participants(self, info: Info) -> list[DisputeParty]:
        loaders = info.context.loaders
        people, orgs = await asyncio.gather(
            loaders.filed(Tie("Dispute", "PARTY_TO", "Person", False)).load(self.id),
            loaders.filed(Tie("Dispute", "PARTY_TO", "Organisation", False)).load(self.id),
        )
        shown = await info.context.reveal("Person", [node for _, node in people])
        parties: list[DisputeParty] = [
            DisputeParty(party=Person(**p), side=t["side"])
            for (t, _), p in zip(people, shown, strict=True)
        ]
        parties += [DisputeParty(party=Organisation(**o), side=t["side"]) for t, o in orgs]
        return parties

    @resolver(
        "Its workflow, derived from its log: state, version, holder, clocks, log and what "
        "this caller may do now. Null for a dispute loaded without a log."
    )
    async def workflow(
        self, info: Info
    ) -> Annotated[DisputeWorkflow, strawberry.lazy("api.graphql.workflow")] | None:
        from api.graphql.workflow import dispute_workflow

        return await dispute_workflow(info, self.id)

    @resolver("Who handled it at which step (HANDLED), in order.")
    async def handling(self, info: Info) -> list[HandlingStep]:
        loaders = info.context.loaders
        people, centers, orgs, departments = await asyncio.gather(
            *(
                loaders.ties(Tie("Dispute", "HANDLED", label, False)).load(self.id)
                for label in ("Person", "Center", "MediationOrg", "Department")
            )
        )
        shown = await info.context.reveal("Person", [node for _, node in people])
        steps = [
            HandlingStep(handler=Person(**p), step=t["step"], on_date=t["on_date"])
            for (t, _), p in zip(people, shown, strict=True)
        ]
        for pairs, cls in ((centers, Center), (orgs, MediationOrg), (departments, Department)):
            steps += [
                HandlingStep(handler=cls(**n), step=t["step"], on_date=t["on_date"])
                for t, n in pairs
            ]
        return sorted(steps, key=_step_order)


async def _party_to(info: Info, label: str, key: str) -> list[Dispute]:
    """A party's disputes (a person's or an organisation's earlier disputes, for a mediator
    looking at a new one), by report day; titles masked for this caller as everywhere."""
    found = await _nodes(info, Tie(label, "PARTY_TO", "Dispute"), key, Dispute)
    return sorted(found, key=lambda d: (d.reported_on, d.id))


# -- ties -----------------------------------------------------------------------------------


@strawberry.type(description="A person's post on a grid (SERVES_IN): who, where, which role, when.")
class GridPost:
    person: Person = strawberry.field(description="Who serves.")
    grid: Grid = strawberry.field(description="The grid they serve on.")
    role: GridRole = prop("SERVES_IN", "role")
    valid_from: date | None = prop("SERVES_IN", "valid_from")
    valid_to: date | None = prop("SERVES_IN", "valid_to")
    source: str | None = prop("SERVES_IN", "source")


def _post_order(p: GridPost) -> tuple[int, date, str]:
    return (GRID_ROLES.index(p.role), p.valid_from or date.min, p.person.id)


@strawberry.type(description="A named post a person holds in a body, and when.")
class Post:
    person: Person = strawberry.field(description="Who holds the post.")
    post: str | None = prop("LEADS", "post")
    valid_from: date | None = prop("LEADS", "valid_from")
    valid_to: date | None = prop("LEADS", "valid_to")
    source: str | None = prop("LEADS", "source")


Party = Annotated[
    Person | Organisation,
    strawberry.union("Party", description="A party to a dispute: a person or an organisation."),
]

Handler = Annotated[
    Person | Center | MediationOrg | Department,
    strawberry.union("Handler", description="Who handled a step of a dispute."),
]


@strawberry.type(description="A party to a dispute and the side it takes.")
class DisputeParty:
    party: Party = strawberry.field(description="The person or organisation.")
    side: Side | None = prop("PARTY_TO", "side")


@strawberry.type(description="One step of a dispute's handling, and who took it.")
class HandlingStep:
    handler: Handler = strawberry.field(description="The person or body that handled it.")
    step: DisputeStep | None = prop("HANDLED", "step")
    on_date: date | None = prop("HANDLED", "on_date")


def _step_order(s: HandlingStep) -> tuple[date, int]:
    return (s.on_date or date.min, DISPUTE_STEPS.index(s.step) if s.step else -1)


NODE_TYPES: dict[str, type[Any]] = {
    "Unit": Unit,
    "Grid": Grid,
    "Person": Person,
    "PartyOrg": PartyOrg,
    "Department": Department,
    "Center": Center,
    "MediationOrg": MediationOrg,
    "Organisation": Organisation,
    "Domain": Domain,
    "ExpertPool": ExpertPool,
    "ListItem": ListItem,
    "Dispute": Dispute,
}
"""The GraphQL type of each node label."""
