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
from collections.abc import Awaitable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import strawberry
from graphql import FieldNode

from api.graphql.context import Info
from api.graphql.cypher import Tie
from api.graphql.dataloaders import TieRow, in_post_order
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
from graph.backend import Row
from graph.schema import DISPUTE_STEPS, SCHEMA


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


def _first(cls: type[N], rows: list[Revealed]) -> N | None:
    found = _build(cls, rows)
    return found[0] if found else None


def _awaited(pending: Awaitable[N]) -> N:
    """What a plain `def` resolver returns for an answer still to come. graphql-core awaits
    whatever awaitable a resolver returns, so a resolver answers at once what needs no read
    (from the read model) and returns a coroutine for the rest: an `async def` resolver
    costs a coroutine, strawberry's async wrapper and a DataLoader future per item of a list
    even when nothing is read. Typed as the answer, which strawberry's annotation names."""
    return cast(N, pending)


async def _nodes(
    info: Info, tie: Tie, key: str, cls: type[N], as_of: date | None = None
) -> list[N]:
    """The nodes at the far end of `tie` from `key`, masked for this caller."""
    pairs = await info.context.loaders.ties(tie, as_of).load(key)
    return _build(cls, await info.context.reveal(tie.target, [node for _, node in pairs]))


async def _node(info: Info, tie: Tie, key: str, cls: type[N]) -> N | None:
    """The first of `_nodes`."""
    pairs = await info.context.loaders.ties(tie).load(key)
    return _first(cls, await info.context.reveal(tie.target, [node for _, node in pairs]))


def _tied(info: Info, tie: Tie, key: str, cls: type[N]) -> N | None:
    """`_node`, at once when the ties were read ahead with the list's page
    (`Loaders.found`, `lists.AHEAD`) and their records are shown without a read."""
    context = info.context
    pairs = context.loaders.found(tie, key)
    if pairs is not None:
        shown = context.reveal_held(tie.target, [node for _, node in pairs])
        if shown is not None:
            return _first(cls, shown)
    return _awaited(_node(info, tie, key, cls))


def _asks(info: Info, name: str) -> bool:
    """Whether this field's selection may ask for `name` of its items: a field of that name,
    or any fragment (not looked into)."""
    for node in info._raw_info.field_nodes:
        selections = node.selection_set.selections if node.selection_set else ()
        for selection in selections:
            if not isinstance(selection, FieldNode) or selection.name.value == name:
                return True
    return False


def _filed(info: Info, tie: Tie, key: str, cls: type[N]) -> N | None:
    """`_node` for a dispute's grid, category or list item (`Loaders.filed`): at once when
    it needs no read (`Loaders.filed_held`, `Context.reveal_held`)."""
    context = info.context
    held = context.loaders.filed_held(tie, [key])
    if held is not None:
        shown = context.reveal_held(tie.target, [node for _, node in held[0]])
        if shown is not None:
            return _first(cls, shown)
    return _awaited(_filed_read(info, tie, key, cls))


async def _filed_read(info: Info, tie: Tie, key: str, cls: type[N]) -> N | None:
    pairs = await info.context.loaders.filed(tie).load(key)
    return _first(cls, await info.context.reveal(tie.target, [node for _, node in pairs]))


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
    def parent(self, info: Info) -> Unit | None:
        return _awaited(_node(info, Tie("Unit", "PART_OF", "Unit"), self.code, Unit))

    @resolver("The units directly inside this one, by code.")
    def children(self, info: Info) -> list[Unit]:
        return _awaited(
            _nodes(info, Tie("Unit", "PART_OF", "Unit", outgoing=False), self.code, Unit)
        )

    @resolver("The centers whose jurisdiction is this unit.")
    def centers(self, info: Info) -> list[Center]:
        tie = Tie("Unit", "JURISDICTION", "Center", outgoing=False)
        return _awaited(_nodes(info, tie, self.code, Center))


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
    def unit(self, info: Info) -> Unit | None:
        held = info.context.loaders.grid_units_held([self.id])
        if held is not None:
            return _unit(held[0])
        return _awaited(_grid_unit(info, self.id))

    @resolver("The grid a micro-grid is part of.")
    def parent(self, info: Info) -> Grid | None:
        return _awaited(_node(info, Tie("Grid", "PART_OF", "Grid"), self.id, Grid))

    @resolver("The micro-grids inside this grid, by id.")
    def micro_grids(self, info: Info) -> list[Grid]:
        tie = Tie("Grid", "PART_OF", "Grid", outgoing=False)
        return _awaited(_nodes(info, tie, self.id, Grid))

    @resolver(
        "Who serves on the grid (SERVES_IN): each person with their role and the "
        "days the post ran, heads first."
    )
    def team(self, info: Info, as_of: AsOf = None) -> list[GridPost]:
        context = info.context
        sourced = _asks(info, "source")  # not held by the read model: read with the ties
        if not sourced:
            held = context.loaders.team_held([self.id], as_of)
            if held is not None:
                people = context.reveal_held("Person", [node for _, node in held[0]])
                if people is not None:
                    return _grid_posts(self, held[0], people)
        return _awaited(_team(info, self, as_of, sourced))

    @resolver("The party organisations built on this grid (COVERS).")
    def party_orgs(self, info: Info) -> list[PartyOrg]:
        tie = Tie("Grid", "COVERS", "PartyOrg", outgoing=False)
        return _awaited(_nodes(info, tie, self.id, PartyOrg))


