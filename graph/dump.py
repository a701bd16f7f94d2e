"""The whole graph as plain data: every node and relationship with all its properties, sorted.

Two graphs are equal when their dumps are; tests compare a rerun, or a killed and resumed load,
with a clean one this way.
"""

from __future__ import annotations

from typing import Any

from graph.backend import Backend
from graph.ddl import RID, ident
from graph.schema import SCHEMA, Schema


def _sort_key(row: dict[str, Any]) -> str:
    return repr(sorted(row.items()))


def dump(backend: Backend, schema: Schema = SCHEMA) -> dict[str, list[dict[str, Any]]]:
    graph: dict[str, list[dict[str, Any]]] = {}
    for n in schema.nodes:
        columns = ", ".join("n." + ident(p.name) + " AS " + p.name for p in n.properties)
        rows = backend.read("MATCH (n:" + ident(n.label) + ") RETURN " + columns)
        graph[n.label] = sorted(rows, key=_sort_key)
    for r in schema.rels:
        rows = []
        for a, b in r.endpoints:
            a_key, b_key = schema.node(a).key, schema.node(b).key
            columns = ", ".join(
                [
                    "a." + ident(a_key) + " AS `from`",
                    "b." + ident(b_key) + " AS `to`",
                    "e." + RID + " AS " + RID,
                ]
                + ["e." + ident(p.name) + " AS " + p.name for p in r.properties]
            )
            found = backend.read(
                "MATCH (a:" + ident(a) + ")-[e:" + ident(r.type) + "]->(b:" + ident(b) + ") "
                "RETURN " + columns
            )
            rows += [{"from_type": a, "to_type": b, **row} for row in found]
        graph[r.type] = sorted(rows, key=_sort_key)
    return graph
