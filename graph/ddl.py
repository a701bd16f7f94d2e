"""Schema statements derived from `graph.schema`: LadybugDB DDL and Neo4j constraints.

Labels and property names come from the schema declaration, never from user input; `ident`
still checks each one, so a typo in the schema cannot turn into Cypher.
"""

from __future__ import annotations

import re

from graph.schema import SCHEMA, NodeType, Property, RelType, Schema

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


def embedded_ddl(schema: Schema = SCHEMA) -> list[str]:
    """LadybugDB statements: node tables first, since relationship tables name them."""
    return [node_table(n) for n in schema.stored_nodes] + [rel_table(r) for r in schema.stored_rels]


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