def _unit(row: Row | None) -> Unit | None:
    return Unit(**row) if row is not None else None


async def _grid_unit(info: Info, key: str) -> Unit | None:
    return _unit(await info.context.loaders.grid_unit().load(key))


async def _team(info: Info, grid: Grid, as_of: date | None, sourced: bool) -> list[GridPost]:
    """`Grid.team` as a DataLoader's batch finds it, read or from the read model."""
    loaders = info.context.loaders
    if sourced:
        pairs = in_post_order(await loaders.ties(_TEAM, as_of).load(grid.id))
    else:
        pairs = await loaders.team(as_of).load(grid.id)
    people = await info.context.reveal("Person", [node for _, node in pairs])
    return _grid_posts(grid, pairs, people)


def _grid_posts(grid: Grid, pairs: list[TieRow], people: list[Revealed]) -> list[GridPost]:
    """The posts of `pairs`, a grid's team in its order (`in_post_order`)."""
    return [
        GridPost(
            person=Person(**p),
            grid=grid,
            role=t["role"],
            valid_from=t.get("valid_from"),
            valid_to=t.get("valid_to"),
            source=t.get("source"),  # not held by the read model
        )
        for (t, _), p in zip(pairs, people, strict=True)
    ]


_TEAM = Tie("Grid", "SERVES_IN", "Person", outgoing=False)
_HOME = Tie("Person", "LIVES_IN", "Unit")


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
    def home(self, info: Info) -> Unit | None:
        home = info.context.loaders.found(SHOWN_HOME, self.id)  # with a list's page
        if home is not None:
            return cast(Unit, home)
        return _tied(info, _HOME, self.id, Unit)

    @resolver("The person's posts on grids (SERVES_IN), earliest first.")
    def grid_posts(self, info: Info, as_of: AsOf = None) -> list[GridPost]:
        context = info.context
        # the posts' `source` is not held by the read model: read with the ties
        grids = None if _asks(info, "source") else context.posted(self.id)
        if grids is not None:
            held = context.loaders.posts_held(self.id, grids, as_of)
            if held is not None:
                return _person_posts(self, held)
        return _awaited(_posts_read(info, self, as_of))

    @resolver("The person's domains of expertise (HAS_EXPERTISE).")
    def expertise(self, info: Info) -> list[Domain]:
        return _awaited(_nodes(info, Tie("Person", "HAS_EXPERTISE", "Domain"), self.id, Domain))

    @resolver("The expert pools the person is in (IN_POOL).")
    def pools(self, info: Info, as_of: AsOf = None) -> list[ExpertPool]:
        tie = Tie("Person", "IN_POOL", "ExpertPool")
        return _awaited(_nodes(info, tie, self.id, ExpertPool, as_of))

    @resolver("The disputes the person is a party to (PARTY_TO), earliest report first.")
    def disputes(self, info: Info) -> list[Dispute]:
        return _awaited(_party_to(info, "Person", self.id))


async def _posts_read(info: Info, person: Person, as_of: date | None) -> list[GridPost]:
    pairs = await info.context.loaders.ties(_POSTED, as_of).load(person.id)
    return _person_posts(person, pairs)


def _person_posts(person: Person, pairs: list[TieRow]) -> list[GridPost]:
    posts = [
        GridPost(
            person=person,
            grid=Grid(**g),
            role=t["role"],
            valid_from=t.get("valid_from"),
            valid_to=t.get("valid_to"),
            source=t.get("source"),  # not held by the read model
        )
        for t, g in pairs
    ]
    return sorted(posts, key=lambda p: (p.valid_from or date.min, p.grid.id))


