"""DataLoaders: one backend call per kind of load per level of a query, never one per object.

A query for 50 grids, each with its unit and its team, runs the same reads as one for 5 (the
page, the walk up to the units, the units, the teams). The loaders are made afresh for every
request (their cache lives as long as the request) and are created lazily, one per kind of
load: nodes by key per type, ties per (hop, as-of day), the jurisdiction check per type.

A dispute's grid, category, list item and parties (`filed`) are found in the read model's
cases (`queries.cases`) while they are current, and only the records at their far ends are
read, by key: LadybugDB walks a tie from each of 20 disputes in 0.5–1 ms a type and reads 20
records by key in 0.1–0.2 (docs/benchmarks.md).

A node by key (`node`) is taken from the read model, with no read at all, when the model is
current for its label and its record there holds every property of the label that this
request's query names anywhere (`Asked`; the model holds only the properties its queries
read): a grid's `id name`, a unit's `code name`, a team member's `name`. The properties the
query never names are None in such a row, and nothing reads them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from datetime import date
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from api.graphql import cypher
from api.graphql.cypher import TIE, Tie, take
from api.privacy import inside, inside_query
from graph.backend import Params, Row
from graph.places import DivisionCode
from graph.schema import SCHEMA
from graph.temporal import valid_on
from queries.cases import FILED, Cases
from queries.dispute_fields import FIELDS, DisputeFields
from queries.read_model import ReadModel, post_order, shaped

Read = Callable[[str, Params], Awaitable[list[Row]]]
UnitsOf = Callable[[list[str]], Awaitable[dict[str, str]]]
UnitsHeld = Callable[[list[str]], dict[str, str] | None]
"""`UnitsOf` when the read model holds the walk up; else None."""
CasesFor = Callable[[frozenset[str]], Cases | None]
"""The read model's cases when none of the labels given changed since they were read."""
ModelFor = Callable[[frozenset[str]], ReadModel | None]
"""The read model when none of the labels given changed since it was read."""
FieldsHeld = Callable[[], DisputeFields | None]
"""The disputes' own properties held beside the read model, when current; else None."""
Asked = Callable[[str], frozenset[str] | None]
"""The properties of a label that this request's query may ask for (None: not known)."""
T = TypeVar("T")

TieRow = tuple[Row, Row]
"""A tie's properties and the node at its far end."""


