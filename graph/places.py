"""Places: what a division code names, and where each kind of record lies.

A 12-digit statistical code (统计用区划代码) names its unit by its significant prefix:
province 2 digits, city 4, county 6, town 9, village 12 (330421000000, 嘉善县, is 330421).
A record lies inside a code when a unit it belongs to has a code starting with that prefix.
How each kind of record belongs to a unit is the table `PLACED_BY`, the one rule that the
GraphQL `within` filters, mediators' jurisdictions, exports and the ladder share:

- a unit: its own code;
- a grid: the unit it is PART_OF, directly or through parent grids at any depth (苏州 nests
  grids four levels deep; a micro-grid may reach its village only through its grid);
- a dispute: the grid it OCCURRED_IN;
- a person: the unit they LIVE_IN (and, for a mediator's jurisdiction, the grids they SERVE_IN:
  `JURISDICTION_BY`);
- a center: the unit of its JURISDICTION;
- an organisation: the unit or the grid it is LOCATED_IN;
- a department, mediation body, party organisation or pool: the unit it is LOCATED_IN.

Grids at any depth: the grids inside a code are found from the top, one PART_OF level at a
time (`grids_within`: a query per level of nesting, whatever the depth), and the rules about
grids test membership of that set (`$within_grids`). A variable-length `PART_OF*` per record
costs LadybugDB seconds where this takes milliseconds, and a fixed number of hops misses the
grids below it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graph.ddl import ident
from graph.schema import SCHEMA

LEVELS = {"province": 2, "city": 4, "county": 6, "town": 9, "village": 12}
"""Significant digits of a code at each level; the rest of the 12 digits are zeros."""


class NotADivisionCode(ValueError):
    """Text that is not a division code or its significant prefix."""


@dataclass(frozen=True, order=True)
class DivisionCode:
    """A unit's division code, held as its significant prefix ('330421' for 嘉善县)."""

    prefix: str

    @classmethod
    def parse(cls, text: str) -> DivisionCode:
        """The code in `text`: 12 digits ('330421000000') or a significant prefix of 2, 4, 6,
        9 or 12 digits ('330421'); spaces are ignored. Raises NotADivisionCode."""
        digits = "".join(text.split())
        if not (digits.isascii() and digits.isdigit() and len(digits) in LEVELS.values()):
            raise NotADivisionCode(
                f"{text!r} is not a division code; give its 12 digits (e.g. 330421000000 for "
                "嘉善县) or its significant prefix (330421)"
            )
        for length in LEVELS.values():
            if set(digits[length:]) <= {"0"}:
                return cls(digits[:length])
        raise AssertionError("unreachable: a 12-digit code is its own prefix")

    @property
    def full(self) -> str:
        """The 12-digit code: '330421000000'."""
        return self.prefix.ljust(12, "0")

    @property
    def level(self) -> str:
        """province, city, county, town or village, by the number of significant digits."""
        return next(name for name, n in LEVELS.items() if n == len(self.prefix))

    def contains(self, code: str) -> bool:
        """Whether the unit with 12-digit `code` lies inside this one (or is it)."""
        return code.startswith(self.prefix)

    def ancestor(self, level: str) -> DivisionCode:
        """The code of the unit of `level` this one lies in ('330421' for 330421100201's
        county); a code above `level` is its own."""
        return DivisionCode(self.prefix[: LEVELS[level]])

    def __str__(self) -> str:
        return self.full


# -- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tie:
    """A relationship from a record out to a Unit or a Grid that places the record there."""

    rel: str
    to: str  # "Unit" or "Grid"


def _located_in_a_unit() -> set[str]:
    return {a for a, b in SCHEMA.rel("LOCATED_IN").endpoints if b == "Unit"}


PLACED_BY: dict[str, tuple[Tie, ...]] = {
    "Unit": (),  # itself
    "Grid": (),  # itself: one of `grids_within`
    "Dispute": (Tie("OCCURRED_IN", "Grid"),),
    "Person": (Tie("LIVES_IN", "Unit"),),
    "Center": (Tie("JURISDICTION", "Unit"),),
    "Organisation": (Tie("LOCATED_IN", "Unit"), Tie("LOCATED_IN", "Grid")),
    **{
        label: (Tie("LOCATED_IN", "Unit"),)
        for label in sorted(_located_in_a_unit() - {"Organisation"})
    },
}
"""How a record of each type lies in a place: the ties out of it to units and grids."""

JURISDICTION_BY: dict[str, tuple[Tie, ...]] = {
    "Person": (*PLACED_BY["Person"], Tie("SERVES_IN", "Grid")),
    "Dispute": PLACED_BY["Dispute"],
}
"""The records a mediator's jurisdiction reaches, and how: a person also by the grids they
serve in (any tie, past or present), so a grid member living elsewhere is theirs."""


