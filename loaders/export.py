"""Exporting the graph, or a part of it, with personal data shown as a privacy policy allows.

Three formats:

- `csv`: one file per type, exactly the loader's format (`export.<stem>.csv`; node files with
  one column per property, relationship files with `from,to,from_type,to_type` and the
  relationship's properties; `rid` is left out, the loader derives it). UTF-8 with a BOM, so
  that Excel shows the Chinese. Text that a spreadsheet would run as a formula is written
  behind an apostrophe (`_cell`). A raw export loaded into an empty store gives the same graph.
- `parquet`: one file per type (`export.<stem>.parquet`), the same columns, typed from the
  schema (dates as dates, counts as 64-bit integers).
- `graphml`: one file (`export.graphml`) for NetworkX, Gephi or igraph: nodes with id
  `Label:key`, a `label` attribute and their properties; edges with a `type` attribute and
  their properties; every attribute declared with its type (dates as ISO text).

A part of the graph is chosen by `types` (node labels, or their file stems; relationships are
exported when both their endpoint types are) and `within` (a division code: the nodes that lie
in that place and the relationships between them; see `members_within` for the rule).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree as ET

from graph.backend import Backend, Row
from graph.ddl import ident
from graph.places import PLACED_BY, DivisionCode, NotADivisionCode, grids_within
from graph.pseudonym import Privacy, View
from graph.schema import LOADED_LOGS, SCHEMA, NodeType, Property, RelType, Schema, Type

Format = Literal["csv", "parquet", "graphml"]
FORMATS: tuple[Format, ...] = ("csv", "parquet", "graphml")
PREFIX = "export"
ENDPOINT_COLUMNS = ("from", "to", "from_type", "to_type")


class ExportError(ValueError):
    """The export cannot be made as asked; the message says why."""


@dataclass
class ExportReport:
    format: str
    out_dir: Path
    view: View
    within: str | None = None
    files: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # label or relationship type -> rows

    def lines(self) -> list[str]:
        where = f" within {self.within}" if self.within else ""
        head = (
            f"exported {sum(self.rows.values())} rows{where} ({self.view.value}) to {self.out_dir}"
        )
        return [head] + [f"  {name}: {count}" for name, count in self.rows.items()]


# -- what lies within a division --------------------------------------------------------------


def _pairs(backend: Backend, rel: str, a: str, b: str, schema: Schema) -> list[tuple[Any, Any]]:
    a_key, b_key = ident(schema.node(a).key), ident(schema.node(b).key)
    rows = backend.read(
        "MATCH (a:" + ident(a) + ")-[:" + ident(rel) + "]->(b:" + ident(b) + ") "
        "RETURN a." + a_key + " AS `from`, b." + b_key + " AS `to`"
    )
    return [(r["from"], r["to"]) for r in rows]


def members_within(backend: Backend, code: str, schema: Schema = SCHEMA) -> dict[str, set[Any]]:
    """The keys of the nodes of each label that lie within the division `code`.

    Where a unit, grid (at any depth), dispute, center, organisation, department, mediation
    body, party organisation or pool lies is `graph.places.PLACED_BY`, the rule GraphQL's
    `within` and mediators' jurisdictions use. An export is a whole subgraph, so it also takes:

    - PartyOrg: one that COVERS a grid within, or is SUBORDINATE_TO a party organisation
      within (branches and groups built on grids have no unit of their own);
    - ListItem: a department within is RESPONSIBLE_FOR it, or a dispute within is
      CLASSIFIED_AS it;
    - Domain: always (the categories are one vocabulary for every place);
    - Person: LIVES_IN a unit within, or has a tie of their own to a node within of any
      label above but Domain — SERVES_IN its grids, WORKS_IN, HOLDS_POST, MEDIATES_IN, LEADS,
      MEMBER_OF or IN_POOL its bodies, PARTY_TO, REPORTED, HANDLED or RATED its disputes.
      RELATED_TO does not bring a person in (it would pull in relatives anywhere); the tie is
      exported when both people are in.

    Units above the code (the city, the province) are not within it, so the county's own
    PART_OF tie to its city is not exported.
    """
    try:
        place = DivisionCode.parse(code)
    except NotADivisionCode as exc:
        raise ExportError(f"within: {exc}") from None
    labels = {n.label for n in schema.nodes}
    inside: dict[str, set[Any]] = {label: set() for label in labels}
    units = backend.read(
        "MATCH (u:Unit) WHERE u.code STARTS WITH $prefix RETURN u.code AS k",
        {"prefix": place.prefix},
    )
    inside["Unit"] = {r["k"] for r in units}
    if not inside["Unit"]:
        raise ExportError(f"within: the graph holds no unit whose code starts with {place.prefix}")
    inside["Grid"] = set(grids_within(backend.read, place))

    def pairs(rel: str, a: str, b: str) -> list[tuple[Any, Any]]:
        if rel not in {r.type for r in schema.rels} or (a, b) not in schema.rel(rel).endpoints:
            return []
        return _pairs(backend, rel, a, b, schema)

    def tied(rel: str, a: str, b: str, to: set[Any]) -> set[Any]:
        return {x for x, y in pairs(rel, a, b) if y in to}

    def closure(found: set[Any], edges: list[tuple[Any, Any]]) -> set[Any]:
        """`found` and everything that reaches it along `edges` (child -> parent)."""
        children: dict[Any, list[Any]] = {}
        for child, parent in edges:
            children.setdefault(parent, []).append(child)
        todo = list(found)
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    for label, ties in PLACED_BY.items():
        if ties and label in labels:
            inside[label] = set().union(*(tied(t.rel, label, t.to, inside[t.to]) for t in ties))
    party = inside["PartyOrg"] | tied("COVERS", "PartyOrg", "Grid", inside["Grid"])
    inside["PartyOrg"] = closure(party, pairs("SUBORDINATE_TO", "PartyOrg", "PartyOrg"))
    inside["ListItem"] = {
        y
        for x, y in pairs("RESPONSIBLE_FOR", "Department", "ListItem")
        if x in inside["Department"]
    } | {y for x, y in pairs("CLASSIFIED_AS", "Dispute", "ListItem") if x in inside["Dispute"]}
    domains = backend.read(
        "MATCH (d:Domain) RETURN d." + ident(schema.node("Domain").key) + " AS k"
    )
    inside["Domain"] = {r["k"] for r in domains}
    people = set(inside["Person"])
    for rel in schema.rels:
        if rel.type == "LIVES_IN":
            continue
        for a, b in rel.endpoints:
            if a == "Person" and b not in ("Person", "Domain"):
                people |= tied(rel.type, a, b, inside[b])
    inside["Person"] = people
    return inside


# -- reading ----------------------------------------------------------------------------------


def _node_rows(backend: Backend, node: NodeType) -> list[Row]:
    columns = ", ".join("n." + ident(p.name) + " AS " + ident(p.name) for p in node.properties)
    rows = backend.read("MATCH (n:" + ident(node.label) + ") RETURN " + columns)
    return sorted(rows, key=lambda r: str(r[node.key]))


def _rel_rows(backend: Backend, rel: RelType, a: str, b: str, schema: Schema) -> list[Row]:
    a_key, b_key = ident(schema.node(a).key), ident(schema.node(b).key)
    columns = ", ".join(
        ["a." + a_key + " AS `from`", "b." + b_key + " AS `to`"]
        + ["e." + ident(p.name) + " AS " + ident(p.name) for p in rel.properties]
    )
    rows = backend.read(
        "MATCH (a:" + ident(a) + ")-[e:" + ident(rel.type) + "]->(b:" + ident(b) + ") "
        "RETURN " + columns
    )
    out = [{"from": r["from"], "to": r["to"], "from_type": a, "to_type": b} | r for r in rows]
    return sorted(out, key=lambda r: [str(r[k]) for k in r])


# -- formats ----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A value as the loader reads it back: empty for none, ISO dates, true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# A text a spreadsheet would run as a formula (OWASP's CSV-injection rule), or such a text
# already behind apostrophes, which must keep them all when read back.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def _cell(value: Any) -> str:
    """A value as a CSV cell: text that starts like a formula (`=HYPERLINK(…)`, `+86 138…`,
    `-1`, `@SUM`) behind an apostrophe, which Excel shows as text and does not run, and which
    the loader takes off again (`loaders.read`), so that the export still loads back equal.
    Numbers are written as they are: `-3` is a number to a spreadsheet, not a formula."""
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return _text(value)


def _write_csv(path: Path, columns: list[str], rows: Iterable[Row]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])


_ARROW = {
    Type.STRING: "string",
    Type.INT64: "int64",
    Type.DOUBLE: "float64",
    Type.BOOL: "bool_",
    Type.DATE: "date32",
}


def _write_parquet(path: Path, properties: list[tuple[str, Type]], rows: list[Row]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(name, getattr(pa, _ARROW[t])()) for name, t in properties])
    columns = {name: [r.get(name) for r in rows] for name, _ in properties}
    pq.write_table(pa.table(columns, schema=schema), path)


_GRAPHML_TYPES = {
    Type.STRING: "string",
    Type.INT64: "long",
    Type.DOUBLE: "double",
    Type.BOOL: "boolean",
    Type.DATE: "string",
}
# Characters XML 1.0 cannot hold; replaced so that every reader accepts the file.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _attributes(kinds: Iterable[NodeType | RelType]) -> dict[str, Type]:
    """Every property name of `kinds` with its GraphML type: text where two types disagree
    (a unit's `level` is a word, a grid's a number)."""
    found: dict[str, Type] = {}
    for kind in kinds:
        for p in kind.properties:
            found[p.name] = p.type if found.get(p.name, p.type) is p.type else Type.STRING
    return found


class _GraphML:
    NS = "http://graphml.graphdrawing.org/xmlns"

    def __init__(self, path: Path, nodes: list[NodeType], rels: list[RelType]) -> None:
        self.out = path.open("w", encoding="utf-8")
        self.node_attrs = {"label": Type.STRING} | _attributes(nodes)
        self.edge_attrs = {"type": Type.STRING} | _attributes(rels)
        self.edges = 0
        self.out.write("<?xml version='1.0' encoding='utf-8'?>\n")
        self.out.write(
            '<graphml xmlns="' + self.NS + '" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:schemaLocation="' + self.NS + " " + self.NS + '/1.0/graphml.xsd">\n'
        )
        for domain, attrs in (("node", self.node_attrs), ("edge", self.edge_attrs)):
            for name, type_ in attrs.items():
                key = ET.Element(
                    "key",
                    {
                        "id": domain[0] + "_" + name,
                        "for": domain,
                        "attr.name": name,
                        "attr.type": _GRAPHML_TYPES[type_],
                    },
                )
                self._put(key)
        self.out.write('<graph id="govgraph" edgedefault="directed">\n')

    def _put(self, element: ET.Element) -> None:
        self.out.write(ET.tostring(element, encoding="unicode") + "\n")

    def _data(self, element: ET.Element, prefix: str, attrs: Mapping[str, Type], row: Row) -> None:
        for name in attrs:
            value = row.get(name)
            if value is None:
                continue
            data = ET.SubElement(element, "data", {"key": prefix + name})
            data.text = _NOT_XML.sub("\ufffd", _text(value))

    def node(self, label: str, key: Any, row: Row) -> None:
        element = ET.Element("node", {"id": node_id(label, key)})
        self._data(element, "n_", self.node_attrs, row | {"label": label})
        self._put(element)

    def edge(self, type_: str, row: Row) -> None:
        element = ET.Element(
            "edge",
            {
                "id": "e" + str(self.edges),
                "source": node_id(row["from_type"], row["from"]),
                "target": node_id(row["to_type"], row["to"]),
            },
        )
        self.edges += 1
        props = {k: v for k, v in row.items() if k not in ENDPOINT_COLUMNS}
        self._data(element, "e_", self.edge_attrs, props | {"type": type_})
        self._put(element)

    def close(self) -> None:
        self.out.write("</graph>\n</graphml>\n")
        self.out.close()


def node_id(label: str, key: Any) -> str:
    """A node's id in GraphML: its label and key, since keys repeat across labels."""
    return _NOT_XML.sub("\ufffd", label + ":" + str(key))


