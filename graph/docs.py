"""Writes docs/schema.md from the schema declaration: `python -m graph.docs > docs/schema.md`."""

from __future__ import annotations

import sys

from graph.schema import SCHEMA, Property, Schema


def _constraints(p: Property) -> str:
    parts = []
    if p.required:
        parts.append("required")
    if p.choices:
        named = {c: [n for n, choice in p.names if choice == c] for c in p.choices}
        parts.append(
            "one of " + ", ".join(f"`{c}` {' '.join(named[c])}".rstrip() for c in p.choices)
        )
    if p.check:
        parts.append(f"checked as {p.check.value}")
    if p.minimum is not None or p.maximum is not None:
        low = "" if p.minimum is None else str(p.minimum)
        high = "" if p.maximum is None else str(p.maximum)
        parts.append(f"range {low}..{high}")
    if p.type.value == "STRING" and not p.choices:
        parts.append(f"≤ {p.max_length} chars")
    return "; ".join(parts)


def _table(properties: tuple[Property, ...]) -> list[str]:
    lines = ["| property | type | rules | personal data | meaning |", "|---|---|---|---|---|"]
    for p in properties:
        mask = f"masked as {p.mask.value}" if p.mask else ""
        lines.append(
            f"| `{p.name}` | {p.type.value} | {_constraints(p)} | {mask} | {p.description} |"
        )
    return lines


def render(schema: Schema = SCHEMA) -> str:
    out = [
        "# The graph schema",
        "",
        "Generated from `graph/schema.py` by `make docs`; a test fails when this page is stale.",
        "",
        "Each node type is loaded from files named `<anything>.<file>.csv` (or `.xlsx`, "
        "`.jsonl`), one column per property. Each relationship type is loaded from files with "
        "columns `from` and `to` (the endpoint keys), `from_type` and `to_type` (the endpoint "
        "labels, needed when the type joins more than one label on that side), and its "
        "properties. Every relationship also stores `rid`, its identity (a digest of its "
        "type, endpoints and identity properties), which makes reloading idempotent. A property "
        "with a closed set of values lists each value with the Chinese names the loaders take "
        "in its place (`head` 网格长: a file may say either).",
        "",
        "## Node types",
        "",
    ]
    for n in schema.nodes:
        out += [f"### {n.label}", "", n.description, "", f"File: `{n.file}`; key: `{n.key}`.", ""]
        out += [*_table(n.properties), ""]
    out += ["## Relationship types", ""]
    for r in schema.rels:
        pairs = ", ".join(f"{a} → {b}" for a, b in r.endpoints)
        identity = ", ".join(f"`{i}`" for i in r.identity) or "none"
        out += [
            f"### {r.type}",
            "",
            r.description,
            "",
            f"File: `{r.file}`; joins {pairs}; identity properties beside the endpoints: "
            f"{identity}.",
            "",
            *_table(r.properties),
            "",
        ]
    out += [
        "## The workflow's log",
        "",
        "Written by the `workflow` package only, one record per action, never updated or "
        "deleted (docs/workflow.md); no file is loaded into these types.",
        "",
    ]
    for n in schema.log_nodes:
        out += [f"### {n.label}", "", n.description, "", f"Key: `{n.key}`.", ""]
        out += [*_table(n.properties), ""]
    for r in schema.log_rels:
        pairs = ", ".join(f"{a} → {b}" for a, b in r.endpoints)
        out += [f"### {r.type}", "", r.description, "", f"Joins {pairs}.", ""]
        out += [*_table(r.properties), ""]
    out += [
        "## Provenance",
        "",
        'Written by the loaders beside what they load (docs/loading.md, "Provenance"): '
        "each file a load read, and each source's assertion of each record and relationship, "
        "first and last seen; no file is loaded into these types.",
        "",
    ]
    for n in schema.provenance:
        out += [f"### {n.label}", "", n.description, "", f"Key: `{n.key}`.", ""]
        out += [*_table(n.properties), ""]
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(render())