def placed_by(label: str) -> tuple[Tie, ...]:
    try:
        return PLACED_BY[label]
    except KeyError:
        raise ValueError(f"no rule says where a {label} lies") from None


# -- grids at any depth ------------------------------------------------------------------------

GRIDS_IN_UNITS = (
    "MATCH (u:Unit)<-[:PART_OF]-(g:Grid) WHERE u.code STARTS WITH $prefix RETURN g.id AS id"
)
# A batch of keys joined to a relationship: `UNWIND $keys AS k MATCH (n {key: k})-[r]-…` makes
# LadybugDB scan the relationship's whole table (tens to hundreds of ms); matched first and
# followed by an OPTIONAL MATCH it walks from each node (a few ms). A node without the tie then
# gives one row of nulls, which the callers skip.
GRIDS_IN_GRIDS = (
    "UNWIND $grids AS k MATCH (a:Grid {id: k}) OPTIONAL MATCH (a)<-[:PART_OF]-(g:Grid) "
    "RETURN g.id AS id"
)
GRIDS_UP = (
    "UNWIND $grids AS k MATCH (g:Grid {id: k}) OPTIONAL MATCH (g)-[:PART_OF]->(p) "
    "RETURN k AS grid, p.id AS grid_above, p.code AS unit"
)

Read = Callable[[str, Mapping[str, Any]], list[dict[str, Any]]]


def county_unit(units: Iterable[tuple[str | None, str | None]]) -> str | None:
    """Of a place's units, as (code, level) nearest first, its county's code: a city with no
    counties (东莞, 中山) holds its towns itself and stands for their county."""
    first: dict[str | None, str | None] = {}
    for code, level in units:
        first.setdefault(level, code)
    return first.get("county") or first.get("city")


def grids_within(read: Read, code: DivisionCode) -> frozenset[str]:
    """The ids of the grids inside `code`: PART_OF a unit inside it, or PART_OF such a grid,
    at any depth. One query per level of nesting; a cycle of grids ends the walk."""
    return grids_down(
        (r["id"] for r in read(GRIDS_IN_UNITS, {"prefix": code.prefix})),
        lambda level: (r["id"] for r in read(GRIDS_IN_GRIDS, {"grids": level}) if r["id"]),
    )


def grids_down(first: Iterable[str], below: Callable[[list[str]], Iterable[str]]) -> frozenset[str]:
    """`first` and every grid PART_OF one of them at any depth, walked a level at a time:
    `below` gives the grids PART_OF a level's grids (by Cypher, or from the read model)."""
    found = set(first)
    level = sorted(found)
    while level:
        deeper = set(below(level)) - found
        found |= deeper
        level = sorted(deeper)
    return frozenset(found)


Ups = Callable[[list[str]], Iterable[tuple[str, str | None, str | None]]]
"""What each of some grids is PART_OF: (grid, the grid above or None, the unit's code or
None), as GRIDS_UP's rows."""


def units_of(read: Read, grids: Iterable[str]) -> dict[str, str]:
    """The code of the unit each of `grids` lies in (`units_up`), read level by level."""

    def ups(todo: list[str]) -> Iterator[tuple[str, str | None, str | None]]:
        for r in read(GRIDS_UP, {"grids": todo}):
            yield r["grid"], r["grid_above"], r["unit"]

    return units_up(ups, grids)


def units_up(ups: Ups, grids: Iterable[str]) -> dict[str, str]:
    """The code of the unit each of `grids` lies in: PART_OF it directly or through its parent
    grids, at any depth (of two, the least code). Walked up a level at a time (`ups`); a grid
    with no way up to a unit (a parent missing, or a cycle) has none."""
    start = sorted(set(grids))
    unit: dict[str, str] = {}
    parents: dict[str, set[str]] = {}
    todo, seen = start, set(start)
    while todo:
        nxt: set[str] = set()
        for grid, above, code in ups(todo):
            if code is not None:
                unit[grid] = min(unit.get(grid, code), code)
            elif above is not None:
                parents.setdefault(grid, set()).add(above)
                if above not in seen:
                    nxt.add(above)
        seen |= nxt
        todo = sorted(nxt)
    changed = True
    while changed:  # a grid lies in the unit its parent grid lies in
        changed = False
        for grid, aboves in parents.items():
            found = [unit[a] for a in aboves if a in unit]
            if grid not in unit and found:
                unit[grid] = min(found)
                changed = True
    return {g: unit[g] for g in start if g in unit}


def grids_without_unit(read: Read, grids: Iterable[str]) -> list[str]:
    """Those of `grids` with no way up to a unit: PART_OF no unit, directly or through their
    parent grids (a parent missing or a cycle)."""
    asked = set(grids)
    return sorted(asked - units_of(read, asked).keys())


