"""The notebook API: named and ad-hoc queries as DataFrames, with each role's privacy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from api.notebook import Graph
from graph.embedded import EmbeddedBackend
from graph.pseudonym import KEY_ENV, PseudonymKeyError, View, pseudonym
from graph.readonly import NotReadOnly
from graph.schema import Mask
from loaders.export import export
from loaders.load import load
from queries.library import BadParameters, UnknownQuery, get_query

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "fixtures" / "examples").glob("*.csv"))
KEY = bytes.fromhex("3c" * 32)
STAFF = (
    "MATCH (p:Person)-[s:SERVES_IN]->(g:Grid {id: $grid}) WHERE s.valid_to IS NULL "
    "RETURN p.id AS id, p.name AS name, p.mobile AS mobile, s.role AS role ORDER BY id, role"
)
GRID = "330421001001-G01"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A graph file holding the example files, closed so that it can be opened read-only."""
    path = tmp_path_factory.mktemp("notebook") / "example.lbdb"
    graph = EmbeddedBackend(path)
    graph.init_schema()
    assert load(graph, EXAMPLES).ok
    graph.close()
    return str(path)


@pytest.fixture(autouse=True)
def no_key_in_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv("GOVGRAPH_AUDIT_LOG", str(tmp_path / "audit.jsonl"))


@pytest.fixture
def researcher(db: str) -> Iterator[Graph]:
    with Graph.open(db, role="researcher", pseudonym_key=KEY) as graph:
        yield graph


def test_an_admin_sees_raw_values(db):
    with Graph.open(db, role="admin") as graph:
        frame = graph.query(STAFF, grid=GRID)
    assert graph.view is View.RAW
    expected = pd.DataFrame(
        {
            "id": ["JS-P-0001", "JS-P-0002", "JS-P-0003"],
            "name": ["沈建华", "顾晓燕", "陈丽华"],
            "mobile": ["13857321846", "15906734582", "18857319027"],
            "role": ["instructor", "head", "full_time"],
        }
    )
    assert_frame_equal(frame, expected)


def test_a_researcher_sees_stable_pseudonyms(researcher):
    frame = researcher.query(STAFF, grid=GRID)
    assert researcher.view is View.PSEUDONYMISED
    assert frame.to_dict("records") == [
        {
            "id": "JS-P-0001",
            "name": pseudonym("沈建华", KEY, Mask.NAME),
            "mobile": pseudonym("13857321846", KEY, Mask.MOBILE),
            "role": "instructor",
        },
        {
            "id": "JS-P-0002",
            "name": pseudonym("顾晓燕", KEY, Mask.NAME),
            "mobile": pseudonym("15906734582", KEY, Mask.MOBILE),
            "role": "head",
        },
        {
            "id": "JS-P-0003",
            "name": pseudonym("陈丽华", KEY, Mask.NAME),
            "mobile": pseudonym("18857319027", KEY, Mask.MOBILE),
            "role": "full_time",
        },
    ]
    # the same person has the same pseudonym in another query
    other = researcher.query(
        "MATCH (p:Person {id: $id}) RETURN p.name AS who, p.mobile", id="JS-P-0002"
    )
    assert other.to_dict("records") == [
        {"who": frame.loc[1, "name"], "p.mobile": frame.loc[1, "mobile"]}
    ]


def test_a_viewer_sees_masked_values(db):
    with Graph.open(db, role="viewer", pseudonym_key=KEY) as graph:
        frame = graph.query(STAFF, grid=GRID)
    assert frame.to_dict("records") == [
        {"id": "JS-P-0001", "name": "沈某", "mobile": "138****1846", "role": "instructor"},
        {"id": "JS-P-0002", "name": "顾某", "mobile": "159****4582", "role": "head"},
        {"id": "JS-P-0003", "name": "陈某", "mobile": "188****9027", "role": "full_time"},
    ]


def test_a_researcher_without_a_key_sees_masked_values(db, monkeypatch):
    with Graph.open(db, role="researcher") as graph:
        assert graph.view is View.MASKED
        assert graph.query(STAFF, grid=GRID).loc[0, "name"] == "沈某"
    monkeypatch.setenv(KEY_ENV, KEY.hex())
    with Graph.open(db) as graph:
        assert graph.view is View.PSEUDONYMISED
        assert graph.query(STAFF, grid=GRID).loc[0, "name"] == pseudonym("沈建华", KEY, Mask.NAME)


def test_a_bad_key_or_role_is_refused(db):
    with pytest.raises(PseudonymKeyError):
        Graph.open(db, pseudonym_key="short")
    with pytest.raises(ValueError, match="unknown role 'root'"):
        Graph.open(db, role="root")


