"""Lists of every node type, filtered, sorted and a page at a time.

Filters: by kind, level and the like; by `within` (a division code; see `api.graphql.within`);
by date range for disputes. Pages: `first` (0 to 100) and `after` (see
`api.graphql.pagination`), sorted by `orderBy` and `direction`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from enum import Enum
from functools import partial
from itertools import compress
from operator import eq
from typing import Annotated, Any, cast

import strawberry
from graphql import FieldNode

from api.graphql.context import Info
from api.graphql.cypher import Tie
from api.graphql.enums import (
    CenterKind,
    CodeOrder,
    Direction,
    DisputeChannel,
    DisputeOrder,
    DisputeOutcome,
    DisputeStep,
    Gender,
    GridKind,
    GridOrder,
    Level,
    MediationOrgKind,
    NameOrder,
    OrganisationKind,
    PartyOrgKind,
    PartyOrgLevel,
    PersonOrder,
    SettledLevel,
    Warning,
)
from api.graphql.errors import UserError
from api.graphql.fields import resolver
from api.graphql.pagination import DEFAULT_PAGE, Listing, Page, fetch_page
from api.graphql.types import (
    NODE_TYPES,
    SHOWN_HOME,
    SHOWN_PARTIES,
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
from api.graphql.within import division_code, start_within, within
from graph.backend import Row
from graph.ddl import ident
from graph.places import DivisionCode
from graph.schema import SCHEMA
from queries.dispute_fields import FIELDS

First = Annotated[int, strawberry.argument(description="Page size: 0 to 100 items (default 20).")]
After = Annotated[
    str | None,
    strawberry.argument(description="Start after this cursor: the previous page's endCursor."),
]
Within = Annotated[
    str | None,
    strawberry.argument(
        description="Only those inside this unit: its 12-digit division code (330421000000) "
        "or the code's significant prefix (330421)."
    ),
]
Dir = Annotated[Direction, strawberry.argument(description="Sort direction.")]


def arg(description: str) -> Any:
    return strawberry.argument(description=description)


class _Filters:
    """Cypher conditions on the listed node `n`, with their parameters."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.conditions: list[str] = []
        self.params: dict[str, Any] = {}
        self.start: str | None = None
        self.keys: Sequence[str] | None = None
        self.place: str | None = None  # the code `within` gave `keys` for
        self.code: DivisionCode | None = None  # the code `within` was given
        self.value: Callable[[str], Any] | None = None
        self.units: Mapping[str, str] | None = None  # per key, the unit it lies in (`placed`)

    def equal(self, prop: str, value: object) -> None:
        if value is not None:
            SCHEMA.node(self.label).property(prop)  # a typo fails here, not in the store
            self.conditions.append("n." + ident(prop) + " = $" + ident(prop))
            self.params[prop] = value.value if isinstance(value, Enum) else value

    def linked(self, pattern: str, name: str, value: str | None) -> None:
        """`pattern` (from `(n)`, naming `$name`) must exist when `value` is given."""
        if value is not None:
            self.conditions.append("EXISTS { MATCH " + pattern + " }")
            self.params[name] = value

    async def within(self, info: Info, code: str | None) -> None:
        if code is None:
            return
        place = self.code = division_code(code)
        units = await info.context.held("Unit")  # else read by key
        if (
            place.full not in units
            if units is not None
            else await info.context.loaders.node("Unit").load(place.full) is None
        ):
            raise UserError(
                f"within: there is no unit with code {place.full}; "
                "list the units with units(level: COUNTY)",
                argument="within",
            )
        self.keys = await info.context.keys_within(self.label, place)
        if self.keys is not None:
            self.place = place.full
            return
        self.start = start_within(self.label)
        if self.start is not None and "$within_grids" not in self.start:
            # from the units inside (a person's home): the grids inside, a town's thousands
            # sorted for a parameter nothing reads, are not looked up
            self.params["within"] = place.prefix
            return
        if self.start is None:
            self.conditions.append(within(self.label, "n"))
        self.params.update(await info.context.place_params(place))

    async def placed(self, info: Info, order: str) -> None:
        """The keys inside the place from `Context.placed_keys`, in place of the MATCH from
        it, when the page is cut from them alone (no other condition, sorted by key): then
        counted and cut without the store. Else the MATCH from the place stays: by key, the
        store filters or sorts a town's 7,564 residents 2–3 times slower."""
        key = SCHEMA.node(self.label).key
        if self.code is None or self.start is None or self.conditions or order != key:
            return
        placed = await info.context.placed_keys(self.label, self.code)
        if placed is not None:
            self.keys, self.start, self.params = placed.keys, None, {}
            self.units = placed.units

    async def held(self, info: Info, order: str, **equal: object) -> bool:
        """Keep the `keys` whose properties equal `equal` (None: any), sorted by `order`, from
        the read model; False, with nothing done, when the keys are not known or the model
        does not hold them all (the caller then adds Cypher conditions)."""
        if self.keys is None:
            return False
        nodes = await info.context.held(self.label)
        if nodes is None:
            return False
        node = SCHEMA.node(self.label)
        wanted = tuple(
            (node.property(prop).name, value.value if isinstance(value, Enum) else value)
            for prop, value in equal.items()
            if value is not None
        )
        kept = _KEPT.get(self.keys, nodes, wanted, order)
        if kept is None:
            if not all(k in nodes for k in self.keys):
                return False  # a key the model does not hold (read again meanwhile)
            kept = self.keys
            for name, value in wanted:
                kept = [k for k in kept if nodes[k].get(name) == value]
            if order != node.key:
                kept = sorted(kept, key=lambda k: nodes[k][order])  # stable: ties stay by key
            _KEPT.put(self.keys, nodes, wanted, order, kept)
        if order != node.key:
            self.value = lambda k: nodes[k][order]
        self.keys = kept
        return True

    async def held_disputes(
        self,
        info: Info,
        order: str,
        since: date | None,
        until: date | None,
        open_: bool | None,
        **equal: object,
    ) -> bool:
        """`held` for disputes (`queries.dispute_fields`): also reported `since`..`until`
        (both days included, None: unbounded) and still open or ended (`open_`)."""
        if self.keys is None:
            return False
        fields = await info.context.dispute_fields()
        place = None if fields is None else fields.place(self.keys, self.place)
        if fields is None or place is None:
            return False  # no model, or a dispute reported since it read them: Cypher
        ordered, in_order, by_key = place
        keys, numbers = ordered, in_order
        if since is not None or until is not None:  # a slice of those sorted by report day
            keys, numbers = fields.reported(ordered, in_order, since, until)
        if order == SCHEMA.node("Dispute").key:
            if len(keys) == len(self.keys):
                keys, numbers = list(self.keys), by_key
            else:
                pairs = sorted(zip(keys, numbers, strict=True))
                keys, numbers = [k for k, _ in pairs], [n for _, n in pairs]
        else:
            self.value = fields.day
        tests: list[tuple[int, Callable[[Any], bool]]] = [
            (FIELDS.index(prop), partial(eq, value.value if isinstance(value, Enum) else value))
            for prop, value in equal.items()
            if value is not None
        ]  # a null equals nothing, as in Cypher
        if open_ is not None:
            tests.append((FIELDS.index("outcome"), lambda v: (v is None) is open_))
        for at, test in tests:
            kept = list(map(test, fields.values(at, numbers)))
            keys, numbers = list(compress(keys, kept)), list(compress(numbers, kept))
        self.keys = keys
        return True

    def listing(self, order: str, direction: Direction) -> Listing:
        conditions = tuple(self.conditions)
        return Listing(
            self.label,
            order,
            direction,
            conditions,
            self.params,
            self.start,
            self.keys,
            self.value,
        )