# -- the rule as Cypher --------------------------------------------------------------------------
# Every condition reads two parameters: `$within`, the code's prefix, and `$within_grids`, the
# grids inside it (`grids_within`). `params` gives both.


def params(code: DivisionCode, grids: Iterable[str]) -> dict[str, Any]:
    return {"within": code.prefix, "within_grids": sorted(grids)}


def _tie_condition(var: str, tie: Tie) -> str:
    where = "x.code STARTS WITH $within" if tie.to == "Unit" else "x.id IN $within_grids"
    return (
        "EXISTS { MATCH (" + var + ")-[:" + tie.rel + "]->(x:" + tie.to + ") WHERE " + where + " }"
    )


def within(label: str, var: str = "n") -> str:
    """A condition: the node `var` of type `label` lies inside `$within`."""
    if label == "Unit":
        return var + ".code STARTS WITH $within"
    if label == "Grid":
        return var + ".id IN $within_grids"
    ties = placed_by(label)
    return "(" + " OR ".join(_tie_condition(var, t) for t in ties) + ")"


def start_within(label: str) -> str | None:
    """A MATCH that binds `n` to the nodes of `label` inside `$within`, starting from the units
    or grids inside it (one row per tie: follow it with `WITH DISTINCT n`); None when `label`
    lies by more than one tie.

    Same answer as `within`, found from the other end: for a village it reads the village's
    residents (1 ms) where `within` tests every person in the graph (25 ms).
    """
    if label == "Grid":
        return "UNWIND $within_grids AS k MATCH (n:Grid {id: k})"
    ties = placed_by(label)
    if len(ties) != 1:
        return None
    (tie,) = ties
    if tie.to == "Grid":
        return (
            "UNWIND $within_grids AS k MATCH (n:" + label + ")-[:" + tie.rel + "]->(:Grid {id: k})"
        )
    return (
        "MATCH (u:Unit) WHERE u.code STARTS WITH $within MATCH (n:"
        + label
        + ")-[:"
        + tie.rel
        + "]->(u)"
    )


def keys_within_query(label: str) -> str | None:
    """Cypher for the key of every record of `label` inside `$within` with the code of every
    unit it lies in, inside `$within` or not, when `label` lies by one tie to a unit (a
    person: LIVES_IN, their homes); else None. One row of two aligned lists, `keys` and
    `units`: a key with each unit it lies in, once per tie of it into `$within`. LadybugDB
    hands back a town's 7,564 residents' keys alone so in 4.3 ms of CPU (as rows in 20), and
    with every home of theirs in 8.6 (with `WITH DISTINCT n` before the homes, 32)."""
    ties = placed_by(label)
    if len(ties) != 1 or ties[0].to != "Unit":
        return None
    start = start_within(label)
    assert start is not None
    key, unit = ident(SCHEMA.node(label).key), ident(SCHEMA.node("Unit").key)
    return (
        start + " MATCH (n)-[:" + ident(ties[0].rel) + "]->(v:Unit) "
        "RETURN collect(n." + key + ") AS keys, collect(v." + unit + ") AS units"
    )  # fmt: skip


DEEPEST = 30
"""PART_OF steps walked up from one grid to its unit: deeper than any real nesting (苏州 has
four levels), and LadybugDB's own bound for a variable-length walk."""


def places_query(label: str, ties: tuple[Tie, ...]) -> str:
    """Rows of key and one column per tie (`t0`, `t1`…: the code of a unit it reaches) for
    each of `$keys`, records of type `label`; judged by `lies_inside`. From a grid the walk
    goes up PART_OF at any depth: cheap from a page of bound records, where the same walk as
    a filter over every record is not (hence `grids_within` for lists)."""
    node = SCHEMA.node(label)
    up = "(:Grid)-[:PART_OF*1.." + str(DEEPEST) + "]->"  # a constant: the walk's bound
    walks = " ".join(
        "OPTIONAL MATCH (n)-[:" + ident(t.rel) + "]->" + ("" if t.to == "Unit" else up)
        + "(t" + str(i) + ":Unit)"
        for i, t in enumerate(ties)
    )  # fmt: skip
    columns = ", ".join("t" + str(i) + ".code AS t" + str(i) for i in range(len(ties)))
    return (
        "UNWIND $keys AS k MATCH (n:" + ident(node.label) + " {" + ident(node.key) + ": k}) "
        + walks + " RETURN k AS key, " + columns
    )  # fmt: skip


def lies_inside(rows: Iterable[Mapping[str, Any]], code: DivisionCode) -> bool:
    """Whether a record lies inside `code`, from its rows of `places_query`."""
    return any(
        isinstance(value, str) and code.contains(value)
        for row in rows
        for column, value in row.items()
        if column != "key"
    )