class Loaders:
    def __init__(
        self,
        read: Read,
        units_of: UnitsOf,
        cases: CasesFor = lambda _: None,
        model: ModelFor = lambda _: None,
        asked: Asked = lambda _: None,
        units_held: UnitsHeld = lambda _: None,
        fields: FieldsHeld = lambda: None,
    ) -> None:
        self._read = read
        self._units_of = units_of  # `graph.places.units_of`: the walk up from grids to units
        self._cases = cases
        self._model = model
        self._asked = asked
        self._units_held = units_held
        self._fields = fields
        self._made: dict[Hashable, DataLoader[Any, Any]] = {}
        self._records: dict[tuple[str, frozenset[str]], dict[str, Row | None]] = {}
        self._ahead: dict[Hashable, dict[str, Any]] = {}  # `ahead`, `found`

    def _loader(
        self, key: Hashable, load: Callable[[list[str]], Awaitable[list[T]]]
    ) -> DataLoader[str, T]:
        if key not in self._made:
            self._made[key] = DataLoader(load_fn=load)
        loader: DataLoader[str, T] = self._made[key]
        return loader

    async def _grouped(self, query: str, keys: list[str], params: Params) -> dict[str, list[Row]]:
        rows = await self._read(query, {"keys": keys, **params})
        groups: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            groups[row["key"]].append(row)
        return groups

    def node(self, label: str, needs: frozenset[str] = frozenset()) -> DataLoader[str, Row | None]:
        """The node of type `label` with a key, or None when there is none (`nodes`)."""

        async def load(keys: list[str]) -> list[Row | None]:
            return await self.nodes(label, keys, needs)

        return self._loader(("node", label, needs), load)

    async def nodes(
        self, label: str, keys: list[str], needs: frozenset[str] = frozenset()
    ) -> list[Row | None]:
        """`node`'s batch, for a loader's own batch to call at once (a DataLoader future per
        key would cost more than the read): from the read model when it holds every property
        the query names and `needs` (a page's sort key for its cursor), else read. A record is
        found once a request, the same dict for every caller: two batches in flight at once
        may both read a key, and the first found is the one kept."""
        held = self.nodes_held(label, keys, needs)  # keeps what the model holds
        if held is not None:
            return held
        kept = self._records[(label, needs)]
        unread = [k for k in dict.fromkeys(keys) if k not in kept]
        read = await self._grouped(cypher.nodes_by_key(label), unread, {})
        for k in unread:
            kept.setdefault(k, take(read[k][0]) if k in read else None)
        return [kept[k] for k in keys]

    def nodes_held(
        self, label: str, keys: list[str], needs: frozenset[str] = frozenset()
    ) -> list[Row | None] | None:
        """`nodes` when it needs no read (each record found earlier in this request, or held
        by the read model with what the query names); else None (those it found are kept)."""
        kept = self._records.get((label, needs))
        if kept is None:
            kept = self._records[(label, needs)] = {}
        rest = [k for k in dict.fromkeys(keys) if k not in kept]
        if rest:
            found = self._modelled(label, rest, needs)
            for k, record in found.items():
                kept.setdefault(k, record)
            if len(found) < len(rest):
                return None
        return [kept[k] for k in keys]

    def ahead(self, what: Hashable, found: Mapping[str, Any]) -> None:
        """Hands this request what a list's page found at once for its items
        (`api.graphql.lists`), by item's key, for each item's field to take (`found`):
        `what` names it, a `Tie` for the item's ties (`ties`' or `filed`'s answer), or what a
        field takes as shown to the caller (`types.SHOWN_HOME`, `SHOWN_PARTIES`). A fifth
        kind of finding needs no method: a name and a line that hands it in."""
        self._ahead.setdefault(what, {}).update(found)

    def found(self, what: Hashable, key: str) -> Any:
        """What was found of `what` for the item `key` with its list's page (`ahead`); else
        None."""
        ahead = self._ahead.get(what)
        return None if ahead is None else ahead.get(key)

    def _modelled(self, label: str, keys: list[str], needs: frozenset[str]) -> dict[str, Row]:
        """The records of `keys` the read model holds with every property the query names
        and `needs`, while it is current for `label`."""
        found: dict[str, Row] = {}
        asked = self._asked(label)
        if asked is None:
            return found
        if needs:  # else the one set asked, its hash kept (no new set made and hashed)
            asked |= needs
        if label == "Dispute":
            return self._disputes(keys, asked)
        model = self._model(_LABELS[label])
        if model is not None and label in model.nodes:
            # the properties the query does not name None (not masked, nor read), but the
            # key, which resolvers take (`Grid.unit`)
            found = shaped(model.nodes[label], _KEYS[label], keys, asked, _BLANKS[label])
        if label == "Person" and len(found) < len(keys):
            found.update(self._people(keys, asked, found))
        return found

    def _people(
        self, keys: list[str], wanted: frozenset[str], found: dict[str, Row]
    ) -> dict[str, Row]:
        """The people of `keys` not `found` whose name and mobile the read model's cases hold
        (`Cases.person`: a dispute's parties, the people tied to them and those on posts),
        while they are current for people, when the query names none of their others."""
        cases = self._cases(_PERSON) if wanted <= _PERSON_HELD else None
        if cases is None:
            return {}
        blank = _BLANKS["Person"]
        held = {}
        for k in keys:
            if k not in found and (person := cases.person(k)) is not None:
                held[k] = {**blank, _PERSON_KEY: k, "name": person[0], "mobile": person[1]}
        return held

    def _disputes(self, keys: list[str], wanted: frozenset[str]) -> dict[str, Row]:
        """The disputes of `keys` from their own properties held beside the read model
        (`queries.dispute_fields`: all but `settled_on`, `satisfaction` and `source`) while
        they are current, when the query names none of the others."""
        fields = self._fields() if wanted <= _DISPUTE_HELD else None
        if fields is None:
            return {}
        held = [(k, n) for k in keys if (n := fields.numbered(k)) is not None]
        numbers = [n for _, n in held]
        columns = [fields.values(at, numbers) for at in range(len(FIELDS))]  # a field at once
        blank = _BLANKS["Dispute"]
        return {
            k: {**blank, _DISPUTE_KEY: k, **dict(zip(FIELDS, row, strict=True))}
            for (k, _), row in zip(held, zip(*columns, strict=True), strict=True)
        }

    def ties(self, tie: Tie, as_of: date | None = None) -> DataLoader[str, list[TieRow]]:
        """For a source key, every tie along `tie` (those holding on `as_of` if given)."""
        if as_of is not None and not tie.temporal:
            raise ValueError(f"{tie.rel} has no valid_from/valid_to")

        async def load(keys: list[str]) -> list[list[TieRow]]:
            return await self.tie_rows(tie, keys, as_of)

        return self._loader(("ties", tie, as_of), load)

    async def tie_rows(
        self, tie: Tie, keys: list[str], as_of: date | None = None
    ) -> list[list[TieRow]]:
        """`ties`' batch, which a list's page also reads for its items at once (no
        DataLoader future per item)."""
        params = {"as_of": as_of} if as_of is not None else {}
        if len(keys) == 1:  # found by the source's index, not hash joins (`Tie.query_one`)
            one = tie.query_one(as_of=as_of is not None)
            found = {keys[0]: await self._read(one, {"key": keys[0], **params})}
        else:
            found = await self._grouped(tie.query(as_of=as_of is not None), keys, params)
        key = SCHEMA.node(tie.target).key
        pairs = {k: [(take(r, TIE), take(r)) for r in found.get(k, [])] for k in keys}
        return [
            sorted((p for p in pairs[k] if p[1][key] is not None), key=lambda p: p[1][key])
            for k in keys
        ]

    def filed(self, tie: Tie) -> DataLoader[str, list[TieRow]]:
        """`ties(tie)` for a dispute's grid, category or list item (the cases' FILED types) or
        its parties (PARTY_TO, from a person or an organisation), with only the tie
        properties the cases hold of them (a party's side; no `source`): found in the read
        model's cases while what they hold of the tie is current, the far ends' records read
        by key; else read as `ties` does."""
        labels = _filed_labels(tie)

        async def load(keys: list[str]) -> list[list[TieRow]]:
            cases = self._cases(labels)
            if cases is None:
                return await self.ties(tie).load_many(keys)
            ends = {k: _ends(cases, tie, k) for k in keys}
            far = _far(ends)
            return _paired(tie.target, keys, ends, far, await self.nodes(tie.target, far))

        return self._loader(("filed", tie), load)

    def filed_held(self, tie: Tie, keys: list[str]) -> list[list[TieRow]] | None:
        """`filed(tie).load_many(keys)`'s answer when it needs no read (found with the
        page: `found`; or the cases current, the far ends' records held: `nodes_held`); else
        None."""
        ahead = self._ahead.get(tie)
        if ahead is not None:
            found = [ahead[k] for k in keys if k in ahead]
            if len(found) == len(keys):
                return found
        cases = self._cases(_filed_labels(tie))
        if cases is None:
            return None
        ends = {k: _ends(cases, tie, k) for k in keys}
        far = _far(ends)
        records = self.nodes_held(tie.target, far)
        return None if records is None else _paired(tie.target, keys, ends, far, records)

    def team(self, as_of: date | None = None) -> DataLoader[str, list[TieRow]]:
        """`ties` of a grid's team (SERVES_IN into the grid; those holding on `as_of` if
        given) in the team's order (`in_post_order`), with each post's role and days but not
        its `source`, which the read model does not hold: its ties while SERVES_IN is
        current, the people's records read by key; else read as `ties` does."""

        async def load(keys: list[str]) -> list[list[TieRow]]:
            model = self._model(_POSTS)
            if model is None:
                return list(map(in_post_order, await self.ties(_TEAM, as_of).load_many(keys)))
            posts = _posts(model, keys, as_of)
            people = _far(posts)
            found = dict(zip(people, await self.nodes("Person", people), strict=True))
            return [[(t, r) for p, t in posts[k] if (r := found[p]) is not None] for k in keys]

        return self._loader(("team", as_of), load)

    def team_held(self, keys: list[str], as_of: date | None = None) -> list[list[TieRow]] | None:
        """`team(as_of).load_many(keys)`'s answer when it needs no read (SERVES_IN current,
        the people's records held: `nodes_held`); else None."""
        model = self._model(_POSTS)
        if model is None:
            return None
        posts = [_posted(model, k, as_of) for k in keys]
        # each post's holder in turn (the records come back in that order: no look-up by key)
        records = self.nodes_held("Person", [p for found in posts for p, _ in found])
        if records is None:
            return None
        each = iter(records)
        return [[(t, r) for _, t in found if (r := next(each)) is not None] for found in posts]

    def posts_held(
        self, person: str, grids: tuple[str, ...], as_of: date | None = None
    ) -> list[TieRow] | None:
        """`ties(SERVES_IN from the person, as_of).load(person)`'s answer but the posts'
        `source`, which the read model does not hold, when it needs no read: from its ties
        into `grids` (the person's: `Context.posted`) while SERVES_IN is current, the grids'
        records held (`nodes_held`); else None."""
        model = self._model(_POSTS)
        if model is None:
            return None
        ends = {
            person: [
                (grid, props)
                for grid in grids
                for label, key, props in model.ties_in("SERVES_IN", "Grid", grid)
                if key == person
                and label == "Person"
                and (
                    as_of is None or valid_on(props.get("valid_from"), props.get("valid_to"), as_of)
                )
            ]
        }
        far = _far(ends)
        records = self.nodes_held("Grid", far)
        return None if records is None else _paired("Grid", [person], ends, far, records)[0]

    def grid_unit(self) -> DataLoader[str, Row | None]:
        """The unit a grid lies in, through its parent grids at any depth (`units_of`)."""

        async def load(keys: list[str]) -> list[Row | None]:
            codes = await self._units_of(keys)
            placed = [k for k in keys if k in codes]
            units = await self.nodes("Unit", [codes[k] for k in placed])
            found = dict(zip(placed, units, strict=True))
            return [found.get(k) for k in keys]

        return self._loader(("grid_unit",), load)

    def grid_units_held(self, keys: list[str]) -> list[Row | None] | None:
        """`grid_unit().load_many(keys)`'s answer when it needs no read (the walk up held by
        the read model, the units' records held: `nodes_held`); else None."""
        codes = self._units_held(keys)
        if codes is None:
            return None
        placed = [k for k in keys if k in codes]
        units = self.nodes_held("Unit", [codes[k] for k in placed])
        if units is None:
            return None
        found = dict(zip(placed, units, strict=True))
        return [found.get(k) for k in keys]

    def inside(self, label: str, scope: DivisionCode) -> DataLoader[str, bool]:
        """Whether a record of type `label` lies inside the jurisdiction `scope`."""

        async def load(keys: list[str]) -> list[bool]:
            found = await self._grouped(inside_query(label), keys, {})
            return [inside(found.get(k, []), scope) for k in keys]

        return self._loader(("inside", label, scope), load)

    def close(self) -> None:
        """Lets go, once the request is answered, of its DataLoaders (each load's closure
        holds these loaders: a cycle) and of the context's functions (bound to the context,
        which holds these loaders: another), which only the cyclic collector would free
        otherwise, with all that hangs from them. A load still under way after (one settled
        in the background after an error) fails."""

        def closed(*_: Any) -> Any:
            raise RuntimeError("the request is answered: its loaders are closed")

        self._made.clear()
        self._read = self._units_of = closed
        self._cases = self._model = self._asked = self._units_held = self._fields = closed