_POSTED = Tie("Person", "SERVES_IN", "Grid")


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
    def parent(self, info: Info) -> PartyOrg | None:
        return _awaited(
            _node(info, Tie("PartyOrg", "SUBORDINATE_TO", "PartyOrg"), self.id, PartyOrg)
        )

    @resolver("The unit it is located in.")
    def unit(self, info: Info) -> Unit | None:
        return _awaited(_node(info, Tie("PartyOrg", "LOCATED_IN", "Unit"), self.id, Unit))

    @resolver("The grids it is built on (COVERS).")
    def grids(self, info: Info) -> list[Grid]:
        return _awaited(_nodes(info, Tie("PartyOrg", "COVERS", "Grid"), self.id, Grid))

    @resolver("Who leads it (LEADS), with their post.")
    def leaders(self, info: Info, as_of: AsOf = None) -> list[Post]:
        return _awaited(_posts(info, Tie("PartyOrg", "LEADS", "Person", False), self.id, as_of))


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
    def unit(self, info: Info) -> Unit | None:
        return _awaited(_node(info, Tie("Department", "LOCATED_IN", "Unit"), self.id, Unit))

    @resolver("The centers it is stationed at (STATIONED_AT).")
    def centers(self, info: Info) -> list[Center]:
        return _awaited(_nodes(info, Tie("Department", "STATIONED_AT", "Center"), self.id, Center))

    @resolver("The responsibility-list items it is responsible for.")
    def list_items(self, info: Info) -> list[ListItem]:
        tie = Tie("Department", "RESPONSIBLE_FOR", "ListItem")
        return _awaited(_nodes(info, tie, self.id, ListItem))

    @resolver("Who holds a named post in it (HOLDS_POST).")
    def staff(self, info: Info, as_of: AsOf = None) -> list[Post]:
        return _awaited(
            _posts(info, Tie("Department", "HOLDS_POST", "Person", False), self.id, as_of)
        )


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
    def unit(self, info: Info) -> Unit | None:
        return _awaited(_node(info, Tie("Center", "JURISDICTION", "Unit"), self.id, Unit))

    @resolver("Where it sends what it cannot settle (ESCALATES_TO).")
    def escalates_to(self, info: Info) -> Center | None:
        return _awaited(_node(info, Tie("Center", "ESCALATES_TO", "Center"), self.id, Center))

    @resolver("The departments stationed at it.")
    def departments(self, info: Info) -> list[Department]:
        tie = Tie("Center", "STATIONED_AT", "Department", outgoing=False)
        return _awaited(_nodes(info, tie, self.id, Department))

    @resolver("Who holds a named post in it (HOLDS_POST).")
    def staff(self, info: Info, as_of: AsOf = None) -> list[Post]:
        return _awaited(_posts(info, Tie("Center", "HOLDS_POST", "Person", False), self.id, as_of))


@_type("MediationOrg")
class MediationOrg:
    id: strawberry.ID = prop("MediationOrg", "id")
    name: str = prop("MediationOrg", "name")
    kind: MediationOrgKind = prop("MediationOrg", "kind")
    level: Level | None = prop("MediationOrg", "level")
    source: str | None = prop("MediationOrg", "source")

    @resolver("The unit it is located in.")
    def unit(self, info: Info) -> Unit | None:
        return _awaited(_node(info, Tie("MediationOrg", "LOCATED_IN", "Unit"), self.id, Unit))

    @resolver("The domains it mediates in (HAS_EXPERTISE).")
    def domains(self, info: Info) -> list[Domain]:
        return _awaited(
            _nodes(info, Tie("MediationOrg", "HAS_EXPERTISE", "Domain"), self.id, Domain)
        )

    @resolver("Its mediators (MEDIATES_IN), with their post.")
    def mediators(self, info: Info, as_of: AsOf = None) -> list[Post]:
        tie = Tie("MediationOrg", "MEDIATES_IN", "Person", outgoing=False)
        return _awaited(_posts(info, tie, self.id, as_of))


@_type("Organisation")
class Organisation:
    id: strawberry.ID = prop("Organisation", "id")
    name: str = prop("Organisation", "name")
    kind: OrganisationKind = prop("Organisation", "kind")
    source: str | None = prop("Organisation", "source")

    @resolver("The unit it is located in, if it is located in a unit.")
    def unit(self, info: Info) -> Unit | None:
        return _awaited(_node(info, Tie("Organisation", "LOCATED_IN", "Unit"), self.id, Unit))

    @resolver("The grid it is located in, if it is located in a grid.")
    def grid(self, info: Info) -> Grid | None:
        return _awaited(_node(info, Tie("Organisation", "LOCATED_IN", "Grid"), self.id, Grid))

    @resolver("The disputes the organisation is a party to (PARTY_TO), earliest report first.")
    def disputes(self, info: Info) -> list[Dispute]:
        return _awaited(_party_to(info, "Organisation", self.id))


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
    def unit(self, info: Info) -> Unit | None:
        return _awaited(_node(info, Tie("ExpertPool", "LOCATED_IN", "Unit"), self.id, Unit))

    @resolver("The domains the pool covers. Its experts: people(pool:).")
    def domains(self, info: Info) -> list[Domain]:
        return _awaited(_nodes(info, Tie("ExpertPool", "HAS_EXPERTISE", "Domain"), self.id, Domain))


