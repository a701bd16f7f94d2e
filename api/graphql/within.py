"""The `within` argument: a division code given to GraphQL, read by `graph.places`.

Where each kind of record lies is `graph.places`' rule; this module only turns a bad code into
the caller's error, naming the argument that carried it.
"""

from __future__ import annotations

from api.graphql.errors import UserError
from graph import places
from graph.places import DivisionCode, NotADivisionCode, start_within

__all__ = ["division_code", "division_prefix", "grid_within", "start_within", "within"]


def division_code(code: str, *, argument: str = "within") -> DivisionCode:
    """The code in `code` ('330421000000' or '330421'); a UserError naming `argument` if it
    is not one."""
    try:
        return DivisionCode.parse(code)
    except NotADivisionCode as exc:
        raise UserError(f"{argument}: {exc}", argument=argument) from None


def division_prefix(code: str, *, argument: str = "within") -> str:
    """The significant prefix of a division code: '330421000000' and '330421' give '330421'."""
    return division_code(code, argument=argument).prefix


# -- for one record at a time -------------------------------------------------------------------
# api/queue.py and api/acting.py test a dispute or grid against a prefix alone, without the
# grids inside it (`graph.places.grids_within`) as a parameter: for them the grid walk is a
# bounded variable-length path, deep enough for any real nesting (苏州 has four levels) and
# cheap for one grid. Lists and jurisdictions use the set of grids instead.


def grid_within(path: str, param: str = "within") -> str:
    """A condition: the grid at the end of `path` (e.g. "(n)") lies inside the prefix
    `$param`, through parent grids at any depth."""
    return (
        "EXISTS { MATCH "
        + path
        + "-[:PART_OF*1.."
        + str(places.DEEPEST)
        + "]->(u:Unit) WHERE u.code STARTS WITH $"
        + param
        + " }"
    )


def within(label: str, var: str = "n", param: str | None = None) -> str:
    """A condition: `var` of type `label` lies inside `$within` (with `$within_grids`, see
    `graph.places.within`); given `param`, inside the prefix `$param` alone, for a dispute or
    a grid (see `grid_within`)."""
    if param is None:
        return places.within(label, var)
    if label == "Grid":
        return grid_within("(" + var + ")", param)
    if label == "Dispute":
        return grid_within("(" + var + ")-[:OCCURRED_IN]->(:Grid)", param)
    raise ValueError(f"within a bare prefix: only a Grid or a Dispute, not a {label}")
