"""Schema statements derived from `graph.schema`: LadybugDB DDL and Neo4j constraints.

Labels and property names come from the schema declaration, never from user input; `ident`
still checks each one, so a typo in the schema cannot turn into Cypher.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from graph.schema import SCHEMA, NodeType, Property, RelType, Schema, Type

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Every relationship carries `rid`, a digest of its endpoints and identity properties, so that
# loading the same row twice finds the same relationship (see loaders.rows.relationship_id).
RID = "rid"


def ident(name: str) -> str:
    if not _IDENT.fullmatch(name):
        raise ValueError(f"{name!r} is not a valid identifier for a label or property")
    return name


def _columns(properties: tuple[Property, ...]) -> list[str]:
    return [ident(p.name) + " " + p.type.value for p in properties]


def node_table(node: NodeType) -> str:
    columns = _columns(node.properties)
    columns.append("PRIMARY KEY (" + ident(node.key) + ")")
    return "CREATE NODE TABLE IF NOT EXISTS " + ident(node.label) + "(" + ", ".join(columns) + ")"


def rel_table(rel: RelType) -> str:
    pairs = ["FROM " + ident(a) + " TO " + ident(b) for a, b in rel.endpoints]
    columns = [*pairs, RID + " STRING", *_columns(rel.properties)]
    return "CREATE REL TABLE IF NOT EXISTS " + ident(rel.type) + "(" + ", ".join(columns) + ")"


# Columns an older govgraph declared and this one no longer writes, by table: a COPY without a
# column its table holds fails, so bringing a store up to the schema drops them. Each is one
# whose values the table holds otherwise: Assertion's `fact` is the first part of its `id`.
RETIRED: Mapping[str, tuple[str, ...]] = {"Assertion": ("fact",)}


def embedded_ddl(schema: Schema = SCHEMA) -> list[str]:
    """LadybugDB statements: node tables first, since relationship tables name them."""
    return [node_table(n) for n in schema.stored_nodes] + [rel_table(r) for r in schema.stored_rels]


@dataclass(frozen=True)
class StoredTable:
    """A table as the store holds it: its columns' types by name and, for a relationship
    table, the (from, to) pairs of labels it joins."""

    columns: Mapping[str, str]
    pairs: frozenset[tuple[str, str]] = field(default_factory=frozenset)


@dataclass(frozen=True)
class SchemaGaps:
    """What a store lacks of the schema: the statements that add it without touching what it
    holds (`missing`: tables, columns and relationship ends, with the `statements` adding
    them, and dropping `RETIRED` columns), and what no addition can mend (`conflicts`: a
    column of another type, a table of the other kind)."""

    missing: tuple[str, ...] = ()
    statements: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.missing or self.conflicts)


def embedded_gaps(stored: Mapping[str, StoredTable], schema: Schema = SCHEMA) -> SchemaGaps:
    """Compare the store's tables (`stored`, by name) with `schema`. A store made by an older
    govgraph lacks what was declared since: LadybugDB adds a column (null in every row) or a
    relationship table's pair of ends to a table that holds data, so an upgrade loses nothing.
    A table of the schema the store lacks is created whole (`embedded_ddl`'s statement). A
    `RETIRED` column it still holds is dropped by a statement of its own, no gap (what it held
    is held otherwise, and reads do not miss it)."""
    missing: list[str] = []
    statements: list[str] = []
    conflicts: list[str] = []
    wanted: list[tuple[str, tuple[Property, ...], str]] = [
        (n.label, n.properties, node_table(n)) for n in schema.stored_nodes
    ]
    wanted += [(r.type, _with_rid(r.properties), rel_table(r)) for r in schema.stored_rels]
    kinds = {n.label: "node" for n in schema.stored_nodes} | {
        r.type: "relationship" for r in schema.stored_rels
    }
    for name, properties, create in wanted:
        table = stored.get(name)
        if table is None:
            missing.append(f"the {kinds[name]} table {name}")
            statements.append(create)
            continue
        if (kinds[name] == "relationship") != bool(table.pairs):
            conflicts.append(f"{name} is not a {kinds[name]} table in the store")
            continue
        for p in properties:
            held = table.columns.get(p.name)
            if held is None:
                missing.append(f"{name}.{p.name}")
                statements.append(
                    "ALTER TABLE " + ident(name) + " ADD " + ident(p.name) + " " + p.type.value
                )
            elif held != p.type.value:
                conflicts.append(f"{name}.{p.name} is {held} in the store, {p.type.value} here")
        for column in RETIRED.get(name, ()):
            if column in table.columns:  # no gap for a reader: only a COPY into it fails
                statements.append("ALTER TABLE " + ident(name) + " DROP " + ident(column))
    for r in schema.stored_rels:
        table = stored.get(r.type)
        if table is None or not table.pairs:
            continue
        for a, b in r.endpoints:
            if (a, b) not in table.pairs:
                missing.append(f"{r.type} from {a} to {b}")
                statements.append(
                    "ALTER TABLE " + ident(r.type) + " ADD FROM " + ident(a) + " TO " + ident(b)
                )
    return SchemaGaps(tuple(missing), tuple(statements), tuple(conflicts))


def _with_rid(properties: tuple[Property, ...]) -> tuple[Property, ...]:
    """A relationship table's columns: `RID`, then its properties (`rel_table`)."""
    return (Property(RID, Type.STRING), *properties)


def neo4j_ddl(schema: Schema = SCHEMA) -> list[str]:
    """Neo4j 5 constraints and indexes: a unique key per label, a unique `rid` per type."""
    statements = []
    for n in schema.stored_nodes:
        label, key = ident(n.label), ident(n.key)
        statements.append(
            "CREATE CONSTRAINT " + label.lower() + "_" + key + " IF NOT EXISTS "
            "FOR (n:" + label + ") REQUIRE n." + key + " IS UNIQUE"
        )
    for r in schema.stored_rels:
        type_ = ident(r.type)
        statements.append(
            "CREATE CONSTRAINT " + type_.lower() + "_rid IF NOT EXISTS "
            "FOR ()-[r:" + type_ + "]-() REQUIRE r." + RID + " IS UNIQUE"
        )
    for n in schema.nodes:
        for p in n.properties:
            if p.choices and p.name != n.key:
                label = ident(n.label)
                statements.append(
                    "CREATE INDEX " + label.lower() + "_" + ident(p.name) + " IF NOT EXISTS "
                    "FOR (n:" + label + ") ON (n." + p.name + ")"
                )
    return statements