@_type("ListItem")
class ListItem:
    id: strawberry.ID = prop("ListItem", "id")
    name: str = prop("ListItem", "name")
    item_class: str = prop("ListItem", "item_class")
    time_limit_days: int = prop("ListItem", "time_limit_days")
    source: str | None = prop("ListItem", "source")

    @resolver("The domains the matter belongs to.")
    def domains(self, info: Info) -> list[Domain]:
        return _awaited(_nodes(info, Tie("ListItem", "HAS_EXPERTISE", "Domain"), self.id, Domain))

    @resolver("The departments responsible for it (RESPONSIBLE_FOR).")
    def departments(self, info: Info) -> list[Department]:
        tie = Tie("ListItem", "RESPONSIBLE_FOR", "Department", outgoing=False)
        return _awaited(_nodes(info, tie, self.id, Department))


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
    def grid(self, info: Info) -> Grid | None:
        return _filed(info, _GRID_OF, self.id, Grid)

    @resolver("Its category (IN_DOMAIN).")
    def domain(self, info: Info) -> Domain | None:
        return _filed(info, _DOMAIN_OF, self.id, Domain)

    @resolver("The responsibility-list item it falls under (CLASSIFIED_AS).")
    def list_item(self, info: Info) -> ListItem | None:
        return _filed(info, _ITEM_OF, self.id, ListItem)

    @resolver("The parties to it (PARTY_TO): people and organisations.")
    def participants(self, info: Info) -> list[DisputeParty]:
        context = info.context
        orgs = context.loaders.filed_held(_PARTY_ORGS, [self.id])
        people = context.loaders.filed_held(_PARTY_PEOPLE, [self.id])
        if people is not None and orgs is not None:
            shown = context.loaders.found(SHOWN_PARTIES, self.id)  # with a list's page
            if shown is None:
                shown = context.reveal_held("Person", [node for _, node in people[0]])
            if shown is not None:
                return _parties(people[0], shown, orgs[0])
        return _awaited(_participants(info, self.id, None if orgs is None else orgs[0]))

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


async def _participants(info: Info, key: str, orgs: list[TieRow] | None) -> list[DisputeParty]:
    """`Dispute.participants` as DataLoaders' batches find them: the people (and the
    organisations, unless `orgs` are given) read or from the read model's cases."""
    loaders = info.context.loaders
    people = await loaders.filed(_PARTY_PEOPLE).load(key)
    if orgs is None:
        orgs = await loaders.filed(_PARTY_ORGS).load(key)
    shown = await info.context.reveal("Person", [node for _, node in people])
    return _parties(people, shown, orgs)


def _parties(people: list[TieRow], shown: list[Revealed], orgs: list[TieRow]) -> list[DisputeParty]:
    parties: list[DisputeParty] = [
        DisputeParty(party=Person(**p), side=t["side"])
        for (t, _), p in zip(people, shown, strict=True)
    ]
    parties += [DisputeParty(party=Organisation(**o), side=t["side"]) for t, o in orgs]
    return parties


_PARTY_PEOPLE = Tie("Dispute", "PARTY_TO", "Person", outgoing=False)
_PARTY_ORGS = Tie("Dispute", "PARTY_TO", "Organisation", outgoing=False)
_GRID_OF = Tie("Dispute", "OCCURRED_IN", "Grid")  # made once: each checks the schema
_DOMAIN_OF = Tie("Dispute", "IN_DOMAIN", "Domain")
_ITEM_OF = Tie("Dispute", "CLASSIFIED_AS", "ListItem")


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


SHOWN_HOME = "Person.home"
"""What a list's page may hand `Person.home` (`Loaders.ahead`): the person's home as shown
to the caller, a `Unit` (one for all who live in it)."""
SHOWN_PARTIES = "Dispute.participants"
"""What a list's page may hand `Dispute.participants`: the people on the dispute as shown to
the caller (`Revealed`), in the order of its PARTY_TO ties from people."""

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