def test_whole_nodes_and_numbers_in_text_are_masked_too(researcher):
    frame = researcher.query(
        "MATCH (p:Person {id: $id}) RETURN p, 'tel ' + p.mobile AS note, $text AS echo",
        id="JS-P-0004",
        text="call 13812341234 or 138-1234-1234",
    )
    node = frame.loc[0, "p"]
    assert {k: v for k, v in node.items() if not k.startswith("_")} == {
        "id": "JS-P-0004",
        "name": pseudonym("钱国良", KEY, Mask.NAME),
        "gender": "male",
        "id_number": pseudonym("330421195802170152", KEY, Mask.ID_NUMBER),
        "mobile": pseudonym("13967301475", KEY, Mask.MOBILE),
        "profession": "医生",
        "source": "example.people.csv",
    }
    # an expression over a mobile number works on the pseudonym: the copy holds no other
    assert frame.loc[0, "note"] == "tel " + pseudonym("13967301475", KEY, Mask.MOBILE)
    # the researcher's own parameter comes back as they gave it: it is not the graph's
    assert frame.loc[0, "echo"] == "call 13812341234 or 138-1234-1234"


def test_a_named_query(researcher):
    frame = researcher.query("county_summary", county="330421000000")
    expected = pd.DataFrame.from_records(
        [
            {
                "county": "330421000000",
                "name": "嘉善县",
                "towns": 1,
                "villages": 1,
                "grids": 2,
                "micro_grids": 1,
                "grid_staff": 3,
                "centers": 3,
                "departments": 2,
                "disputes": 3,  # one of them in the micro-grid, four steps from the county
            }
        ]
    )
    assert_frame_equal(frame, expected)


def test_a_named_query_with_no_rows_keeps_its_columns(researcher):
    frame = researcher.query("county_summary", county="110000000000")
    assert list(frame.columns) == list(get_query("county_summary").columns)
    assert frame.empty


def test_the_library_is_listed():
    library = Graph.library()
    assert list(library.columns) == ["name", "answers", "parameters", "columns"]
    row = library.set_index("name").loc["county_summary"].to_dict()
    assert row == {
        "answers": get_query("county_summary").answers,
        "parameters": "county",
        "columns": ", ".join(get_query("county_summary").columns),
    }


def test_what_is_refused(researcher):
    with pytest.raises(NotReadOnly):
        researcher.query("MATCH (p:Person) DETACH DELETE p")
    with pytest.raises(NotReadOnly):
        researcher.query("LOAD FROM '/etc/passwd' RETURN *")
    with pytest.raises(UnknownQuery, match="no query named 'county_sumary'"):
        researcher.query("county_sumary", county="330421000000")
    with pytest.raises(BadParameters, match="missing"):
        researcher.query("county_summary")
    # nothing was written
    assert researcher.query("MATCH (p:Person) RETURN count(p) AS n").to_dict("records") == [
        {"n": 5}
    ]


def test_an_export_with_the_roles_privacy(researcher, tmp_path):
    report = researcher.export(tmp_path / "out", types={"Person"})
    assert report.view is View.PSEUDONYMISED
    people = pd.read_csv(tmp_path / "out" / "export.people.csv", dtype=str)
    frame = researcher.query("MATCH (p:Person) RETURN p.id AS id, p.name AS name ORDER BY id")
    assert_frame_equal(people[["id", "name"]], frame)


def test_a_borrowed_backend_is_left_open(backend):
    graph = Graph(backend, role="admin")
    with graph:
        assert graph.query("MATCH (u:Unit) RETURN count(u) AS n").to_dict("records") == [{"n": 0}]
    assert backend.read("MATCH (u:Unit) RETURN count(u) AS n") == [{"n": 0}]
    assert repr(graph) == "Graph(role='admin', view='raw')"


def test_closing_twice_is_harmless(db):
    graph = Graph.open(db, role="admin")
    graph.close()
    graph.close()


@pytest.mark.slow
def test_the_demo_graph(demo_graph, tmp_path):
    graph = Graph(demo_graph, role="researcher", pseudonym_key=KEY)
    counts = graph.query("counts_by_label")
    assert counts.to_dict("records") == [
        {"type": "Center", "count": 263},
        {"type": "Department", "count": 204},
        {"type": "Dispute", "count": 15504},
        {"type": "Domain", "count": 19},
        {"type": "ExpertPool", "count": 6},
        {"type": "Grid", "count": 18581},
        {"type": "ListItem", "count": 229},
        {"type": "MediationOrg", "count": 2671},
        {"type": "Organisation", "count": 5556},
        {"type": "PartyOrg", "count": 6030},
        {"type": "Person", "count": 86667},
        {"type": "Unit", "count": 2663},
    ]
    team = graph.query(STAFF, grid="331127-G0100")
    raw = Graph(demo_graph, role="admin").query(STAFF, grid="331127-G0100")
    assert list(team["id"]) == list(raw["id"])
    assert list(team["name"]) == [pseudonym(n, KEY, Mask.NAME) for n in raw["name"]]
    assert list(team["mobile"]) == [pseudonym(m, KEY, Mask.MOBILE) for m in raw["mobile"]]
    # an export made with the same key gives the same pseudonyms
    export(demo_graph, tmp_path, types={"Person"}, within="331127", privacy=graph.privacy)
    people = pd.read_csv(tmp_path / "export.people.csv", dtype=str).set_index("id")
    assert list(people.loc[team["id"], "name"]) == list(team["name"])