_LABELS = {n.label: frozenset({n.label}) for n in SCHEMA.nodes}
_KEYS = {n.label: n.key for n in SCHEMA.nodes}
# per label, a record with each of its properties None
_BLANKS = {n.label: dict.fromkeys(p.name for p in n.properties) for n in SCHEMA.nodes}
_DISPUTE_KEY = SCHEMA.node("Dispute").key
_PERSON = frozenset({"Person"})
_PERSON_KEY = SCHEMA.node("Person").key
_PERSON_HELD = frozenset({_PERSON_KEY, "name", "mobile"})  # what `Cases.person` holds
_DISPUTE_HELD = frozenset({_DISPUTE_KEY, *FIELDS})
_TEAM = Tie("Grid", "SERVES_IN", "Person", outgoing=False)
_POSTS = frozenset({"SERVES_IN", "Grid"})  # what `team` and `posts_held` read of the model

Ends = dict[str, list[tuple[str, Row]]]
"""Per source key, the key at the far end of each of its ties, with the tie's properties."""


def _filed_labels(tie: Tie) -> frozenset[str]:
    """What `Loaders.filed` reads of the cases for `tie`."""
    if tie.source != "Dispute" or not (tie.rel in FILED or tie.rel == "PARTY_TO"):
        raise ValueError(f"the cases do not hold {tie.rel} from a dispute to {tie.target}")
    return frozenset({tie.rel, tie.target})


