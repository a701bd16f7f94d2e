"""The `neo4j-admin database import` export: the files hold exactly the graph, in the header
syntax the importer reads, and the command names each of them; Neo4j's own importer (from
Maven Central, as the test server is) reads them into a database equal to the graph."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from graph.ddl import RID
from graph.dump import dump
from graph.embedded import EmbeddedBackend
from graph.neo4j import Neo4jBackend
from graph.neo4j_admin import ImportCommand, export_neo4j_admin
from graph.schema import SCHEMA
from loaders.load import load

GRID, PERSON, UNIT = SCHEMA.node("Grid"), SCHEMA.node("Person"), SCHEMA.node("Unit")


def rel(from_: str, to: str, rid: str, **props: Any) -> dict[str, Any]:
    return {"from": from_, "to": to, RID: rid, "source": "t", **props}


@pytest.fixture
def small(backend: EmbeddedBackend) -> EmbeddedBackend:
    """Two units, three grids (one a micro-grid in another), two people and their posts."""
    backend.upsert_nodes(
        UNIT,
        [
            {"code": "330421000000", "name": "嘉善县", "level": "county", "source": "t"},
            {"code": "330421001000", "name": "魏塘街道", "level": "town", "source": "t"},
        ],
        bulk=True,
    )
    grids = [
        {"id": "G1", "name": '一号, "东"网格', "level": 1, "kind": "basic", "urban": True},
        {"id": "G2", "name": "二号网格", "level": 1, "kind": "basic", "urban": False},
        {"id": "M1", "name": "微网格\n第一", "level": 2, "kind": "micro", "households": 40},
    ]
    same_keys = [{"urban": None, "households": None, **g} for g in grids]
    backend.upsert_nodes(GRID, same_keys, bulk=False)
    backend.upsert_nodes(
        PERSON, [{"id": "P1", "name": "张三"}, {"id": "P2", "name": "李四"}], bulk=False
    )
    backend.upsert_rels(
        SCHEMA.rel("PART_OF"),
        {
            ("Unit", "Unit"): [rel("330421001000", "330421000000", "u1")],
            ("Grid", "Unit"): [rel("G1", "330421001000", "g1"), rel("G2", "330421001000", "g2")],
            ("Grid", "Grid"): [rel("M1", "G1", "m1")],
        },
        bulk=False,
    )
    backend.upsert_rels(
        SCHEMA.rel("SERVES_IN"),
        {
            ("Person", "Grid"): [
                rel("P1", "G1", "s1", role="head", valid_from=date(2021, 1, 1)),
                rel("P2", "M1", "s2", role="coordinator", valid_from=None),
            ]
        },
        bulk=False,
    )
    return backend


@pytest.fixture
def exported(small: EmbeddedBackend, tmp_path: Path) -> ImportCommand:
    return export_neo4j_admin(small, tmp_path / "out", database="gov", files_at="/import")


def read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_one_file_per_label_and_per_endpoint_pair_with_data(exported, tmp_path) -> None:
    out = tmp_path / "out"
    assert sorted(p.relative_to(out).as_posix() for p in exported.files) == [
        "nodes/Grid.csv",
        "nodes/Person.csv",
        "nodes/Unit.csv",
        "relationships/PART_OF.Grid.Grid.csv",
        "relationships/PART_OF.Grid.Unit.csv",
        "relationships/PART_OF.Unit.Unit.csv",
        "relationships/SERVES_IN.Person.Grid.csv",
    ]
    assert {k: v for k, v in exported.counts.items() if v} == {
        "Unit": 2,
        "Grid": 3,
        "Person": 2,
        "PART_OF": 4,
        "SERVES_IN": 2,
    }


def test_node_files_use_the_key_as_id_and_type_every_column(exported, tmp_path) -> None:
    grids = read(tmp_path / "out/nodes/Grid.csv")
    assert grids == [
        [
            "id:ID(Grid)",
            "name",
            "level:long",
            "kind",
            "grid_class:long",
            "households:long",
            "population:long",
            "urban:boolean",
            "location",
            "field",
            "unit_level",
            "valid_from:date",
            "valid_to:date",
            "source",
        ],
        ["G1", '一号, "东"网格', "1", "basic", "", "", "", "true", "", "", "", "", "", ""],
        ["G2", "二号网格", "1", "basic", "", "", "", "false", "", "", "", "", "", ""],
        ["M1", "微网格\n第一", "2", "micro", "", "40", "", "", "", "", "", "", "", ""],
    ]
    assert read(tmp_path / "out/nodes/Unit.csv")[0][0] == "code:ID(Unit)"
    raw = (tmp_path / "out/nodes/Grid.csv").read_text(encoding="utf-8")
    assert (
        '"一号, ""东""网格"' in raw
    )  # quotes doubled inside a quoted field, as the importer reads


def test_relationship_files_name_the_id_space_of_each_end(exported, tmp_path) -> None:
    serves = read(tmp_path / "out/relationships/SERVES_IN.Person.Grid.csv")
    assert serves == [
        [
            ":START_ID(Person)",
            ":END_ID(Grid)",
            ":TYPE",
            "rid",
            "role",
            "valid_from:date",
            "valid_to:date",
            "source",
        ],
        ["P1", "G1", "SERVES_IN", "s1", "head", "2021-01-01", "", "t"],
        ["P2", "M1", "SERVES_IN", "s2", "coordinator", "", "", "t"],
    ]
    nested = read(tmp_path / "out/relationships/PART_OF.Grid.Grid.csv")
    assert nested[0][:3] == [":START_ID(Grid)", ":END_ID(Grid)", ":TYPE"]
    assert nested[1][:4] == ["M1", "G1", "PART_OF", "m1"]


def test_the_command_imports_every_file_into_the_named_database(exported) -> None:
    assert exported.text == (
        "neo4j-admin database import full gov --id-type=string --multiline-fields=true "
        "--nodes=Unit=/import/nodes/Unit.csv --nodes=Grid=/import/nodes/Grid.csv "
        "--nodes=Person=/import/nodes/Person.csv "
        "--relationships=/import/relationships/PART_OF.Unit.Unit.csv "
        "--relationships=/import/relationships/PART_OF.Grid.Unit.csv "
        "--relationships=/import/relationships/PART_OF.Grid.Grid.csv "
        "--relationships=/import/relationships/SERVES_IN.Person.Grid.csv"
    )


def test_the_script_holds_the_command_and_what_to_do_after(exported, tmp_path) -> None:
    script = tmp_path / "out/import.sh"
    assert os.access(script, os.X_OK)
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh\n")
    assert "neo4j-admin database import full gov --id-type=string" in text
    assert " \\\n  --nodes=Unit=/import/nodes/Unit.csv" in text
    assert "govgraph init" in text
    assert text.count("--nodes=") == 3 and text.count("--relationships=") == 4


def test_by_default_the_command_names_the_files_where_they_were_written(small, tmp_path) -> None:
    command = export_neo4j_admin(small, tmp_path / "here")
    assert f"--nodes=Unit={(tmp_path / 'here/nodes/Unit.csv').resolve()}" in command.argv
    assert command.argv[:5] == ("neo4j-admin", "database", "import", "full", "neo4j")


def test_without_values_spanning_lines_no_multiline_option(backend, tmp_path) -> None:
    backend.upsert_nodes(PERSON, [{"id": "P1", "name": "张三"}], bulk=True)
    command = export_neo4j_admin(backend, tmp_path / "out")
    assert "--multiline-fields=true" not in command.argv
    assert [p.name for p in command.files] == ["Person.csv"]


@pytest.mark.parametrize("page_size", [1, 2, 1000])
def test_the_files_hold_exactly_the_graph_whatever_the_page_size(
    small: EmbeddedBackend, tmp_path: Path, page_size: int
) -> None:
    command = export_neo4j_admin(small, tmp_path / "out", page_size=page_size)
    assert parse(command) == {k: v for k, v in dump(small).items() if v}


def parse(command: ImportCommand) -> dict[str, list[dict[str, Any]]]:
    """Read the files back as the importer would, into the shape of `graph.dump`."""
    found: dict[str, list[dict[str, Any]]] = {}
    for path in command.files:
        header, *rows = read(path)
        for row in rows:
            record: dict[str, Any] = {}
            for column, cell in zip(header, row, strict=True):
                name, _, kind = column.partition(":")
                if kind == "TYPE":
                    continue
                id_space = re.fullmatch(r"(START|END)_ID\((\w+)\)", kind)
                if id_space:
                    end = "from" if id_space[1] == "START" else "to"
                    record[end], record[end + "_type"] = cell, id_space[2]
                else:
                    record[name] = typed(cell, kind)
            label = path.name.split(".")[0]
            found.setdefault(label, []).append(record)
    return {k: sorted(v, key=lambda r: repr(sorted(r.items()))) for k, v in found.items()}


def typed(cell: str, kind: str) -> Any:
    if cell == "":
        return None
    if kind == "long":
        return int(cell)
    if kind == "boolean":
        return cell == "true"
    if kind == "date":
        return date.fromisoformat(cell)
    return cell


def test_neo4j_admin_imports_the_files_into_a_database_equal_to_the_graph(
    small: EmbeddedBackend,
    example_files: list[Path],
    tmp_path: Path,
    neo4j_admin: Callable[..., Any],
    neo4j_launch: Callable[..., Any],
) -> None:
    """The tricky cells of `small` (a comma and quotes, a line break) and every type of the
    examples, through the real importer, then read back through the Neo4j backend."""
    assert load(small, example_files).rejects == []
    command = export_neo4j_admin(small, tmp_path / "out")
    assert "--multiline-fields=true" in command.argv
    home = tmp_path / "imported"
    done = neo4j_admin(home, *command.argv[1:])  # the argv without "neo4j-admin"
    assert done.returncode == 0, done.stdout + done.stderr
    server = neo4j_launch(home)
    graph = Neo4jBackend.connect(
        server.uri, user="neo4j", password=server.password, timeout_ms=120_000
    )
    try:
        graph.init_schema()  # the importer creates no constraints: they must hold on its data
        assert dump(graph) == dump(small)
    finally:
        graph.close()
