"""Exports: the loader's CSV (a round trip gives the same graph), Parquet and GraphML, a part of
the graph by place or type, and never a raw mobile or ID number unless asked for raw."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from graph.dump import dump
from graph.embedded import EmbeddedBackend
from graph.pseudonym import Privacy, View
from graph.schema import SCHEMA, Mask
from loaders.export import ExportError, export, members_within
from loaders.load import load

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "fixtures" / "examples").glob("*.csv"))
KEY = bytes.fromhex("5a" * 32)
# A raw mobile or ID number anywhere in a text: what a masked export must never hold.
RAW = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d{9}|\d{17}[\dXx])(?![0-9A-Za-z])")
NS = {"g": "http://graphml.graphdrawing.org/xmlns"}


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBackend]:
    """The example files of docs/loading.md loaded into a graph: every type, a few rows each.
    Tests only read from it."""
    graph = EmbeddedBackend(tmp_path_factory.mktemp("example") / "example.lbdb")
    graph.init_schema()
    report = load(graph, EXAMPLES)
    assert report.ok, report.rejects[:3]
    yield graph
    graph.close()


def empty(path: Path) -> EmbeddedBackend:
    graph = EmbeddedBackend(path)
    graph.init_schema()
    return graph


def reload(tmp_path: Path, files: list[Path]) -> dict[str, list[dict[str, Any]]]:
    """The dump of an empty store after loading `files` into it."""
    graph = empty(tmp_path / "copy.lbdb")
    try:
        report = load(graph, files)
        assert report.ok, report.rejects[:3]
        return dump(graph)
    finally:
        graph.close()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


# -- CSV: the loader's format -------------------------------------------------------------------


def test_a_raw_csv_export_loads_back_into_the_same_graph(example, tmp_path):
    report = export(example, tmp_path / "out", privacy=Privacy.raw())
    names = sorted(p.name for p in report.files)
    assert names == sorted(f"export.{stem}.csv" for stem in SCHEMA.files)
    assert report.rows["Person"] == 5
    assert report.rows["SERVES_IN"] == 5
    assert report.view is View.RAW
    assert reload(tmp_path, report.files) == dump(example)


def test_csv_files_are_the_loaders_format(example, tmp_path):
    report = export(example, tmp_path / "out", privacy=Privacy.raw())
    out = report.out_dir
    assert out.joinpath("export.people.csv").read_bytes().startswith(b"\xef\xbb\xbfid,name,")
    serves = read_csv(out / "export.serves_in.csv")
    assert list(serves[0]) == [
        "from",
        "to",
        "from_type",
        "to_type",
        "role",
        "valid_from",
        "valid_to",
        "source",
    ]
    assert serves[0] == {
        "from": "JS-P-0001",
        "to": "330421001001-G01",
        "from_type": "Person",
        "to_type": "Grid",
        "role": "head",
        "valid_from": "2021-03-01",
        "valid_to": "2024-03-31",
        "source": "example.serves_in.csv",
    }
    grids = {r["id"]: r for r in read_csv(out / "export.grids.csv")}
    assert grids["330421001001-G01-W03"] == {
        "id": "330421001001-G01-W03",
        "name": "日晖社区第一网格第三微网格",
        "level": "2",
        "kind": "micro",
        "grid_class": "",
        "households": "34",
        "population": "97",
        "urban": "true",
        "location": "",
        "field": "",
        "unit_level": "",
        "valid_from": "",
        "valid_to": "",
        "source": "example.grids.csv",
    }


@pytest.mark.slow
def test_the_demo_graph_round_trips_through_csv(demo_graph, tmp_path):
    report = export(demo_graph, tmp_path / "out", privacy=Privacy.raw())
    assert sum(report.rows.values()) > 300_000
    assert reload(tmp_path, report.files) == dump(demo_graph)


# -- a part of the graph -------------------------------------------------------------------------


def test_what_lies_within_a_village(example):
    inside = {k: sorted(v) for k, v in members_within(example, "330421001001").items() if v}
    assert inside == {
        "Unit": ["330421001001"],
        "Grid": ["330421001001-G01", "330421001001-G01-W03"],  # the micro-grid via its grid
        "Dispute": ["JS-2024-0158", "JS-2024-0201"],  # not the hospital's, in the town
        "Center": ["center-330421001001"],
        "PartyOrg": ["party-330421001001-G01", "party-330421001001-G01-W03"],
        "ListItem": ["li-330421-property", "li-330421-wages"],  # its disputes' items
        "Domain": ["labour", "medical", "property"],  # always
        # who lives there; JS-P-0004 lives in the town and holds a post at the county
        "Person": ["JS-P-0001", "JS-P-0002", "JS-P-0003", "JS-P-0005"],
    }


def test_people_come_in_by_their_ties(example):
    town = members_within(example, "330421001000")
    assert "JS-P-0004" in town["Person"]  # lives in the town itself
    county = members_within(example, "330421")
    assert county["Department"] == {"dept-330421-justice", "dept-330421001-governance"}
    assert county["ExpertPool"] == {"pool-330421-medical"}
    assert county["Organisation"] == {"org-330421-hospital1"}  # located in a grid within


def test_a_subgraph_round_trips(example, tmp_path):
    report = export(example, tmp_path / "out", within="330421001001", privacy=Privacy.raw())
    inside = members_within(example, "330421001001")
    whole = dump(example)
    expected: dict[str, list[dict[str, Any]]] = {}
    for n in SCHEMA.nodes:
        expected[n.label] = [r for r in whole[n.label] if r[n.key] in inside[n.label]]
    for r in SCHEMA.rels:
        expected[r.type] = [
            row
            for row in whole[r.type]
            if row["from"] in inside[row["from_type"]] and row["to"] in inside[row["to_type"]]
        ]
    assert reload(tmp_path, report.files) == expected
    assert {k: v for k, v in report.rows.items() if v} == {
        k: len(v) for k, v in expected.items() if v
    }
    # the grid in the village and the micro-grid in the grid; the village's tie to its town is out
    assert report.rows["PART_OF"] == 2
    assert report.rows["RELATED_TO"] == 2


def test_a_selection_of_types(example, tmp_path):
    report = export(example, tmp_path / "out", types={"Person", "units"}, privacy=Privacy.raw())
    assert report.rows == {
        "Unit": 3,
        "Person": 5,
        "PART_OF": 2,  # unit in unit; grids are not chosen
        "LIVES_IN": 5,
        "RELATED_TO": 2,
    }
    assert sorted(p.name for p in report.files) == [
        "export.lives_in.csv",
        "export.part_of.csv",
        "export.people.csv",
        "export.related_to.csv",
        "export.units.csv",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"within": "3304211"}, "'3304211' is not a division code"),
        ({"within": "110000"}, "no unit whose code starts with 11"),
        ({"types": {"People", "Unit"}}, "types: People not a node type"),
        ({"format": "xlsx"}, "format: 'xlsx'"),
        ({"prefix": "../x"}, "prefix"),
    ],
)
def test_what_cannot_be_exported(example, tmp_path, kwargs, message):
    with pytest.raises(ExportError, match=re.escape(message)):
        export(example, tmp_path / "out", privacy=Privacy.raw(), **kwargs)


def test_an_earlier_export_is_not_mixed_with(example, tmp_path):
    export(example, tmp_path / "out", privacy=Privacy.raw())
    with pytest.raises(ExportError, match="already holds an export"):
        export(example, tmp_path / "out", types={"Unit"}, privacy=Privacy.raw())
    (tmp_path / "out" / "notes.txt").write_text("mine")
    report = export(
        example, tmp_path / "out", types={"Unit"}, privacy=Privacy.raw(), overwrite=True
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        ["notes.txt", "export.units.csv", "export.part_of.csv"]
    )
    assert report.rows == {"Unit": 3, "PART_OF": 2}


# -- masking ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "privacy", [Privacy.masked(), Privacy.pseudonymised(KEY)], ids=["masked", "pseudonymised"]
)
def test_masked_csv_holds_no_raw_number(example, tmp_path, privacy):
    report = export(example, tmp_path / "out", privacy=privacy)
    for path in report.files:
        assert not RAW.search(path.read_text(encoding="utf-8-sig")), path.name
    people = {r["id"]: r for r in read_csv(tmp_path / "out" / "export.people.csv")}
    expected = privacy.apply(
        "Person",
        {
            "id": "JS-P-0001",
            "name": "沈建华",
            "gender": "male",
            "id_number": "330421196804120313",
            "mobile": "13857321846",
            "profession": "社区干部",
            "source": "example.people.csv",
        },
    )
    assert people["JS-P-0001"] == expected
    titles = {r["title"] for r in read_csv(tmp_path / "out" / "export.disputes.csv")}
    assert titles == {"（已隐去）"}


def test_pseudonyms_are_the_same_in_every_export(example, tmp_path):
    privacy = Privacy.pseudonymised(KEY)
    first = export(example, tmp_path / "a", privacy=privacy)
    second = export(example, tmp_path / "b", within="330421001001", privacy=privacy)
    a = {r["id"]: r for r in read_csv(first.out_dir / "export.people.csv")}
    b = {r["id"]: r for r in read_csv(second.out_dir / "export.people.csv")}
    assert b == {k: a[k] for k in b}
    assert a["JS-P-0001"]["mobile"] == privacy.value(Mask.MOBILE, "13857321846")


@pytest.mark.slow
@pytest.mark.parametrize(
    "privacy", [Privacy.masked(), Privacy.pseudonymised(KEY)], ids=["masked", "pseudonymised"]
)
def test_masked_exports_of_the_demo_graph_hold_no_raw_number(demo_graph, tmp_path, privacy):
    for fmt in ("csv", "graphml"):
        report = export(demo_graph, tmp_path / fmt, format=fmt, within="331127", privacy=privacy)
        for path in report.files:
            assert not RAW.search(path.read_text(encoding="utf-8-sig")), path.name
    import pyarrow.parquet as pq

    report = export(
        demo_graph, tmp_path / "parquet", format="parquet", within="331127", privacy=privacy
    )
    for path in report.files:  # Parquet is compressed: look at the values, not the bytes
        for row in pq.read_table(path).to_pylist():
            texts = [v for v in row.values() if isinstance(v, str)]
            assert not any(RAW.search(t) for t in texts), (path.name, row)


# -- Parquet -------------------------------------------------------------------------------


def test_parquet_has_the_schemas_types(example, tmp_path):
    import pyarrow.parquet as pq

    report = export(example, tmp_path / "out", format="parquet", privacy=Privacy.raw())
    assert len(report.files) == len(SCHEMA.files)
    disputes = pq.read_table(tmp_path / "out" / "export.disputes.parquet")
    assert {f.name: str(f.type) for f in disputes.schema} == {
        "id": "string",
        "title": "string",
        "reported_on": "date32[day]",
        "channel": "string",
        "status": "string",
        "outcome": "string",
        "settled_level": "string",
        "settled_on": "date32[day]",
        "parties": "int64",
        "warning": "string",
        "satisfaction": "int64",
        "source": "string",
    }
    row = next(r for r in disputes.to_pylist() if r["id"] == "JS-2024-0201")
    assert row == {
        "id": "JS-2024-0201",
        "title": "装修工程拖欠工资集体讨薪",
        "reported_on": date(2024, 7, 2),
        "channel": "hotline",
        "status": "routed",
        "outcome": None,
        "settled_level": None,
        "settled_on": None,
        "parties": 12,
        "warning": "orange",
        "satisfaction": None,
        "source": "example.disputes.csv",
    }
    stationed = pq.read_table(tmp_path / "out" / "export.stationed_at.parquet")
    assert stationed.column_names == [
        "from",
        "to",
        "from_type",
        "to_type",
        "staff",
        "windows",
        "valid_from",
        "valid_to",
        "source",
    ]
    grids = pq.read_table(tmp_path / "out" / "export.grids.parquet").to_pylist()
    assert {r["id"]: r["urban"] for r in grids}["330421001001-G01"] is True


# -- GraphML ---------------------------------------------------------------------------------


def test_graphml_declares_typed_keys_and_holds_every_node_and_edge(example, tmp_path):
    report = export(example, tmp_path / "out", format="graphml", privacy=Privacy.masked())
    assert [p.name for p in report.files] == ["export.graphml"]
    root = ET.parse(report.files[0]).getroot()
    keys = {
        (k.get("for"), k.get("attr.name")): k.get("attr.type") for k in root.findall("g:key", NS)
    }
    assert keys[("node", "label")] == "string"
    assert keys[("node", "level")] == "string"  # a word on units, a number on grids
    assert keys[("node", "households")] == "long"
    assert keys[("node", "urban")] == "boolean"
    assert keys[("node", "reported_on")] == "string"  # dates as ISO text
    assert keys[("edge", "type")] == "string"
    assert keys[("edge", "staff")] == "long"
    graph = root.find("g:graph", NS)
    assert graph is not None and graph.get("edgedefault") == "directed"
    nodes = graph.findall("g:node", NS)
    edges = graph.findall("g:edge", NS)
    whole = dump(example)
    assert len(nodes) == sum(len(whole[n.label]) for n in SCHEMA.nodes)
    assert len(edges) == sum(len(whole[r.type]) for r in SCHEMA.rels)
    key_ids = {k.get("id"): k.get("attr.name") for k in root.findall("g:key", NS)}

    def data(element: ET.Element) -> dict[str, str | None]:
        return {key_ids[d.get("key")]: d.text for d in element.findall("g:data", NS)}

    person = next(n for n in nodes if n.get("id") == "Person:JS-P-0004")
    assert data(person) == {
        "label": "Person",
        "id": "JS-P-0004",
        "name": "钱某",
        "gender": "male",
        "id_number": "330421********0152",
        "mobile": "139****1475",
        "profession": "医生",
        "source": "example.people.csv",
    }
    serves = [
        data(e)
        for e in edges
        if e.get("source") == "Person:JS-P-0002" and e.get("target") == "Grid:330421001001-G01"
    ]
    assert sorted(serves, key=lambda d: str(d["valid_from"])) == [
        {
            "type": "SERVES_IN",
            "role": "part_time",
            "valid_from": "2021-03-01",
            "valid_to": "2024-03-31",
            "source": "example.serves_in.csv",
        },
        {
            "type": "SERVES_IN",
            "role": "head",
            "valid_from": "2024-04-01",
            "source": "example.serves_in.csv",
        },
    ]
    assert not RAW.search(report.files[0].read_text(encoding="utf-8"))


def test_networkx_reads_the_graphml(example, tmp_path):
    nx = pytest.importorskip("networkx")
    report = export(example, tmp_path / "out", format="graphml", privacy=Privacy.raw())
    graph = nx.read_graphml(report.files[0])
    whole = dump(example)
    assert graph.number_of_nodes() == sum(len(whole[n.label]) for n in SCHEMA.nodes)
    assert graph.number_of_edges() == sum(len(whole[r.type]) for r in SCHEMA.rels)
    assert graph.nodes["Grid:330421001001-G01"]["households"] == 326
    assert graph.nodes["Grid:330421001001-G01"]["urban"] is True


def test_csv_cells_that_would_run_as_formulas_are_neutralised_and_load_back_equal(tmp_path):
    """OWASP's CSV-injection rule: text starting with = + - @ (or a tab or carriage return)
    is written behind an apostrophe, which Excel shows as text; the loader takes it off."""
    names = [
        '=HYPERLINK("http://example.com","点我")',
        "+86 138 1234 5678",
        "-1",
        "@SUM(A1)",
        "'=已经有引号",  # written in the source file as ''=已经有引号
        "张三",
    ]
    source = tmp_path / "t.people.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name"])
        for i, name in enumerate(names):
            writer.writerow([f"p{i}", "'" + name if name.startswith("'") else name])
    graph = empty(tmp_path / "g.lbdb")
    try:
        assert load(graph, [source]).ok
        stored = graph.read("MATCH (p:Person) RETURN p.name AS name ORDER BY p.id")
        assert [r["name"] for r in stored] == names
        report = export(graph, tmp_path / "out", privacy=Privacy.raw(), types=["Person"])
        cells = [r["name"] for r in read_csv(tmp_path / "out" / "export.people.csv")]
        assert cells == [
            '\'=HYPERLINK("http://example.com","点我")',
            "'+86 138 1234 5678",
            "'-1",
            "'@SUM(A1)",
            "''=已经有引号",
            "张三",
        ]
        assert reload(tmp_path, report.files) == dump(graph)
    finally:
        graph.close()


def test_numbers_are_not_neutralised() -> None:
    """-3 is a number to a spreadsheet, not a formula: it is written as it is."""
    from loaders.export import _cell

    assert [_cell(-3), _cell(-2.5), _cell("-3"), _cell(None)] == ["-3", "-2.5", "'-3", ""]