class _Kept:
    """The keys `_Filters.held` kept (filtered and sorted) of a list of held nodes, for the
    next request that asks the same: a county's 10,000 grids cost about 1.3 ms to check,
    filter and sort, on every request. An answer is found only for the very same objects
    it was made from (the model's keys of a place and its nodes, which the model replaces,
    never changes, when it reads them again); the last `size` answers are kept, and with
    them, until they are pushed out, the objects they were made from."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[Any, ...], tuple[Any, Any, list[str]]] = OrderedDict()
        self._lock = threading.Lock()  # one loop in the server; apps in tests run on several

    def get(
        self, keys: Sequence[str], nodes: Any, wanted: tuple[Any, ...], order: str
    ) -> Sequence[str] | None:
        at = (id(keys), id(nodes), wanted, order)
        with self._lock:
            found = self._kept.get(at)
            if found is None or found[0] is not keys or found[1] is not nodes:
                return None
            self._kept.move_to_end(at)
            return found[2]

    def put(
        self,
        keys: Sequence[str],
        nodes: Any,
        wanted: tuple[Any, ...],
        order: str,
        kept: Sequence[str],
    ) -> None:
        at = (id(keys), id(nodes), wanted, order)
        with self._lock:
            self._kept[at] = (keys, nodes, list(kept))
            self._kept.move_to_end(at)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)


_KEPT = _Kept(64)


async def _page(
    info: Info,
    listing: Listing,
    first: int,
    after: str | None,
    units: Mapping[str, str] | None = None,
) -> Page[Any]:
    """A page of `listing`, the ties its items ask for (`AHEAD`) found for them at once and
    handed to each (`Loaders.ahead`): a dispute's from the read model's cases, or not at all
    when that needs a read (`Loaders.filed_held`); others read in one batch, but a person's
    home handed from `units` instead (each key's, `_Filters.placed`) when known."""
    rows, page_info, count = await fetch_page(info.context, listing, first, after)
    cls = NODE_TYPES[listing.label]
    items = [cls(**r) for r in await info.context.reveal(listing.label, rows)]
    ahead = AHEAD.get(listing.label, {}) if rows else {}
    asked = [tie for name, ties in ahead.items() if _items_ask(info, name) for tie in ties]
    if asked:
        keys = [r[SCHEMA.node(listing.label).key] for r in rows]
        loaders = info.context.loaders
        for tie in asked:
            if listing.label == "Dispute":
                held = loaders.filed_held(tie, keys)  # None: each item then finds its own
            elif tie == _HOME and units is not None and _homes_ahead(info, units, keys):
                continue
            else:
                held = await loaders.tie_rows(tie, keys)
            if held is not None:
                loaders.ahead(tie, dict(zip(keys, held, strict=True)))
        if _PARTY_PEOPLE in asked:
            _parties_ahead(info, keys)
    return Page(items=items, page_info=page_info, _count=count)


def _parties_ahead(info: Info, disputes: list[str]) -> None:
    """Hands `Dispute.participants` the people of each of `disputes` as shown to the caller,
    all shown at once (`Context.reveal_held`) when none need a read; else nothing handed."""
    context = info.context
    held = context.loaders.filed_held(_PARTY_PEOPLE, disputes)
    if held is None:
        return
    shown = context.reveal_held("Person", [node for found in held for _, node in found])
    if shown is None:
        return
    each = iter(shown)
    parties = {k: [next(each) for _ in found] for k, found in zip(disputes, held, strict=True)}
    context.loaders.ahead(SHOWN_PARTIES, parties)


_HOME = Tie("Person", "LIVES_IN", "Unit")
_PARTY_PEOPLE = Tie("Dispute", "PARTY_TO", "Person", outgoing=False)
AHEAD: dict[str, dict[str, tuple[Tie, ...]]] = {
    "Person": {"home": (_HOME,)},
    "Dispute": {
        "grid": (Tie("Dispute", "OCCURRED_IN", "Grid"),),
        "domain": (Tie("Dispute", "IN_DOMAIN", "Domain"),),
        "listItem": (Tie("Dispute", "CLASSIFIED_AS", "ListItem"),),
        "participants": (_PARTY_PEOPLE, Tie("Dispute", "PARTY_TO", "Organisation", outgoing=False)),
    },
}
"""Per type, the fields (without arguments) whose ties a list finds for its page's items at
once, as their resolvers ask them (`types._tied`, `types._filed`, `Dispute.participants`):
one batch for the page, not one per item and field (a town's 100 residents' homes; 20
disputes' grid, category, list item and parties)."""


def _homes_ahead(info: Info, units: Mapping[str, str], people: list[str]) -> bool:
    """Hands `Person.home` the home of each of `people` (`units`: the code of each one's,
    `_Filters.placed`), one `Unit` for all who live in it, when the units' records are held
    and shown without a read (`Loaders.nodes_held`, `Context.reveal_held`): True; else
    False, nothing handed (their homes are then read)."""
    codes = [units[k] for k in people if k in units]
    if len(codes) < len(people):
        return False
    found = sorted(set(codes))
    context = info.context
    records = context.loaders.nodes_held("Unit", found)
    if records is None or None in records:
        return False
    shown = context.reveal_held("Unit", cast(list[Row], records))
    if shown is None:
        return False
    homes = {code: Unit(**r) for code, r in zip(found, shown, strict=True)}
    context.loaders.ahead(SHOWN_HOME, {k: homes[c] for k, c in zip(people, codes, strict=True)})
    return True


def _items_ask(info: Info, name: str) -> bool:
    """Whether the page's `items` select the field `name` (without arguments) directly."""
    for node in info._raw_info.field_nodes:
        for items in node.selection_set.selections if node.selection_set else ():
            if isinstance(items, FieldNode) and items.name.value == "items" and items.selection_set:
                for field in items.selection_set.selections:
                    if isinstance(field, FieldNode) and field.name.value == name:
                        return not field.arguments
    return False


@strawberry.type(description="Lists of every kind of node.")
class NodeLists:
    @resolver("Administrative units.")
    async def units(
        self,
        info: Info,
        within: Within = None,
        level: Annotated[Level | None, arg("Only those at this level.")] = None,
        order_by: Annotated[CodeOrder, arg("What to sort by.")] = CodeOrder.CODE,
        direction: Dir = Direction.ASC,
        first: First = DEFAULT_PAGE,
        after: After = None,
    ) -> Page[Unit]:
        f = _Filters("Unit")
        await f.within(info, within)
        f.equal("level", level)
        return await _page(info, f.listing(order_by.value, direction), first, after)

    @resolver("Grids.")
    async def grids(
        self,
        info: Info,
        within: Within = None,
        kind: Annotated[GridKind | None, arg("Only grids of this kind.")] = None,
        level: Annotated[int | None, arg("Only grids at this level (1 is the largest).")] = None,
        order_by: Annotated[GridOrder, arg("What to sort by.")] = GridOrder.ID,
        direction: Dir = Direction.ASC,
        first: First = DEFAULT_PAGE,
        after: After = None,
    ) -> Page[Grid]:
        f = _Filters("Grid")
        await f.within(info, within)
        if not await f.held(info, order_by.value, kind=kind, level=level):
            f.equal("kind", kind)
            f.equal("level", level)
        return await _page(info, f.listing(order_by.value, direction), first, after)

    @resolver("People. `within` is where they live; `pool` and `domain` find experts.")
    async def people(
        self,
        info: Info,
        within: Within = None,
        gender: Annotated[Gender | None, arg("Only people of this gender.")] = None,
        profession: Annotated[str | None, arg("Only people of this profession, e.g. 律师.")] = None,
        pool: Annotated[
            strawberry.ID | None, strawberry.argument(description="In this expert pool.")
        ] = None,
        domain: Annotated[
            str | None, strawberry.argument(description="With expertise in this domain code.")
        ] = None,
        order_by: Annotated[PersonOrder, arg("What to sort by.")] = PersonOrder.ID,
        direction: Dir = Direction.ASC,
        first: First = DEFAULT_PAGE,
        after: After = None,
    ) -> Page[Person]:
        f = _Filters("Person")
        await f.within(info, within)
        f.equal("gender", gender)
        f.equal("profession", profession)
        f.linked("(n)-[:IN_POOL]->(:ExpertPool {id: $pool})", "pool", pool)
        f.linked("(n)-[:HAS_EXPERTISE]->(:Domain {code: $domain})", "domain", domain)
        await f.placed(info, order_by.value)
        return await _page(info, f.listing(order_by.value, direction), first, after, f.units)

    @resolver("Party organisations; `within` is where they are located.")
    async def party_orgs(
        self,
        info: Info,
        within: Within = None,
        kind: Annotated[PartyOrgKind | None, arg("Only organisations of this kind.")] = None,
        level: Annotated[PartyOrgLevel | None, arg("Only those built at this level.")] = None,
        order_by: Annotated[NameOrder, arg("What to sort by.")] = NameOrder.ID,
        direction: Dir = Direction.ASC,
        first: First = DEFAULT_PAGE,
        after: After = None,
    ) -> Page[PartyOrg]:
        f = _Filters("PartyOrg")
        await f.within(info, within)
        f.equal("kind", kind)
        f.equal("level", level)
        return await _page(info, f.listing(order_by.value, direction), first, after)

    @resolver("Departments; `within` is where they are located.")
    async def departments(
        self,
        info: Info,
        within: Within = None,
        function: Annotated[
            str | None, strawberry.argument(description="What it does: justice, court…")
        ] = None,
        level: Annotated[Level | None, arg("Only those at this level.")] = None,
        order_by: Annotated[NameOrder, arg("What to sort by.")] = NameOrder.ID,
        direction: Dir = Direction.ASC,
        first: First = DEFAULT_PAGE,
        after: After = None,
    ) -> Page[Department]:
        f = _Filters("Department")
        await f.within(info, within)
        f.equal("function", function)
        f.equal("level", level)
        return await _page(info, f.listing(order_by.value, direction), first, after)

    @resolver("Centers; `within` is the unit they serve.")
    async def centers(
        self,
        info: Info,
        within: Within = None,
        kind: Annotated[CenterKind | None, arg("Only centers of this kind.")] = None,
        level: Annotated[Level | None, arg("Only those at this level.")] = None,
        order_by: Annotated[NameOrder, arg("What to sort by.")] = NameOrder.ID,
        direction: Dir = Direction.ASC,
        first: First = DEFAULT_PAGE,
        after: After = None,
    ) -> Page[Center]:
        f = _Filters("Center")
        await f.within(info, within)
        f.equal("kind", kind)
        f.equal("level", level)
        return await _page(info, f.listing(order_by.value, direction), first, after)

    @resolver("Mediation organisations; `within` is where they are located.")
    async def mediation_orgs(
        self,
        info: Info,
        within: Within = None,
        kind: Annotated[MediationOrgKind | None, arg("Only organisations of this kind.")] = None,
        level: Annotated[Level | None, arg("Only those at this level.")] = None,
        domain: Annotated[
            str | None, strawberry.argument(description="Mediating in this domain code.")
        ] = None,
        order_by: Annotated[NameOrder, arg("What to sort by.")] = NameOrder.ID,
        direction: Dir = Direction.ASC,
        first: First = DEFAULT_PAGE,
        after: After = None,
    ) -> Page[MediationOrg]:
        f = _Filters("MediationOrg")
        await f.within(info, within)
        f.equal("kind", kind)
        f.equal("level", level)
        f.linked("(n)-[:HAS_EXPERTISE]->(:Domain {code: $domain})", "domain", domain)
        await f.placed(info, order_by.value)
        return await _page(info, f.listing(order_by.value, direction), first, after)

    @resolver(
        "Enterprises, social organisations and the like; `within` is where they "
        "are located (a unit, or a grid inside it)."
    )
    async def organisations(
        self,
        info: Info,
        within: Within = None,
        kind: Annotated[OrganisationKind | None, arg("Only organisations of this kind.")] = None,
        order_by: Annotated[NameOrder, arg("What to sort by.")] = NameOrder.ID,
        direction: Dir = Direction.ASC,
        first: First = DEFAULT_PAGE,
        after: After = None,
    ) -> Page[Organisation]:
        f = _Filters("Organisation")
        await f.within(info, within)
        f.equal("kind", kind)
        return await _page(info, f.listing(order_by.value, direction), first, after)

    @resolver("Expertise domains, which are also the dispute categories.")
    async def domains(
        self,
        info: Info,
        order_by: Annotated[CodeOrder, arg("What to sort by.")] = CodeOrder.CODE,
        direction: Dir = Direction.ASC,
        first: First = DEFAULT_PAGE,
        after: After = None,
    ) -> Page[Domain]:
        return await _page(
            info, _Filters("Domain").listing(order_by.value, direction), first, after
        )

    @resolver("Expert pools; `within` is the unit that keeps them.")
    async def pools(
        self,
        info: Info,
        within: Within = None,
        order_by: Annotated[NameOrder, arg("What to sort by.")] = NameOrder.ID,
        direction: Dir = Direction.ASC,
        first: First = DEFAULT_PAGE,
        after: After = None,
    ) -> Page[ExpertPool]:
        f = _Filters("ExpertPool")
        await f.within(info, within)
        return await _page(info, f.listing(order_by.value, direction), first, after)

    @resolver("Responsibility-list items.")
    async def list_items(
        self,
        info: Info,
        item_class: Annotated[
            str | None, strawberry.argument(description="Of this class of matter.")
        ] = None,
        domain: Annotated[
            str | None, strawberry.argument(description="In this domain code.")
        ] = None,
        order_by: Annotated[NameOrder, arg("What to sort by.")] = NameOrder.ID,
        direction: Dir = Direction.ASC,
        first: First = DEFAULT_PAGE,
        after: After = None,
    ) -> Page[ListItem]:
        f = _Filters("ListItem")
        f.equal("item_class", item_class)
        f.linked("(n)-[:HAS_EXPERTISE]->(:Domain {code: $domain})", "domain", domain)
        await f.placed(info, order_by.value)
        return await _page(info, f.listing(order_by.value, direction), first, after)

    @resolver(
        "Disputes; `within` is where they occurred, `reportedFrom` and "
        "`reportedTo` bound the day they were reported (both days included), `open` "
        "keeps those still open (no outcome yet)."
    )
    async def disputes(
        self,
        info: Info,
        within: Within = None,
        reported_from: Annotated[date | None, arg("Reported on this day or later.")] = None,
        reported_to: Annotated[date | None, arg("Reported on this day or earlier.")] = None,
        status: Annotated[DisputeStep | None, arg("Has reached this step.")] = None,
        outcome: Annotated[DisputeOutcome | None, arg("Only those that ended this way.")] = None,
        channel: Annotated[DisputeChannel | None, arg("Only those that came in this way.")] = None,
        warning: Annotated[Warning | None, arg("Only those with this warning colour.")] = None,
        domain: Annotated[
            str | None, strawberry.argument(description="In this category (domain code).")
        ] = None,
        open: Annotated[
            bool | None,
            arg("true: only those still open (no outcome yet); false: only those that ended."),
        ] = None,
        settled_level: Annotated[
            SettledLevel | None, arg("Only those settled at this level.")
        ] = None,
        order_by: Annotated[DisputeOrder, arg("What to sort by.")] = DisputeOrder.REPORTED_ON,
        direction: Dir = Direction.DESC,
        first: First = DEFAULT_PAGE,
        after: After = None,
    ) -> Page[Dispute]:
        if reported_from and reported_to and reported_from > reported_to:
            raise UserError(
                f"reportedFrom {reported_from} is after reportedTo {reported_to}; swap them",
                argument="reportedFrom",
            )
        f = _Filters("Dispute")
        await f.within(info, within)
        equal = {
            "status": status,
            "outcome": outcome,
            "channel": channel,
            "warning": warning,
            "settled_level": settled_level,
        }
        if not await f.held_disputes(
            info, order_by.value, reported_from, reported_to, open, **equal
        ):
            if reported_from is not None:
                f.conditions.append("n.reported_on >= $reported_from")
                f.params["reported_from"] = reported_from
            if reported_to is not None:
                f.conditions.append("n.reported_on <= $reported_to")
                f.params["reported_to"] = reported_to
            for prop, value in equal.items():
                f.equal(prop, value)
            if open is not None:
                f.conditions.append("n.outcome IS NULL" if open else "n.outcome IS NOT NULL")
        f.linked("(n)-[:IN_DOMAIN]->(:Domain {code: $domain})", "domain", domain)
        return await _page(info, f.listing(order_by.value, direction), first, after)
