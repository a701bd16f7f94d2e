"""The slowly-changing structure of the graph held in memory, answering the named queries the
headline questions read (ladders, teams, centers, posts, list items, pools, a dispute's ties
and the ties between people) without Cypher, or with one read by key.

LadybugDB spends a few tenths of a millisecond setting up each join of a query, whatever it
then finds, and a ladder takes a dozen such queries. The structure they read (units, grids,
centers, departments, posts and their holders, pools, list items, domains and the ties
between them) changes when a load runs, not between two requests, and is small: a city's is
read by one bulk read per label and relationship type (on the embedded store as Arrow tables
in one snapshot, with every property the answered queries name, so a property a query comes
to read is held) and answered from dictionaries; no cyclic collection runs while it is
read. The parity test is the judge of every answer. A query that takes `$as_of` leaves out
the units, grids, centers and departments that do not exist that day by graph.temporal's
rule (`valid_on`, the Python form of the Cypher's `holds_on`).

    model = attach(backend)                 # when the graph opens (api.opening)
    rows = answer(backend, query, params)   # queries.library.run: the rows, or None

`answer` gives exactly the rows the query's Cypher gives (the same columns and values; the
queries answered here have no ORDER BY, and their callers take rows in any order), as the
parity tests (tests/queries/test_read_model.py, test_read_model_cases.py) check for every
query answered here. It answers only while nothing the query reads from memory has changed
since it was read: the embedded store stamps each label and type with the version of the last
write of its process that changed it (`EmbeddedBackend.stamp`, `graph.labels`), and no other
process can change what it reads. A load that changes the structure has it read again by the
next question that reads what changed (a question asked while a write is under way, or while
the model is read again, is answered by Cypher). A backend without a version (Neo4j, which
other clients write to unseen) gets no model and reads Cypher.

A dispute's ties and the ties between people (the cases, `queries.cases`) are held beside
the structure with a version of their own, and the queries of a dispute are answered from
them (`CASE_ANSWERS`); queries.cases says what each workflow event changes and how each part
stays current; what the list of disputes filters and sorts on, of every dispute, likewise
(`queries.dispute_fields`, caught up by key after workflow events), with each dispute's title
and parties: a dispute's own properties, which the questions take from there rather than
reading them per question.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import re
import sys
import threading
import weakref
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from itertools import accumulate, chain, product, repeat
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa

from graph.backend import Backend, Row, writes_changing
from graph.ddl import RID, ident
from graph.embedded import give_back_memory
from graph.labels import EVERYTHING, read_by
from graph.places import DEEPEST, DivisionCode, grids_down
from graph.schema import GRID_ROLES, SCHEMA, Property
from graph.temporal import valid_on
from queries.cases import (
    CASE_ANSWERS,
    CASES_HELD,
    MOBILE,
    NULLS,
    POSTS,
    Cases,
    Own,
    Props,
    current_handled,
    joined,
    listed,
    offset_of,
)
from queries.dispute_fields import DisputeFields

if TYPE_CHECKING:
    from queries.library import NamedQuery

Tie = tuple[str, str, Props]  # the other end's label and key, and the tie's properties

# Read whole: the structure. Person is read only for the people at the start of the ties
# below (a city's million residents are not the structure), with the ties, and LIVES_IN only
# for the experts in a pool.
NODES = (
    "Unit",
    "Grid",
    "PartyOrg",
    "Department",
    "Center",
    "MediationOrg",
    "Organisation",
    "Domain",
    "ExpertPool",
    "ListItem",
)
TIES = (
    "PART_OF",
    "LOCATED_IN",
    "LIAISES_WITH",
    "SERVES_IN",
    "LEADS",
    "SUBORDINATE_TO",
    "COVERS",
    "HOLDS_POST",
    "MEDIATES_IN",
    "STATIONED_AT",
    "JURISDICTION",
    "ESCALATES_TO",
    "RESPONSIBLE_FOR",
    "HAS_EXPERTISE",
    "IN_POOL",
    "SUPERVISES",
)
HELD = frozenset((*NODES, "Person", *TIES, "LIVES_IN", "HANDLED"))
# The ways the answers below walk each tie: from its start (`ReadModel.out`), from its end
# (`into`). Only those are indexed: SERVES_IN from each of a city's 80,000 people, which no
# answer walks, took 18 MiB. A walk of a way not indexed fails (KeyError), never finds nothing.
FROM_START = frozenset(
    {
        "PART_OF",
        "LOCATED_IN",
        "HAS_EXPERTISE",
        "LIAISES_WITH",
        "SUBORDINATE_TO",
        "ESCALATES_TO",
        "IN_POOL",
        "LIVES_IN",
    }
)
FROM_END = frozenset(
    {
        "PART_OF",
        "LOCATED_IN",
        "HAS_EXPERTISE",
        "SERVES_IN",
        "LEADS",
        "COVERS",
        "HOLDS_POST",
        "MEDIATES_IN",
        "STATIONED_AT",
        "JURISDICTION",
        "RESPONSIBLE_FOR",
        "SUPERVISES",
    }
)
LISTED = frozenset({"name", "kind", "level"})
"""Properties held whatever the queries read: what the GraphQL lists of grids filter and sort
on (api.graphql.lists)."""


class ReadModel:
    """The structure as read at `version`: nodes by label and key, and the ties of each
    node, from their start (`out`: FROM_START's types) and from their end (`into`:
    FROM_END's)."""

    def __init__(self, backend: Backend) -> None:
        # Labels changed by a write under way now get a stamp above this when it ends: the
        # model is never taken for them, whichever side of the write its reads saw.
        self.version = int(getattr(backend, "version", 0))
        self.nodes: dict[str, Mapping[str, Props]] = {}
        self.out: dict[str, _Ties] = {}
        self.into: dict[str, _Ties] = {}
        with _Reader.of(backend) as read:
            for label in NODES:
                self.nodes[label] = read.nodes(label)
            people = _PeopleRead(read.held)  # read with the ties that start at a person
            for type_ in TIES:
                self._index(type_, read.ties(type_, people))
            self.nodes["Person"] = _People(people)
            self._index("LIVES_IN", read.homes_of_experts())
            self.handled = read.handled_by_experts()
        self.handled_facts: tuple[int, dict[str, Row]] = (-1, {})  # (version, dispute -> facts)
        # expert_load's rows of each expert, made from the handled_facts they name
        self.load_rows: tuple[dict[str, Row], dict[str, list[Row]]] = ({}, {})
        # the people on posts as read here, not read again by the cases (None: read there)
        posted = None if people.posted is None else (self.version, people.posted)
        self.cases = Cases(backend, posted)
        self.disputes = DisputeFields.read(backend)  # a dispute's own properties, of each
        self._within: dict[DivisionCode, frozenset[str]] = {}  # grids_within, as asked
        self._in_order: dict[DivisionCode, list[str]] = {}  # and in ascending order
        # Answers' rows of one domain or list item, made from the structure when first asked
        # and shared by the answers that give them (their callers never change a row)
        self._pooled: dict[str, tuple[list[Row], frozenset[str]]] = {}
        self._items: _Items | None = None
        self._dated: dict[str, list[Props]] = {}  # unit -> `_dated`
        self._anchored: dict[tuple[Any, ...], list[Row]] = {}  # `anchored`
        self._item_rows: dict[str, list[Row]] = {}
        self._teams: dict[str, tuple[Any, ...]] = {}  # `team`, as asked

    def _index(self, type_: str, ties: list[tuple[str, str, str, str, Props]]) -> None:
        """The ties of `type_` by the node at their start and at their end, as walked."""
        if type_ in FROM_START:
            self.out[type_] = _Ties(
                (a_label, a, (b_label, b, props)) for a_label, a, b_label, b, props in ties
            )
        if type_ in FROM_END:
            self.into[type_] = _Ties(
                (b_label, b, (a_label, a, props)) for a_label, a, b_label, b, props in ties
            )

    def ties_out(self, type_: str, label: str, key: str) -> Iterator[Tie]:
        """The ties of `type_` from the node (label, key): each end's label and key, and the
        tie's properties (KeyError for a type not held from its start)."""
        return self.out[type_].of(label, key)

    def ties_in(self, type_: str, label: str, key: str) -> Iterator[Tie]:
        """The ties of `type_` into the node (label, key), likewise (FROM_END's types)."""
        return self.into[type_].of(label, key)

    def team(self, grid: str) -> Iterator[tuple[str, Props]]:
        """The posts on `grid` (SERVES_IN into it): each holder's key and the post's
        properties (never changed), in a team's order (`post_order`). Kept per grid as
        asked, so that no request sorts them again: flat (key, properties, key, …), 16 bytes
        a post (a city's 82,832 posts: 1.3 MiB, were every grid asked)."""
        found = self._teams.get(grid)
        if found is None:
            posts = ((key, props) for _, key, props in self.ties_in("SERVES_IN", "Grid", grid))
            ordered = sorted(posts, key=_post_order)
            found = self._teams[grid] = tuple(chain.from_iterable(ordered))
        each = iter(found)
        return zip(each, each, strict=True)

    def node(self, label: str, key: Any) -> Props | None:
        return self.nodes[label].get(key) if isinstance(key, str) else None

    def ends(
        self,
        table: dict[str, _Ties],
        type_: str,
        label: str,
        key: str,
        other: str,
    ) -> list[tuple[Props, Props]]:
        """The nodes labelled `other` tied to (label, key) by `type_`, each with the tie's
        properties, once per tie."""
        nodes = self.nodes[other]
        return [(nodes[k], props) for lab, k, props in table[type_].of(label, key) if lab == other]

    def outgoing(self, type_: str, label: str, key: str, other: str) -> list[tuple[Props, Props]]:
        return self.ends(self.out, type_, label, key, other)

    def incoming(self, type_: str, label: str, key: str, other: str) -> list[tuple[Props, Props]]:
        return self.ends(self.into, type_, label, key, other)

    def grids_within(self, code: DivisionCode) -> frozenset[str]:
        """`graph.places.grids_within` answered from the model: the grids PART_OF a unit inside
        `code`, or PART_OF such a grid, at any depth (kept per code of a unit held)."""
        found = self._within.get(code)
        if found is not None:
            return found
        part_of = self.into["PART_OF"]

        def parts(label: str, keys: Iterable[str]) -> Iterator[str]:
            for key in keys:
                yield from (k for lb, k, _ in part_of.of(label, key) if lb == "Grid")

        units = (unit for unit in self.nodes["Unit"] if code.contains(unit))
        found = grids_down(parts("Unit", units), lambda level: parts("Grid", level))
        if code.full in self.nodes["Unit"]:  # the codes of units only: a bounded number
            self._within[code] = found
        return found

    def grids_in_order(self, code: DivisionCode) -> list[str]:
        """`grids_within`, in ascending order (kept likewise)."""
        found = self._in_order.get(code)
        if found is None:
            found = sorted(self.grids_within(code))
            if code.full in self.nodes["Unit"]:
                self._in_order[code] = found
        return found

    def grids_up(self, grids: list[str]) -> Iterator[tuple[str, str | None, str | None]]:
        """What each of `grids` is PART_OF (`graph.places.Ups`: GRIDS_UP's rows, but none
        for a grid with no tie up), for `graph.places.units_up`'s walk."""
        part_of = self.out["PART_OF"]
        for grid in grids:
            for label, key, _ in part_of.of("Grid", grid):
                yield grid, key if label == "Grid" else None, key if label == "Unit" else None

    def disputes_within(self, code: DivisionCode) -> list[str]:
        """The keys of the disputes that OCCURRED_IN a grid inside `code`, from the cases as
        they are (the caller sees they are current)."""
        kept = code if code.full in self.nodes["Unit"] else None  # the codes of units only
        return self.cases.occurred_in(self.grids_within(code), kept)

    def anchored(
        self, unit: str, given: tuple[Any, ...], holds: Holds, make: Callable[[str], list[Row]]
    ) -> list[Row]:
        """A unit body query's rows of the anchor `unit` (`make(unit)`), kept per anchor, the
        query's other parameters (`given`) and which of the unit's dated centers and
        departments exist on the day asked (`holds`): most have no dates, so that the rows of
        one day serve every day."""
        dated = _kept(self._dated, unit, lambda: _dated(self, unit))
        key = (unit, given, tuple(map(holds, dated)))
        try:
            rows = self._anchored.get(key)
        except TypeError:  # a parameter Cypher compares but Python cannot hash
            return make(unit)
        if rows is None:
            if len(self._anchored) >= _ANCHORED:
                self._anchored.clear()
            rows = self._anchored[key] = make(unit)
        return rows

    def pooled(self, dm: Props) -> tuple[list[Row], frozenset[str]]:
        """expert_candidates' rows of the domain `dm` (the experts with it in a pool, with
        their memberships and homes) and the keys of those experts; kept per domain."""
        return _kept(self._pooled, dm["code"], lambda: _pooled(self, dm))

    def list_items(self) -> _Items:
        """The list items' order, and their keys by (class, domain code)."""
        if self._items is None:
            self._items = _Items(self)
        return self._items

    def item_rows(self, key: str) -> list[Row]:
        """referral_item's rows of the list item `key`; kept per item."""
        return _kept(self._item_rows, key, lambda: _item_rows(self, key))

    def current(
        self, backend: Backend, query: NamedQuery, labels: frozenset[str] | None = None
    ) -> bool:
        """Whether nothing `query` reads (or `labels` of it) has changed since the model was
        read."""
        return self.holds(backend, read_by(query.text) if labels is None else labels)

    def holds(self, backend: Backend, labels: frozenset[str]) -> bool:
        """Whether none of `labels` has changed since the model was read."""
        stamp = getattr(backend, "stamp", None)
        if stamp is None:
            return False
        if getattr(backend, "version", None) == self.version and not self.version % 2:
            return True  # no write has begun since (each moves the version): skip the stamps
        return int(stamp(labels)) <= self.version

    def unchanged_until(self, backend: Backend, version: int) -> bool:
        """Whether every write from the model's version to `version` (at which no write is
        under way) left the structure as it was: each changed nothing it holds, or wrote
        people by key none of whom it holds (a report's new parties). It holds only the
        people at the start of its ties, and a tie is a write of its own type, so a person it
        does not hold cannot change any answer of it. False when the writes since are no
        longer known."""
        writes = writes_changing(backend, self.version, version, HELD)
        people = self.nodes["Person"]
        return writes is not None and all(
            w.about is not None
            and w.about[0] == "Person"
            and w.changed & (HELD | {EVERYTHING}) == {"Person"}
            and not any(map(people.__contains__, w.about[1]))
            for w in writes
        )


def post_order(role: str, valid_from: date | None, person: str) -> tuple[int, date, str]:
    """Where a post stands in a grid's team: heads first (GRID_ROLES' order, a role not
    known last), then by the day it began, then by its holder's key."""
    return (_ROLE_ORDER.get(role, len(_ROLE_ORDER)), valid_from or date.min, person)


def _post_order(post: tuple[str, Props]) -> tuple[int, date, str]:
    person, props = post
    return post_order(props["role"], props.get("valid_from"), person)


_ROLE_ORDER = {role: at for at, role in enumerate(GRID_ROLES)}

_ANCHORED = 8192  # rows of anchors kept (`ReadModel.anchored`) before they are made anew


K = TypeVar("K")
V = TypeVar("V")


def _kept(table: dict[K, V], key: K, make: Callable[[], V]) -> V:
    """`table[key]`, made first if it is not there (two threads may both make it: the
    same value)."""
    found = table.get(key)
    if found is None:
        found = table[key] = make()
    return found


class _Ties(Mapping[tuple[str, str], tuple[Tie, ...]]):
    """The ties of one type by the node at one end, as a mapping (label, key) -> that node's
    ties (`Tie`s). Held by label, then key, each node's ties flat in one tuple (far label,
    far key, properties, far label, …): a tuple per tie and a (label, key) per node took
    72 and 56 bytes more (SERVES_IN's 82,832 ties into a city's 14,453 grids: 8.6 MiB, now
    3.9). `of` walks a node's ties without making a tuple of each; the mapping makes them."""

    __slots__ = ("_by",)

    def __init__(self, ties: Iterable[tuple[str, str, Tie]]) -> None:
        grouped: dict[str, dict[str, list[Any]]] = {}
        for label, key, tie in ties:
            grouped.setdefault(label, {}).setdefault(key, []).extend(tie)
        self._by = {
            label: {k: tuple(f) for k, f in keys.items()} for label, keys in grouped.items()
        }

    def of(self, label: str, key: str) -> Iterator[Tie]:
        """The ties of (label, key): none for a node with none."""
        found = iter(self._by.get(label, _NONE).get(key, ()))
        return zip(found, found, found, strict=True)

    def count(self, label: str, key: str) -> int:
        return len(self._by.get(label, _NONE).get(key, ())) // 3

    def __getitem__(self, node: tuple[str, str]) -> tuple[Tie, ...]:
        label, key = node
        flat = self._by[label][key]
        return tuple(zip(flat[::3], flat[1::3], flat[2::3], strict=True))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((label, key) for label, keys in self._by.items() for key in keys)

    def __len__(self) -> int:
        return sum(map(len, self._by.values()))


_NONE: dict[str, tuple[Any, ...]] = {}


class _PeopleRead:
    """The people read so far with the ties that start at them, each once (the first read):
    their rows by key, and each property's values in that order, piece by piece; and those
    on the cases' POSTS, each read's keys, names, mobiles and places in the store as read
    (`posted`: the cases number them from these, `queries.cases.AT`), None where a read gave
    no Arrow or not those columns."""

    def __init__(self, held: Callable[[list[Any]], list[Any]]) -> None:
        self.rows: dict[str, int] = {}
        self.pieces: dict[str, list[pa.Array | list[Any]]] = {}
        self.held = held
        self.posted: list[tuple[pa.ChunkedArray, ...]] | None = []

    def add(self, keys: list[str], columns: dict[str, pa.ChunkedArray | list[Any]]) -> None:
        rows, new = self.rows, array("i")
        for i, key in enumerate(keys):
            if key not in rows:
                rows[key] = len(rows)
                new.append(i)
        taken = pa.Array.from_buffers(pa.int32(), len(new), [None, pa.py_buffer(new)])
        for name, values in columns.items():
            piece = (
                values.take(taken).combine_chunks()
                if isinstance(values, pa.ChunkedArray)
                else [values[i] for i in new]
            )
            self.pieces.setdefault(name, []).append(piece)


def _concatenated(pieces: list[pa.Array | list[Any]]) -> pa.Array | None:
    """Pieces of Arrow's as one array; None when one is a list, or their types differ."""
    if not pieces or not all(isinstance(p, pa.Array) for p in pieces):
        return None
    try:
        return pa.concat_arrays(pieces)
    except pa.ArrowInvalid:
        return None


class _People(Mapping[str, Props]):
    """The people the structure holds (a city's 96,558, at the start of its ties), column by
    column: a property that is a string for every person as one string of them all and where
    each starts (`_texts`), made in Arrow where the reads gave Arrow (no str object per
    person), any other as a list. A person is a dict made when asked (its key, and each
    property), the same values as one held would give. Held as a dict each (their keys
    shared), with a str object per name and mobile, they took 22.8 MiB of a city's besides
    their keys (which the ties hold too); so, 9.3 (the dict of their rows 6.3 of it)."""

    __slots__ = ("_columns", "_key", "_lists", "_row", "_texts")

    def __init__(self, read: _PeopleRead) -> None:
        self._key = SCHEMA.node("Person").key
        self._row = read.rows
        self._texts: list[tuple[str, str, array[int]]] = []
        self._lists: list[tuple[str, list[Any]]] = []
        # the columns of each set of names `shaped` was asked for, and whether all are held
        self._columns: dict[frozenset[str], Any] = {}
        for name, pieces in read.pieces.items():
            arrow = _concatenated(pieces)
            if arrow is not None and pa.types.is_string(arrow.type) and not arrow.null_count:
                self._texts.append((name, *joined(arrow)))
                continue
            values = [v for p in pieces for v in (p.to_pylist() if isinstance(p, pa.Array) else p)]
            if values and all(type(v) is str for v in values):
                at = array("i", (0,))
                at.extend(accumulate(map(len, values)))
                self._texts.append((name, "".join(values), at))
            else:
                self._lists.append((name, read.held(values)))

    def __getitem__(self, key: str) -> Props:
        row = self._row[key]
        props = {self._key: key}
        for name, text, at in self._texts:
            props[name] = text[at[row] : at[row + 1]]
        for name, values in self._lists:
            props[name] = values[row]
        return props

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._row else default

    def shaped(self, keys: Iterable[str], names: frozenset[str], blank: Props) -> dict[str, Props]:
        """`shaped`, with no dict of every property made per person and taken apart."""
        columns = self._columns.get(names)
        if columns is None:
            texts = [(name, text, at) for name, text, at in self._texts if name in names]
            lists = [(name, values) for name, values in self._lists if name in names]
            held = len(texts) + len(lists) == len(names - {self._key})
            columns = self._columns[names] = (texts, lists, held)
        texts, lists, held = columns
        if not held:
            return {}
        rows, key_name = self._row, self._key
        found = {}
        for key in keys:
            row = rows.get(key)
            if row is None:
                continue
            props = blank.copy()
            props[key_name] = key
            for name, text, at in texts:
                props[name] = text[at[row] : at[row + 1]]
            for name, values in lists:
                props[name] = values[row]
            found[key] = props
        return found

    def __contains__(self, key: object) -> bool:
        return key in self._row

    def __iter__(self) -> Iterator[str]:
        return iter(self._row)

    def __len__(self) -> int:
        return len(self._row)


def shaped(
    nodes: Mapping[str, Props],
    key_name: str,
    keys: Iterable[str],
    names: frozenset[str],
    blank: Props,
) -> dict[str, Props]:
    """The nodes of `keys` held in `nodes` (the model's of one label, whose key is `key_name`)
    with every one of `names`, each as a copy of `blank` with its key and its properties of
    `names`."""
    if isinstance(nodes, _People):
        return nodes.shaped(keys, names, blank)
    found = {}
    for key in keys:
        props = nodes.get(key)
        if props is not None and names <= props.keys():
            record = blank.copy()
            record[key_name] = key
            for name in names:
                record[name] = props[name]
            found[key] = record
    return found


def _dated(m: ReadModel, unit: str) -> list[Props]:
    """The centers and departments whose existence on a day decides the unit body queries'
    rows of `unit` (`_centers`, `_departments`): those with a date of their own."""
    centers = [c for c, _ in m.incoming("JURISDICTION", "Unit", unit, "Center")]
    near = [
        *centers,
        *(up for c in centers for up, _ in m.outgoing("ESCALATES_TO", "Center", c["id"], "Center")),
        *(d for d, _ in m.incoming("LOCATED_IN", "Unit", unit, "Department")),
    ]
    return [n for n in near if n.get("valid_from") is not None or n.get("valid_to") is not None]


class _Items:
    """Where referral_item looks: each list item's position (the order its Cypher scans them
    in, kept in its rows) and the items of each (item_class, domain code) they have."""

    def __init__(self, m: ReadModel) -> None:
        self.position = {key: i for i, key in enumerate(m.nodes["ListItem"])}
        by_class_domain: dict[tuple[Any, Any], list[str]] = defaultdict(list)
        for key, li in m.nodes["ListItem"].items():
            for dm, _ in m.outgoing("HAS_EXPERTISE", "ListItem", key, "Domain"):
                if li.get("item_class") is not None and dm.get("code") is not None:
                    by_class_domain[(li["item_class"], dm["code"])].append(key)
        self.by_class_domain = dict(by_class_domain)


Columns = dict[str, Any]  # a read's values, column by column: lists (or Arrow's, `_columns`)


def _columns(table: pa.Table) -> Columns:
    """An Arrow table's columns as lists of Python values, but a tie's person's, which are
    left to Arrow (`_People`)."""
    return {
        name: column if name.startswith(_PERSON) else column.to_pylist()
        for name, column in zip(table.column_names, table.columns, strict=True)
    }


def _columns_of(rows: list[Row]) -> Columns:
    """A read's rows (a backend without Arrow tables) column by column."""
    return {name: [row[name] for row in rows] for name in (rows[0] if rows else ())}


_PERSON = "person_"  # the columns of a tie's person, beside the tie's own
_PLACE = _PERSON + "_at"  # a post's person's place in the store (`_PeopleRead.posted`)


def _unprefixed(column: str) -> str:
    """A person's column's property name: one string for all the people (a string made per
    row, the key of every person's dict, took 15 MiB of a city's)."""
    return sys.intern(column.removeprefix(_PERSON))


class _Reader:
    """The bulk reads of one model: the properties the answered queries read (a property a
    query comes to read is held once its name appears in the query's text), each repeated
    value held once (a city's grids share a few kinds, levels and dates, and many ties the
    same properties). On the embedded store, one snapshot whose whole labels are read as
    Arrow tables (`table_snapshot`) and taken column by column: a row at a time through the
    binding took half the structure's read on a city, and a dict per row made and taken
    apart again a third of the rest."""

    def __init__(self, backend: Backend, read: Callable[[str], Columns]) -> None:
        from queries.library import get_query  # queries.library answers from this module

        self.backend = backend
        self.read = read
        texts = " ".join(get_query(name).text for name in ANSWERS)
        self.wanted = set(re.findall(r"\.\s*(\w+)", texts)) | LISTED
        self.values: dict[Any, Any] = {}
        # (names, values) -> the properties of every tie with them
        self.ties_held: dict[tuple[tuple[str, ...], tuple[Any, ...]], Props] = {}
        self.kinds: dict[str, type[object]] = {}

    @classmethod
    @contextlib.contextmanager
    def of(cls, backend: Backend) -> Iterator[_Reader]:
        tables = getattr(backend, "table_snapshot", None)
        if tables is None:
            yield cls(backend, lambda query: _columns_of(backend.read(query)))
            return
        with tables() as read:
            yield cls(backend, lambda query: _columns(read(query)))

    def _columns(
        self, var: str, properties: Iterable[Property], always: str = "", prefix: str = ""
    ) -> str:
        names = [p.name for p in properties if p.name in self.wanted or p.name == always]
        return ", ".join(var + "." + ident(n) + " AS " + prefix + ident(n) for n in names)

    def _kind(self, label: str) -> type[object]:
        """The class whose instances' `__dict__`s are the nodes of `label` (`_node`)."""
        return _kept(self.kinds, label, lambda: type("_" + label, (), {}))

    def held(self, values: list[Any]) -> list[Any]:
        """`values`, each repeated one held once."""
        hold = self.values.setdefault
        return [v if v is None else hold(v, v) for v in values]

    def _held(self, row: Row) -> Row:
        values = self.values
        return {k: v if v is None else values.setdefault(v, v) for k, v in row.items()}

    def _node(self, kind: type[object], names: list[str], values: Iterable[Any]) -> Props:
        """A node's properties: a dict whose keys are shared with the other nodes of its
        label (the `__dict__` of an instance of `kind`, one class per label), each value
        held once. A dict of its own took 184 bytes for a person's four properties, this
        112; it is a dict like any other."""
        held = self.values.setdefault
        props: Props = vars(kind())
        props.update(zip(names, (v if v is None else held(v, v) for v in values), strict=True))
        return props

    def nodes(self, label: str) -> dict[str, Props]:
        node = SCHEMA.node(label)
        returned = self._columns("n", node.properties, always=node.key)
        columns = self.read("MATCH (n:" + ident(label) + ") RETURN " + returned)
        names, kind = list(columns), self._kind(label)
        return {
            props[node.key]: props
            for props in (
                self._node(kind, names, values) for values in zip(*columns.values(), strict=True)
            )
        }

    def ties(self, type_: str, people: _PeopleRead) -> list[tuple[str, str, str, str, Props]]:
        """Every tie of `type_`, one read per pair of end labels: (from label, from key, to
        label, to key, the tie's properties). A person at the start of a tie is read with it,
        into `people` (a lookup of each by key would scan the city's million)."""
        rel = SCHEMA.rel(type_)
        columns = self._columns("r", rel.properties)
        person = SCHEMA.node("Person")
        found: list[tuple[str, str, str, str, Props]] = []
        for a_label, b_label in rel.endpoints:
            a_key, b_key = SCHEMA.node(a_label).key, SCHEMA.node(b_label).key
            a, tie = "(a:" + ident(a_label) + ")", "-[r:" + ident(type_) + "]->"
            b = "(b:" + ident(b_label) + ")"
            text = "MATCH " + a + tie + b
            if a_label == person.label:
                # LadybugDB plans that as a scan of every person, however few the ties (a
                # city's million: 0.12 s for HOLDS_POST's 22); from the other end's nodes,
                # it reads the people tied to them (1 ms)
                text = "MATCH " + b + " WITH b MATCH " + a + tie + "(b)"
            text += " RETURN a." + ident(a_key) + " AS a_key, b."
            text += ident(b_key) + " AS b_key" + (", " + columns if columns else "")
            if a_label == person.label:
                text += ", " + self._columns("a", person.properties, prefix=_PERSON)
            if type_ in POSTS:
                text += ", " + offset_of("a") + " AS " + _PLACE
            read = self.read(text)
            place = read.pop(_PLACE, None)
            a_keys, b_keys = self._keys(read.pop("a_key", [])), self._keys(read.pop("b_key", []))
            theirs = [name for name in read if name.startswith(_PERSON)]
            if type_ in POSTS and people.posted is not None:
                posted = [*(read.get(_PERSON + n) for n in (person.key, "name", MOBILE)), place]
                whole = all(isinstance(c, pa.ChunkedArray) for c in posted)
                people.posted = [*people.posted, tuple(posted)] if whole else None
            if theirs:
                key = _PERSON + person.key
                people.add(a_keys, {_unprefixed(n): read.pop(n) for n in theirs if n != key})
                read.pop(key, None)
            names = tuple(read)  # the tie's own
            props = (
                [self._tie(names, values) for values in zip(*read.values(), strict=True)]
                if names
                else [NULLS] * len(a_keys)
            )
            found += zip(repeat(a_label), a_keys, repeat(b_label), b_keys, props)
        return found

    def _keys(self, keys: list[str]) -> list[str]:
        """The keys of a tie's ends, each the one string the model holds for that node (a
        string per tie took 18 MiB of a city's)."""
        hold = self.values.setdefault
        return [hold(key, key) for key in keys]

    def _tie(self, names: tuple[str, ...], values: tuple[Any, ...]) -> Props:
        """A tie's properties, one dict for all the ties with the same (never changed)."""
        try:
            found = self.ties_held.get((names, values))
        except TypeError:  # a value Python cannot hash (a list): this tie's own
            return self._held(dict(zip(names, values, strict=True)))
        if found is None:
            found = self.ties_held[(names, values)] = self._held(
                dict(zip(names, values, strict=True))
            )
        return found

    def homes_of_experts(self) -> list[tuple[str, str, str, str, Props]]:
        """The LIVES_IN ties of the experts in a pool (every resident has one: the city's
        million are not the structure). Reached from the pools, as expert_candidates does
        (a lookup of the experts by key scans every LIVES_IN tie)."""
        columns = self._columns("r", SCHEMA.rel("LIVES_IN").properties)
        read = self.read(
            _EXPERTS
            + " OPTIONAL MATCH (a)-[r:LIVES_IN]->(b:Unit) RETURN a.id AS a_key, b.code AS b_key, r."
            + RID
            + " AS tie"
            + (", " + columns if columns else "")
        )
        a_keys, b_keys = self._keys(read.pop("a_key", [])), self._keys(read.pop("b_key", []))
        ties = read.pop("tie", [])
        names = tuple(read)  # the tie's own
        found, seen = [], set()
        for a_id, b_id, tie, *values in zip(a_keys, b_keys, ties, *read.values(), strict=True):
            if b_id is not None and (a_id, tie) not in seen:  # once per pool: each tie once
                seen.add((a_id, tie))
                props = self._tie(names, tuple(values)) if names else NULLS
                found.append(("Person", a_id, "Unit", b_id, props))
        return found

    def handled_by_experts(self) -> dict[str, list[str]]:
        """The disputes each expert in a pool HANDLED (loaded: the workflow records no
        HANDLED tie), reached from the pools as homes_of_experts does."""
        found: dict[str, list[str]] = defaultdict(list)
        read = self.read(
            _EXPERTS + " MATCH (a)-[:HANDLED]->(d:Dispute) RETURN DISTINCT a.id AS a, d.id AS d"
        )
        for expert, dispute in zip(read.get("a", []), read.get("d", []), strict=True):
            found[expert].append(dispute)
        return dict(found)


# The experts in a pool, as `a`: from the pools, not from every person (a scan of a city's
# million, 40 ms where this takes 5)
_EXPERTS = "MATCH (p:ExpertPool) WITH p MATCH (a:Person)-[:IN_POOL]->(p)"


# -- the answers, one per named query: each gives its Cypher's rows --------------------------

_BODY_COLUMNS = ("body_label", "body_key", "body_name", "body_kind", "body_level")


def _body_row(
    anchor: Any,
    rel: str,
    label: str,
    body: Props,
    kind: str,
    level: Any,
    via: tuple[Any, Any],
    holder: Props,
    tie: Props,
    post: str,
) -> Row:
    return {
        "anchor": anchor,
        "rel": rel,
        "body_label": label,
        "body_key": body.get("id"),
        "body_name": body.get("name"),
        "body_kind": body.get(kind),
        "body_level": level,
        "via": via[0],
        "via_name": via[1],
        "holder": holder.get("id"),
        "holder_name": holder.get("name"),
        "mobile": holder.get("mobile"),
        "post": tie.get(post),
        "since": tie.get("valid_from"),
        "until": tie.get("valid_to"),
    }


def _or_none(found: list[tuple[Props, Props]]) -> list[tuple[Props, Props]]:
    """What an OPTIONAL MATCH gives: the matches, or one row of nulls."""
    return found or [(NULLS, NULLS)]


Holds = Callable[[Props], bool]


def _as_of(params: Mapping[str, Any]) -> Holds | None:
    """Whether a unit, grid, center or department exists on `$as_of`, by the rule of
    graph.temporal (a date, or None: Cypher's null); None for any other value, which is left
    to Cypher and its error."""
    day = params["as_of"]
    if day is not None and (not isinstance(day, date) or isinstance(day, datetime)):
        return None
    return lambda node: valid_on(node.get("valid_from"), node.get("valid_to"), day)


def _holders(m: ReadModel, type_: str, label: str, body: Props) -> list[tuple[Props, Props]]:
    if body is NULLS:
        return [(NULLS, NULLS)]
    return _or_none(m.incoming(type_, label, body["id"], "Person"))


def _ups(
    m: ReadModel, type_: str, label: str, body: Props, holds: Holds | None = None
) -> list[tuple[Any, Any]]:
    """coalesce(up.id, ''), coalesce(up.name, '') of the OPTIONAL MATCH (body)-[:type_]->(up)
    (WHERE up holds, when `holds` is given)."""
    if body is NULLS:
        return [("", "")]
    found = [
        up for up, _ in m.outgoing(type_, label, body["id"], label) if holds is None or holds(up)
    ]
    return [(_text(up.get("id")), _text(up.get("name"))) for up in found] or [("", "")]


def _text(value: Any) -> Any:
    return "" if value is None else value


def _centers(m: ReadModel, anchor: str, holds: Holds) -> list[Row]:
    rows = []
    found = [(c, t) for c, t in m.incoming("JURISDICTION", "Unit", anchor, "Center") if holds(c)]
    for c, _ in _or_none(found):
        for via, (p, h) in product(
            _ups(m, "ESCALATES_TO", "Center", c, holds), _holders(m, "HOLDS_POST", "Center", c)
        ):
            rows.append(
                _body_row(
                    anchor, "JURISDICTION", "Center", c, "kind", c.get("level"), via, p, h, "post"
                )
            )
    return rows


def _committees(m: ReadModel, anchor: str, kinds: list[Any]) -> list[Row]:
    found = [
        (o, t)
        for o, t in m.incoming("LOCATED_IN", "Unit", anchor, "MediationOrg")
        if o.get("kind") is not None and o["kind"] in kinds
    ]
    rows = []
    for o, _ in _or_none(found):
        for p, h in _holders(m, "MEDIATES_IN", "MediationOrg", o):
            rows.append(
                _body_row(
                    anchor,
                    "LOCATED_IN",
                    "MediationOrg",
                    o,
                    "kind",
                    o.get("level"),
                    ("", ""),
                    p,
                    h,
                    "post",
                )
            )
    return rows


def _party_orgs(
    m: ReadModel, anchor: str, label: str, found: list[tuple[Props, Props]], rel: str
) -> list[Row]:
    rows = []
    for o, _ in _or_none(found):
        for via, (p, h) in product(
            _ups(m, "SUBORDINATE_TO", "PartyOrg", o), _holders(m, "LEADS", "PartyOrg", o)
        ):
            rows.append(
                _body_row(anchor, rel, "PartyOrg", o, "kind", o.get("level"), via, p, h, "post")
            )
    return rows


def _departments(
    m: ReadModel,
    anchor: str,
    rel: str,
    holds: Holds,
    court: Any | None = None,
    every: bool = False,
) -> list[Row]:
    found = [
        (d, t)
        for d, t in m.incoming("LOCATED_IN", "Unit", anchor, "Department")
        if (every or (court is not None and d.get("function") == court)) and holds(d)
    ]
    rows = []
    for d, _ in _or_none(found):
        for p, h in _holders(m, "HOLDS_POST", "Department", d):
            rows.append(
                _body_row(
                    anchor, rel, "Department", d, "function", d.get("level"), ("", ""), p, h, "post"
                )
            )
    return rows


def _units(m: ReadModel, params: Mapping[str, Any]) -> list[str] | None:
    anchors = listed(params, "units")
    return None if anchors is None else [a for a in anchors if m.node("Unit", a) is not None]


def _grids(m: ReadModel, params: Mapping[str, Any]) -> list[str] | None:
    anchors = listed(params, "grids")
    return None if anchors is None else [a for a in anchors if m.node("Grid", a) is not None]


def ladder_unit_bodies(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    units, kinds = _units(m, params), listed(params, "mediation_kinds")
    holds = _as_of(params)
    if units is None or kinds is None or holds is None:
        return None

    def of(u: str) -> list[Row]:
        return [
            *_centers(m, u, holds),
            *_committees(m, u, kinds),
            *_party_orgs(
                m, u, "Unit", m.incoming("LOCATED_IN", "Unit", u, "PartyOrg"), "LOCATED_IN"
            ),
            *_departments(m, u, "COURT", holds, court=params["court"]),
        ]

    given = ("ladder", tuple(kinds), params["court"])
    return [row for u in units for row in m.anchored(u, given, holds, of)]


def referral_unit_bodies(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    units = _units(m, params)
    kinds, industry = listed(params, "mediation_kinds"), listed(params, "industry_kinds")
    holds = _as_of(params)
    if units is None or kinds is None or industry is None or holds is None:
        return None

    def of(u: str) -> list[Row]:
        rows = _centers(m, u, holds)
        rows += _committees(m, u, kinds)
        rows += _departments(m, u, "FUNCTION", holds, every=True)
        found = [
            (o, dm)
            for o, _ in m.incoming("LOCATED_IN", "Unit", u, "MediationOrg")
            if o.get("kind") is not None and o["kind"] in industry
            for dm, _ in m.outgoing("HAS_EXPERTISE", "MediationOrg", o["id"], "Domain")
        ]
        for o, dm in found or [(NULLS, NULLS)]:
            via = (dm.get("code"), dm.get("name"))
            for p, h in _holders(m, "MEDIATES_IN", "MediationOrg", o):
                rows.append(
                    _body_row(
                        u,
                        "HAS_EXPERTISE",
                        "MediationOrg",
                        o,
                        "kind",
                        o.get("level"),
                        via,
                        p,
                        h,
                        "post",
                    )
                )
        rows += _departments(m, u, "COURT", holds, court=params["court"])
        return rows

    given = ("referral", tuple(kinds), tuple(industry), params["court"])
    return [row for u in units for row in m.anchored(u, given, holds, of)]


def ladder_stationed_departments(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    units, holds = _units(m, params), _as_of(params)
    if units is None or holds is None:
        return None
    rows = []
    for u in units:
        found = [
            (c, d, st)
            for c, _ in m.incoming("JURISDICTION", "Unit", u, "Center")
            for d, st in m.incoming("STATIONED_AT", "Center", c["id"], "Department")
            if holds(c) and holds(d)
        ]
        for c, d, st in found or [(NULLS, NULLS, NULLS)]:
            for p, h in _holders(m, "HOLDS_POST", "Department", d):
                row = _body_row(
                    u,
                    "STATIONED_AT",
                    "Department",
                    d,
                    "function",
                    d.get("level"),
                    (c.get("id"), c.get("name")),
                    p,
                    h,
                    "post",
                )
                row["stationed_from"], row["stationed_to"] = (
                    st.get("valid_from"),
                    st.get("valid_to"),
                )
                rows.append(row)
    return rows


def grid_teams(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    grids = _grids(m, params)
    if grids is None:
        return None
    rows = []
    for anchor in grids:
        g = m.nodes["Grid"][anchor]
        for p, h in _or_none(m.incoming("SERVES_IN", "Grid", anchor, "Person")):
            rows.append(
                _body_row(anchor, "SERVES_IN", "Grid", g, "kind", "grid", ("", ""), p, h, "role")
            )
    return rows


def grid_party_orgs(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    grids = _grids(m, params)
    if grids is None:
        return None
    rows = []
    for anchor in grids:
        rows += _party_orgs(
            m, anchor, "Grid", m.incoming("COVERS", "Grid", anchor, "PartyOrg"), "COVERS"
        )
    return rows


def liaison_bodies(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    grids, holds = _grids(m, params), _as_of(params)
    if grids is None or holds is None:
        return None
    rows = []
    for label, kind in (("Department", "function"), ("Center", "kind")):
        for anchor in grids:
            found = [
                (b, t) for b, t in m.outgoing("LIAISES_WITH", "Grid", anchor, label) if holds(b)
            ]
            for b, _ in _or_none(found):
                for p, h in _holders(m, "HOLDS_POST", label, b):
                    rows.append(
                        _body_row(
                            anchor,
                            "LIAISES_WITH",
                            label,
                            b,
                            kind,
                            b.get("level"),
                            ("", ""),
                            p,
                            h,
                            "post",
                        )
                    )
    for anchor in grids:
        for b, _ in _or_none(m.outgoing("LIAISES_WITH", "Grid", anchor, "Organisation")):
            row = _body_row(
                anchor,
                "LIAISES_WITH",
                "Organisation",
                b,
                "kind",
                "",
                ("", ""),
                NULLS,
                NULLS,
                "post",
            )
            rows.append({**row, "holder": "", "holder_name": "", "mobile": "", "post": ""})
    return rows


def grid_step(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    g, holds = m.node("Grid", params["grid"]), _as_of(params)
    if holds is None:
        return None
    if g is None:
        return []
    base = {
        "name": g.get("name"),
        "kind": g.get("kind"),
        "unit_level": g.get("unit_level"),
        "location": g.get("location"),
        "liaisons": m.out["LIAISES_WITH"].count("Grid", g["id"]),
    }
    parents = m.ties_out("PART_OF", "Grid", g["id"])
    rows = []
    for label, key, _ in parents:
        n = m.nodes[label][key]
        if not holds(n):
            continue
        unit = label == "Unit"
        rows.append(
            {
                **base,
                "parent_label": "Unit" if unit else "Grid",
                "parent": key,
                "parent_name": n.get("name"),
                "parent_level": n.get("level") if unit else None,
            }
        )
    return rows or [
        {**base, "parent_label": "Grid", "parent": None, "parent_name": None, "parent_level": None}
    ]


def unit_step(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    holds = _as_of(params)
    if holds is None:
        return None
    if m.node("Unit", params["unit"]) is None:
        return []
    return [
        {"parent": n["code"], "parent_name": n.get("name"), "parent_level": n.get("level")}
        for n, _ in m.outgoing("PART_OF", "Unit", params["unit"], "Unit")
        if holds(n)
    ]


def place(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    key = params["place"]

    def row(label: str, node: Props, level: Any, grid: Props) -> Row:
        return {
            "label": label,
            "name": node.get("name"),
            "level": level,
            "grid": grid.get("id"),
            "grid_kind": grid.get("kind"),
        }

    rows = []
    g = m.node("Grid", key)
    if g is not None:
        rows.append(row("Grid", g, "grid", g))
    u = m.node("Unit", key)
    if u is not None:
        rows += [
            row("Unit", u, u.get("level"), grid)
            for grid, _ in _or_none(m.incoming("PART_OF", "Unit", key, "Grid"))
        ]
    o = m.node("Organisation", key)
    if o is not None:
        rows += [
            row("Organisation", o, o.get("kind"), grid)
            for grid, _ in _or_none(m.outgoing("LOCATED_IN", "Organisation", key, "Grid"))
        ]
    return rows


_MAX_HOPS = DEEPEST  # place_units' PART_OF*..30; a walk up stops at the top long before


def _paths_to_units(m: ReadModel, label: str, key: str, least: int) -> list[tuple[str, int]]:
    """(unit code, length) of every PART_OF path of `least`..DEEPEST steps from (label, key) that
    ends at a unit, through nodes of any label, one per path (a walk: a node may recur)."""
    found = []
    step = [(label, key)]
    for hops in range(_MAX_HOPS + 1):
        if hops >= least:
            found += [(k, hops) for lab, k in step if lab == "Unit"]
        if hops == _MAX_HOPS or not step:  # the bound, or the top: nothing above
            break
        step = [(lab, k) for node in step for lab, k, _ in m.ties_out("PART_OF", *node)]
    return found


def place_units(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    key = params["place"]
    rows = []
    for label, least in (("Grid", 1), ("Unit", 0)):
        x = m.node(label, key)
        if x is None:
            continue
        paths: list[tuple[str | None, int | None]] = [*_paths_to_units(m, label, key, least)]
        for code, hops in paths or [(None, None)]:
            u = m.nodes["Unit"].get(code, NULLS) if code is not None else NULLS
            rows.append(
                {
                    "label": label,
                    "name": x.get("name"),
                    "unit": u.get("code"),
                    "unit_name": u.get("name"),
                    "level": u.get("level"),
                    "hops": hops,
                }
            )
    return rows


def domain(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    dm = m.node("Domain", params["code"])
    return [] if dm is None else [{"code": dm["code"], "name": dm.get("name")}]


def referral_item(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    item, category, item_class = params["item"], params["category"], params["item_class"]
    if not all(v is None or isinstance(v, str) for v in (item, category, item_class)):
        return None  # left to Cypher and its comparison of other types
    items = m.list_items()
    keys = set(items.by_class_domain.get((item_class, category), ()))
    if item in m.nodes["ListItem"]:
        keys.add(item)
    return [row for key in sorted(keys, key=items.position.__getitem__) for row in m.item_rows(key)]


def _item_rows(m: ReadModel, key: str) -> list[Row]:
    """referral_item's rows of the list item `key`: one per domain and responsible department."""
    li = m.nodes["ListItem"][key]
    domains = [dm for dm, _ in m.outgoing("HAS_EXPERTISE", "ListItem", key, "Domain")] or [NULLS]
    responsible = [
        (d, rf, u)
        for d, rf in m.incoming("RESPONSIBLE_FOR", "ListItem", key, "Department")
        for u, _ in m.outgoing("LOCATED_IN", "Department", d["id"], "Unit")
    ] or [(NULLS, NULLS, NULLS)]
    return [
        {
            "item": key,
            "item_name": li.get("name"),
            "item_class": li.get("item_class"),
            "item_limit": li.get("time_limit_days"),
            "domain": dm.get("code"),
            "domain_name": dm.get("name"),
            "department": d.get("id"),
            "department_name": d.get("name"),
            "function": d.get("function"),
            "limit": rf.get("time_limit_days"),
            "department_unit": u.get("code"),
        }
        for dm, (d, rf, u) in product(domains, responsible)
    ]


def professional_grids(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    orgs = listed(params, "orgs")
    if orgs is None:
        return None
    return [
        {
            "org": o["id"],
            "org_name": o.get("name"),
            "grid": g["id"],
            "grid_name": g.get("name"),
            "field": g.get("field"),
        }
        for key in orgs
        if (o := m.node("Organisation", key)) is not None
        for g, _ in m.incoming("SUPERVISES", "Organisation", key, "Grid")
    ]


def pool_places(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    return [
        {"pool": pool["id"], "unit": u.get("code")}
        for pool in m.nodes["ExpertPool"].values()
        for u, _ in _or_none(m.outgoing("LOCATED_IN", "ExpertPool", pool["id"], "Unit"))
    ]


def expert_candidates(m: ReadModel, params: Mapping[str, Any]) -> list[Row] | None:
    wanted = listed(params, "domains")
    if wanted is None:
        return None
    return [
        row for dm in m.nodes["Domain"].values() if dm["code"] in wanted for row in m.pooled(dm)[0]
    ]


def _pooled(m: ReadModel, dm: Props) -> tuple[list[Row], frozenset[str]]:
    """expert_candidates' rows of the domain `dm`, and the keys of their experts."""
    rows = []
    for e, _ in m.incoming("HAS_EXPERTISE", "Domain", dm["code"], "Person"):
        for pool, tie in m.outgoing("IN_POOL", "Person", e["id"], "ExpertPool"):
            for v, _ in _or_none(m.outgoing("LIVES_IN", "Person", e["id"], "Unit")):
                rows.append(
                    {
                        "domain": dm["code"],
                        "domain_name": dm.get("name"),
                        "expert": e["id"],
                        "name": e.get("name"),
                        "mobile": e.get("mobile"),
                        "profession": e.get("profession"),
                        "pool": pool["id"],
                        "pool_name": pool.get("name"),
                        "shared": pool.get("shared"),
                        "since": tie.get("valid_from"),
                        "until": tie.get("valid_to"),
                        "home": v.get("code"),
                    }
                )
    return rows, frozenset(row["expert"] for row in rows)


Answer = Callable[[ReadModel, Mapping[str, Any]], "list[Row] | None"]

# The named queries the model answers. Each reads only what the model holds (a test checks
# it against `graph.labels.read_by` of the query's text).
ANSWERS: dict[str, Answer] = {
    "grid_step": grid_step,
    "unit_step": unit_step,
    "place": place,
    "place_units": place_units,
    "grid_teams": grid_teams,
    "grid_party_orgs": grid_party_orgs,
    "liaison_bodies": liaison_bodies,
    "ladder_unit_bodies": ladder_unit_bodies,
    "ladder_stationed_departments": ladder_stationed_departments,
    "referral_unit_bodies": referral_unit_bodies,
    "referral_item": referral_item,
    "domain": domain,
    "pool_places": pool_places,
    "professional_grids": professional_grids,
    "expert_candidates": expert_candidates,
}


# -- where the model lives: one per backend, from `attach` on ------------------------------

_models: weakref.WeakKeyDictionary[Any, ReadModel] = weakref.WeakKeyDictionary()
_reading: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def attach(backend: Backend) -> ReadModel | None:
    """Read the model of `backend`'s graph and answer its named queries from it from now on;
    None (and nothing attached) for a backend without a version (Neo4j)."""
    if getattr(backend, "stamp", None) is None or getattr(backend, "version", None) is None:
        return None
    with _lock:
        reading = _reading.setdefault(backend, threading.Lock())
    with reading, _reading_whole():
        model = ReadModel(backend)
        _models[backend] = model
    return model


@contextlib.contextmanager
def _reading_whole() -> Iterator[None]:
    """While the model (or its cases) is read whole: no cyclic garbage collection, since it
    makes a few million objects and no cycle among them, and each full collection on the way
    walks every object made so far (ten of them took half the time of a read on the demo).
    Collection is as it was after (another thread's read may have turned it off first: that
    one turns it back on). After, what the reads freed is given back to the system
    (`give_back_memory`: 45 MiB of a city's), and what Arrow's own allocator (mimalloc) kept
    of the tables read, which it holds for the next (9 MiB of a city's, none in use)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        give_back_memory()
        pa.default_memory_pool().release_unused()


def model_of(backend: Backend) -> ReadModel | None:
    """The model attached to `backend`, as last read (None when none is attached)."""
    return _models.get(backend)


def answer(backend: Backend, query: NamedQuery, params: Mapping[str, Any]) -> list[Row] | None:
    """The rows of the named `query` with `params`, from `backend`'s model; None when it has
    none, does not answer this query, or cannot now (the caller then reads Cypher). A model
    that what the query reads has moved past is read again first, unless a write is under
    way or another question is reading it."""
    model = _models.get(backend)
    if model is None:
        return None
    handler = ANSWERS.get(query.name)
    if handler is not None:
        if not model.current(backend, query):
            model = _reread(backend)
            if model is None or not model.current(backend, query):
                return None
        return handler(model, params)
    case = CASE_ANSWERS.get(query.name)
    if case is None:
        return None
    mine, theirs = _parts(query)
    if not model.cases.current(backend, mine):
        if _reread(backend, cases_only=True) is None:
            return None
        model = _models[backend]
        if not model.cases.current(backend, mine):
            return None
    if theirs and not model.current(backend, query, theirs):
        model = _reread(backend)
        if model is None or not (
            model.current(backend, query, theirs) and model.cases.current(backend, mine)
        ):
            return None
    if query.name == "expert_load" and not current_handled(backend, model):
        return None
    return case(model, params, Own(backend.read, lambda: dispute_fields(backend)))


# -- places: where the GraphQL lists' `within` looks (api.graphql.context) ---------------------

PLACES = frozenset({"Unit", "Grid", "PART_OF"})
"""What `grids_within` reads."""
OCCURRED = frozenset({"OCCURRED_IN", "Grid"})
"""What `disputes_within` reads of the cases (a Dispute's own properties are not theirs)."""


def grids_within(backend: Backend, code: DivisionCode) -> frozenset[str] | None:
    """`graph.places.grids_within(backend.read, code)` from `backend`'s model; None when it
    has none, or none current (the caller then reads Cypher)."""
    model = _holding(backend, PLACES)
    return None if model is None else model.grids_within(code)


def grid_keys_within(backend: Backend, code: DivisionCode) -> list[str] | None:
    """`grids_within`, in ascending order."""
    model = _holding(backend, PLACES)
    return None if model is None else model.grids_in_order(code)


def disputes_within(backend: Backend, code: DivisionCode) -> list[str] | None:
    """The keys of the disputes that OCCURRED_IN a grid inside `code` (`grids_within`), each
    once and in ascending order, from `backend`'s model; None when it has none current."""
    model = _holding(backend, PLACES)
    if model is None:
        return None
    if not model.cases.current(backend, OCCURRED):
        if _reread(backend, cases_only=True) is None:
            return None
        model = _models[backend]
        if not (model.cases.current(backend, OCCURRED) and model.holds(backend, PLACES)):
            return None
    return model.disputes_within(code)


def units_above(backend: Backend, grids: Iterable[str]) -> dict[str, set[str]] | None:
    """The codes of the units each of `grids` reaches up 1 to DEEPEST PART_OF ties (through
    grids and units: the walk of api.graphql.within's `grid_within`), from `backend`'s model;
    None when it has none current. LadybugDB spends 60–100 ms on that walk in Cypher, even
    for one grid."""
    model = _holding(backend, PLACES)
    if model is None:
        return None
    part_of = model.out["PART_OF"]
    out: dict[str, set[str]] = {}
    for grid in grids:
        codes: set[str] = set()
        level = {("Grid", grid)}
        seen = set(level)
        for _ in range(DEEPEST):  # breadth first: each node at its least depth
            deeper = set()
            for node in level:
                for label, key, _props in part_of.of(*node):
                    if label == "Unit":
                        codes.add(key)
                    if (label, key) not in seen:
                        seen.add((label, key))
                        deeper.add((label, key))
            level = deeper
        out[grid] = codes
    return out


def held(backend: Backend, label: str) -> Mapping[str, Props] | None:
    """The nodes of `label` (one of NODES, with the properties `LISTED` at least) by key,
    from `backend`'s model; None when it has none current."""
    model = _holding(backend, frozenset({label}))
    return None if model is None else model.nodes[label]


def dispute_fields(backend: Backend) -> DisputeFields | None:
    """What the list of disputes filters and sorts on, of every dispute, from `backend`'s
    model, caught up first after writes (`DisputeFields.caught_up`, else read whole); None
    when it has none, or cannot now (a write under way, another question reading)."""
    model = _models.get(backend)
    if model is None:
        return None
    if model.disputes.current(backend):
        return model.disputes
    reading = _reading.get(backend)
    if reading is None or not reading.acquire(blocking=False):
        return None
    try:
        version = int(getattr(backend, "version", 1))
        if version % 2:
            return None  # a write under way (graph.embedded): read after it
        model = _models[backend]
        fields = model.disputes
        if not fields.current(backend):
            fields = fields.caught_up(backend, version) or DisputeFields.read(backend)
            model.disputes = fields
        return fields if fields.current(backend) else None
    finally:
        reading.release()


def _holding(backend: Backend, labels: frozenset[str]) -> ReadModel | None:
    """`backend`'s model if none of `labels` changed since it was read (read again first if
    one did, as `answer` does); None when it has none or cannot now."""
    model = _models.get(backend)
    if model is None:
        return None
    if not model.holds(backend, labels):
        model = _reread(backend)
        if model is None or not model.holds(backend, labels):
            return None
    return model


def _parts(query: NamedQuery) -> tuple[frozenset[str], frozenset[str]]:
    """What a query answered from the cases reads of them, and of the structure. A dispute's
    own properties are held apart, caught up by key (`Own`): the Dispute label is neither's."""
    read = read_by(query.text) - {"Dispute"}
    return read & CASES_HELD, read - CASES_HELD


def catch_up_cases(backend: Backend) -> bool:
    """`backend`'s model's cases read again (only they: `_reread`); False when it has no model,
    a write is under way or another question is reading it."""
    return _models.get(backend) is not None and _reread(backend, cases_only=True) is not None


def _reread(backend: Backend, *, cases_only: bool = False) -> ReadModel | None:
    """The model read again (with `cases_only`, only its cases: brought current by reading
    the disputes reported since where nothing else changed them, `Cases.reported`), or None
    when a write is under way or another question is reading it."""
    reading = _reading.get(backend)
    if reading is None or not reading.acquire(blocking=False):
        return None
    try:
        version = int(getattr(backend, "version", 1))
        if version % 2:
            return None  # a write under way (graph.embedded): read again after it
        old = _models.get(backend)
        if cases_only and old is not None:
            model = copy.copy(old)
            cases = old.cases.reported(backend, version)  # a report's few: nothing to give back
            if cases is None:
                with _reading_whole():
                    cases = Cases(backend)
            model.cases = cases
        elif old is not None and old.unchanged_until(backend, version):
            model = copy.copy(old)  # the same structure, current at `version`
            model.version = version
        else:
            with _reading_whole():
                model = ReadModel(backend)
        _models[backend] = model
        return model
    finally:
        reading.release()