def _ends(cases: Cases, tie: Tie, dispute: str) -> list[tuple[str, Row]]:
    """The key at the far end of each of `dispute`'s ties along `tie` in `cases`, with the
    properties of the tie the cases hold."""
    if tie.rel in FILED:
        return [(end, {}) for end in cases.filed_of(tie.rel, dispute)]
    return [
        (cases.key(p), {"side": cases.side(t)})
        for p, t in cases.parties(dispute)
        if cases.label(p) == tie.target
    ]


def _posts(model: ReadModel, keys: list[str], as_of: date | None) -> Ends:
    """The person on each post of each grid of `keys`, as `_posted`."""
    return {k: _posted(model, k, as_of) for k in keys}


def _posted(model: ReadModel, grid: str, as_of: date | None) -> list[tuple[str, Row]]:
    """The person on each post of `grid` (those holding on `as_of` if given), with the
    post's properties as the read model holds them (never changed: a GridPost is made of
    them), in the team's order, as the model keeps it (`ReadModel.team`)."""
    return [
        (person, props)
        for person, props in model.team(grid)
        if as_of is None or valid_on(props.get("valid_from"), props.get("valid_to"), as_of)
    ]


def in_post_order(pairs: list[TieRow]) -> list[TieRow]:
    """A grid's team read (`ties`) in the team's order (`post_order`)."""
    return sorted(
        pairs, key=lambda p: post_order(p[0]["role"], p[0].get("valid_from"), p[1][_PERSON_KEY])
    )


def _far(ends: Ends) -> list[str]:
    """The far ends' keys, each once, ascending."""
    return sorted({end for found in ends.values() for end, _ in found})


def _paired(
    label: str, keys: list[str], ends: Ends, far: list[str], records: list[Row | None]
) -> list[list[TieRow]]:
    """Per key, (tie, record) of each far end whose record (`records`, of `far`'s keys, type
    `label`) is found, in the order of the records' keys."""
    by_key = dict(zip(far, records, strict=True))
    key = _KEYS[label]
    return [
        sorted(
            ((t, r) for end, t in ends[k] if (r := by_key[end]) is not None),
            key=lambda p: p[1][key],
        )
        for k in keys
    ]