# -- the export -------------------------------------------------------------------------------


def _selected(types: Iterable[str] | None, schema: Schema) -> list[NodeType]:
    if types is None:
        return list(schema.nodes)
    chosen = set(types)
    found = [n for n in schema.nodes if n.label in chosen or n.file in chosen]
    unknown = chosen - {n.label for n in found} - {n.file for n in found}
    if unknown:
        raise ExportError(
            f"types: {', '.join(sorted(unknown))} not a node type; "
            f"choose from {', '.join(n.label for n in schema.nodes)}"
        )
    return found


def _clear(out_dir: Path, prefix: str, suffix: str, schema: Schema, overwrite: bool) -> None:
    """Refuse to mix with an earlier export in the same folder, or remove its files."""
    names = [f"{prefix}.{stem}.{suffix}" for stem in schema.files] + [f"{prefix}.graphml"]
    earlier = [out_dir / n for n in names if (out_dir / n).exists()]
    if earlier and not overwrite:
        raise ExportError(
            f"{out_dir} already holds an export ({earlier[0].name}…); choose an empty folder "
            "or overwrite"
        )
    for path in earlier:
        path.unlink()


def export(
    backend: Backend,
    out_dir: Path | str,
    *,
    format: Format = "csv",
    within: str | None = None,
    types: Iterable[str] | None = None,
    privacy: Privacy,
    prefix: str = PREFIX,
    overwrite: bool = False,
    logs: bool = False,
    schema: Schema = SCHEMA,
) -> ExportReport:
    """Write the graph, or the part `within` and `types` choose, to `out_dir`.

    `privacy` decides how personal properties appear: `Privacy.raw()` for an exact copy (an
    admin's), `Privacy.masked()` or `Privacy.pseudonymised(key)` for researchers. Every type
    chosen gets a file, even when empty. `overwrite` replaces the files of an earlier export
    in the same folder (all of them, so no stale type is left behind); without it such a
    folder is refused. `logs` adds the disputes' logs the loaders read back (a backup's).
    """
    if format not in FORMATS:
        raise ExportError(f"format: {format!r}; one of {', '.join(FORMATS)}")
    if not re.fullmatch(r"[A-Za-z0-9_-]+", prefix):
        raise ExportError(f"prefix: {prefix!r}; use letters, digits, '-' and '_'")
    nodes = _selected(types, schema)
    every_rel = list(schema.rels)
    if logs:
        nodes += [n for n in schema.log_nodes if n.label in LOADED_LOGS]
        every_rel += [r for r in schema.log_rels if r.type in LOADED_LOGS]
    labels = {n.label for n in nodes}
    rels = [r for r in every_rel if any(a in labels and b in labels for a, b in r.endpoints)]
    members = members_within(backend, within, schema) if within is not None else None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "csv" if format == "csv" else "parquet"
    _clear(out, prefix, suffix, schema, overwrite)
    report = ExportReport(format, out, privacy.view, within)

    def node_rows(node: NodeType) -> Iterator[Row]:
        keep = members[node.label] if members is not None else None
        for row in _node_rows(backend, node):
            if keep is None or row[node.key] in keep:
                yield privacy.apply(node.label, row)

    def rel_rows(rel: RelType) -> Iterator[Row]:
        for a, b in rel.endpoints:
            if a not in labels or b not in labels:
                continue
            for row in _rel_rows(backend, rel, a, b, schema):
                if members is None or (row["from"] in members[a] and row["to"] in members[b]):
                    yield privacy.apply(rel.type, row)

    graphml = _GraphML(out / f"{prefix}.graphml", nodes, rels) if format == "graphml" else None
    try:
        for node in nodes:
            rows = list(node_rows(node))
            report.rows[node.label] = len(rows)
            if graphml is not None:
                for row in rows:
                    graphml.node(node.label, row[node.key], row)
                continue
            path = out / f"{prefix}.{node.file}.{suffix}"
            props = [p.name for p in node.properties]
            if format == "csv":
                _write_csv(path, props, rows)
            else:
                _write_parquet(path, _typed(node.properties), rows)
            report.files.append(path)
        for rel in rels:
            rows = list(rel_rows(rel))
            report.rows[rel.type] = len(rows)
            if graphml is not None:
                for row in rows:
                    graphml.edge(rel.type, row)
                continue
            path = out / f"{prefix}.{rel.file}.{suffix}"
            columns = [*ENDPOINT_COLUMNS, *(p.name for p in rel.properties)]
            if format == "csv":
                _write_csv(path, columns, rows)
            else:
                endpoints = [(c, Type.STRING) for c in ENDPOINT_COLUMNS]
                _write_parquet(path, endpoints + _typed(rel.properties), rows)
            report.files.append(path)
    finally:
        if graphml is not None:
            graphml.close()
            report.files.append(out / f"{prefix}.graphml")
    return report


def _typed(properties: tuple[Property, ...]) -> list[tuple[str, Type]]:
    return [(p.name, p.type) for p in properties]
