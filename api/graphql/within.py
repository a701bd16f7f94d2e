"""What lies inside a division code: the rule the `within` filters and mediators' jurisdictions
share.

A 12-digit statistical code names its place by its significant prefix: province 2 digits,
city 4, county 6, town 9, village 12 (330421000000, 嘉善县, is the prefix 330421). A place
lies inside a code when the unit it belongs to has a code starting with that prefix:

- a unit: its own code;
- a grid: the unit it is PART_OF, directly (a basic grid in its village) or through its
  parent grid (a micro-grid);
- a dispute: the grid it OCCURRED_IN;
- a person: the unit they LIVE_IN;
- a department, mediation body, party organisation or pool: the unit it is LOCATED_IN; an
  organisation: that unit, or the grid it is located in;
- a center: the unit of its JURISDICTION.

The walks are spelt out hop by hop: a variable-length `PART_OF*1..2` costs LadybugDB seconds
where these take milliseconds.
"""

from __future__ import annotations

from api.graphql.errors import UserError
from graph.schema import SCHEMA

_LENGTHS = (2, 4, 6, 9, 12)


def division_prefix(code: str, *, argument: str = "within") -> str:
    """The significant prefix of a division code: '330421000000' and '330421' give '330421'."""
    code = code.strip()
    if not (code.isascii() and code.isdigit() and len(code) in _LENGTHS):
        raise UserError(
            f"{argument}: {code!r} is not a division code; give its 12 digits "
            "(e.g. 330421000000 for 嘉善县) or its significant prefix (330421)",
            argument=argument,
        )
    for length in _LENGTHS:
        if set(code[length:]) <= {"0"}:
            return code[:length]
    raise AssertionError("unreachable: a 12-digit code is its own prefix")


def full_code(prefix: str) -> str:
    """The 12-digit code of a unit named by its prefix."""
    return prefix.ljust(12, "0")


def _unit(path: str, param: str) -> str:
    return "EXISTS { MATCH " + path + "->(u:Unit) WHERE u.code STARTS WITH $" + param + " }"


def grid_within(path: str, param: str = "within") -> str:
    """A condition: the grid at the end of `path` (e.g. "(n)" or "(d)-[:OCCURRED_IN]->(:Grid)")
    lies inside the prefix `$param`."""
    return (
        "("
        + _unit(path + "-[:PART_OF]", param)
        + " OR "
        + _unit(path + "-[:PART_OF]->(:Grid)-[:PART_OF]", param)
        + ")"
    )


def within(label: str, var: str = "n", param: str = "within") -> str:
    """A condition: the node `var` of type `label` lies inside the prefix `$param`."""
    node = "(" + var + ")"
    if label == "Unit":
        return var + ".code STARTS WITH $" + param
    if label == "Grid":
        return grid_within(node, param)
    if label == "Dispute":
        return grid_within(node + "-[:OCCURRED_IN]->(:Grid)", param)
    if label == "Person":
        return _unit(node + "-[:LIVES_IN]", param)
    if label == "Center":
        return _unit(node + "-[:JURISDICTION]", param)
    if label == "Organisation":
        located = _unit(node + "-[:LOCATED_IN]", param)
        return "(" + located + " OR " + grid_within(node + "-[:LOCATED_IN]->(:Grid)", param) + ")"
    if label in {a for a, b in SCHEMA.rel("LOCATED_IN").endpoints if b == "Unit"}:
        return _unit(node + "-[:LOCATED_IN]", param)
    raise ValueError(f"no rule says where a {label} lies")


def unit_paths(label: str, var: str = "n") -> tuple[str, ...]:
    """The walks from the node `var` of type `label` to the units it lies in, for the rules
    that look further than the first unit (a person's home and the grids they serve in; a
    dispute's grid): each ends before its last hop into the unit, as `_unit` takes them.
    Reading the units these reach and comparing their codes in Python costs LadybugDB a third
    of what an EXISTS test per row does."""
    node = "(" + var + ")"
    grid_paths = ("-[:PART_OF]", "-[:PART_OF]->(:Grid)-[:PART_OF]")
    if label == "Person":
        served = node + "-[:SERVES_IN]->(:Grid)"
        return (node + "-[:LIVES_IN]", *(served + p for p in grid_paths))
    if label == "Dispute":
        return tuple(node + "-[:OCCURRED_IN]->(:Grid)" + p for p in grid_paths)
    raise ValueError(f"no rule reads the units a {label} lies in")


def _one_hop(label: str) -> tuple[str, str] | None:
    """(relationship, "out") when `label` lies where one relationship to a Unit points."""
    if label == "Person":
        return "LIVES_IN", "out"
    if label == "Center":
        return "JURISDICTION", "out"
    if label in {a for a, b in SCHEMA.rel("LOCATED_IN").endpoints if b == "Unit"} - {
        "Organisation"
    }:
        return "LOCATED_IN", "out"
    return None


def start_within(label: str, param: str = "within") -> str | None:
    """A MATCH that binds `n` to the nodes of `label` inside `$param`, starting from the units
    (one row per tie: follow it with `WITH DISTINCT n`); None when `label` has no one-hop rule.

    Same answer as `within`, found from the other end: for a village it reads the village's
    residents (1 ms) where `within` tests every person in the graph (25 ms).
    """
    hop = _one_hop(label)
    if hop is None:
        return None
    return (
        "MATCH (u:Unit) WHERE u.code STARTS WITH $"
        + param
        + " MATCH (n:"
        + label
        + ")-[:"
        + hop[0]
        + "]->(u)"
    )
