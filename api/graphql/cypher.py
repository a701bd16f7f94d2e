"""The Cypher the API runs, derived from `graph/schema.py`.

Labels, relationship types and property names come from the schema declaration (each one
checked by `graph.ddl.ident`); every value is a `$parameter`. Nodes and relationships are
returned as maps of their declared properties (`{id: n.id, name: n.name, …}`), which both
Properties come back as flat columns named with a prefix (`n.name AS n_name`, relationship
properties as `t_…`), which `take` gathers into a dict: LadybugDB builds flat columns faster
than maps. Batches of keys are looked up with `UNWIND $keys AS k MATCH (n:Label {key: k})`,
which uses the primary-key index; `WHERE n.id IN $keys` scans the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from graph.backend import Row
from graph.ddl import ident
from graph.schema import SCHEMA, Property
from graph.temporal import holds_on

NODE = "n_"
TIE = "t_"


def _columns(var: str, properties: tuple[Property, ...], prefix: str) -> str:
    return ", ".join(
        var + "." + ident(p.name) + " AS " + prefix + ident(p.name) for p in properties
    )


def node_columns(var: str, label: str, prefix: str = NODE) -> str:
    """`u.code AS n_code, u.name AS n_name, …`: every property `label` declares."""
    return _columns(var, SCHEMA.node(label).properties, prefix)


def rel_columns(var: str, rel_type: str, prefix: str = TIE) -> str:
    """Every property `rel_type` declares, as columns."""
    return _columns(var, SCHEMA.rel(rel_type).properties, prefix)


def take(row: Row, prefix: str = NODE) -> Row:
    """The columns of `row` named with `prefix`, as a dict without the prefix."""
    return {name: row[column] for column, name in _named(tuple(row), prefix)}


@lru_cache(maxsize=256)
def _named(columns: tuple[str, ...], prefix: str) -> tuple[tuple[str, str], ...]:
    """The (column, name) pairs `take` keeps of rows with `columns`: worked out once per
    query's columns, not per row (a page of 50 grids with their teams takes ~500 rows)."""
    return tuple((c, c[len(prefix) :]) for c in columns if c.startswith(prefix))


def _match_key(var: str, label: str, value: str = "k") -> str:
    node = SCHEMA.node(label)
    return "(" + var + ":" + ident(node.label) + " {" + ident(node.key) + ": " + value + "})"


def nodes_by_key(label: str) -> str:
    """Rows of key and node columns for the nodes of `label` whose keys are in `$keys`."""
    match = "UNWIND $keys AS k MATCH " + _match_key("n", label)
    return match + " RETURN k AS key, " + node_columns("n", label)


TEMPORAL_CONDITION = holds_on("r", "$as_of")


@dataclass(frozen=True)
class Tie:
    """A hop from a node of type `source` along `rel` to nodes of type `target`.

    `outgoing` says which way the relationship points: a grid's team is the people with a
    SERVES_IN tie *to* the grid, `Tie("Grid", "SERVES_IN", "Person", outgoing=False)`.
    """

    source: str
    rel: str
    target: str
    outgoing: bool = True

    def __post_init__(self) -> None:
        pairs = SCHEMA.rel(self.rel).endpoints
        pair = (self.source, self.target) if self.outgoing else (self.target, self.source)
        if pair not in pairs:
            raise ValueError(f"{self.rel} does not join {pair[0]} to {pair[1]}")

    @property
    def temporal(self) -> bool:
        names = {p.name for p in SCHEMA.rel(self.rel).properties}
        return {"valid_from", "valid_to"} <= names

    def query(self, *, as_of: bool = False) -> str:
        """Rows of key, tie columns (the relationship's properties) and node columns (the far
        end) for every source key in `$keys`; with `as_of`, only ties that hold on `$as_of`.
        A source without ties gives one row of nulls. Unordered: the caller sorts.

        The OPTIONAL MATCH is for speed: LadybugDB then walks from each source node (2 ms for
        50 grids' teams) where a plain MATCH after UNWIND joins whole tables (30 ms)."""
        return (
            "UNWIND $keys AS k MATCH "
            + _match_key("a", self.source)
            + " OPTIONAL MATCH (a)"
            + self._walk(as_of)
            + " RETURN k AS key, "
            + self._columns()
        )

    def query_one(self, *, as_of: bool = False) -> str:
        """`query` for the one source key `$key`: the rows of its ties, and none for a source
        without ties (or no such source), where `query` gives a row of nulls.

        For a batch of one key (a person looked up by id): LadybugDB then finds the source
        by its index and walks from it, 0.10 ms of CPU for a person's posts, where `query`'s
        hash joins cost 0.55 however few the keys (docs/benchmarks.md, stop 36)."""
        return (
            "MATCH "
            + _match_key("a", self.source, "$key")
            + self._walk(as_of)
            + " RETURN a."
            + ident(SCHEMA.node(self.source).key)
            + " AS key, "
            + self._columns()
        )

    def _walk(self, as_of: bool) -> str:
        """`-[r]->(b:target)` from the source, with `as_of`'s condition."""
        rel = "-[r:" + ident(self.rel) + "]-"
        arrow = rel + ">" if self.outgoing else "<" + rel
        where = " WHERE " + TEMPORAL_CONDITION if as_of else ""
        return arrow + "(b:" + ident(self.target) + ")" + where

    def _columns(self) -> str:
        return ", ".join(filter(None, (rel_columns("r", self.rel), node_columns("b", self.target))))
