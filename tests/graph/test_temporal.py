"""graph/temporal.py: "holds on a day" written once, and no `.cypher` file or module writing
it another way."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from graph.temporal import hand_written, holds_on, valid_on

ROOT = Path(__file__).resolve().parents[2]
CYPHER = sorted((ROOT / "queries").glob("*.cypher"))
SOURCES = sorted(
    p
    for folder in ("api", "graph", "queries", "workflow", "loaders")
    for p in (ROOT / folder).rglob("*.py")
    if p.name != "temporal.py"
)


def test_there_are_files_to_lint() -> None:
    assert len(CYPHER) > 20 and SOURCES


@pytest.mark.parametrize("path", CYPHER, ids=lambda p: p.name)
def test_no_cypher_file_writes_the_rule_by_hand(path: Path) -> None:
    found = hand_written(path.read_text(encoding="utf-8"))
    assert found == [], f"{path.name}: write the rule as graph.temporal.holds_on does, not {found}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_python_module_writes_the_rule_by_hand(path: Path) -> None:
    found = hand_written(path.read_text(encoding="utf-8"))
    assert found == [], f"{path.relative_to(ROOT)}: use graph.temporal.holds_on, not {found}"


def test_the_lint_catches_each_other_form_and_passes_the_fragment() -> None:
    assert [
        hand_written(text)
        for text in (
            "WHERE s.valid_from <= date($as_of) AND (s.valid_to IS NULL OR s.valid_to >= $d)",
            "WHERE $as_of >= s.valid_from",
            "WHERE s.valid_from IS NOT NULL",
            "WHERE (s.valid_from IS NULL OR s.valid_from <= $d) AND (s.valid_to IS NULL OR "
            "s.valid_to > $d)",
        )
    ] == [
        ["valid_from <=", "valid_to IS NULL", "valid_to >="],
        [">= s.valid_from"],
        ["valid_from IS NOT NULL"],
        ["valid_from IS NULL", "valid_from <=", "valid_to IS NULL", "valid_to >"],
    ]
    assert hand_written("RETURN s.valid_from AS since, s.valid_to AS until") == []
    text = "MATCH (p)-[s]->(g) WHERE " + holds_on("s", "date($as_of)") + " AND g.kind = 'x'"
    assert hand_written(text) == []
    assert hand_written("// a comment: valid_from <= as_of\nRETURN 1") == []


def test_the_fragment() -> None:
    assert holds_on("s", "date($as_of)") == (
        "((s.valid_from IS NULL OR s.valid_from <= date($as_of)) "
        "AND (s.valid_to IS NULL OR s.valid_to >= date($as_of)))"
    )


def test_the_rule_holds_on_both_ends_and_with_either_end_missing(backend) -> None:
    """Run on the store: a tie with no start counts, a tie ended the day before does not."""
    backend.write(
        [
            (
                "CREATE (:Person {id: 'A', name: 'a'}), (:Person {id: 'B', name: 'b'}), "
                "(:Person {id: 'C', name: 'c'}), (:Person {id: 'D', name: 'd'}), "
                "(:Grid {id: 'G', name: 'g'})",
                {},
            ),
            (
                "MATCH (a:Person {id: 'A'}), (b:Person {id: 'B'}), (c:Person {id: 'C'}), "
                "(d:Person {id: 'D'}), (g:Grid {id: 'G'}) "
                "CREATE (a)-[:SERVES_IN {role: 'head'}]->(g), "
                "(b)-[:SERVES_IN {role: 'head', valid_to: date('2024-03-01')}]->(g), "
                "(c)-[:SERVES_IN {role: 'head', valid_from: date('2024-03-01')}]->(g), "
                "(d)-[:SERVES_IN {role: 'head', valid_to: date('2024-02-29')}]->(g)",
                {},
            ),
        ]
    )
    query = (
        "MATCH (p:Person)-[s:SERVES_IN]->(:Grid) WHERE "
        + holds_on("s")
        + " RETURN p.id AS id ORDER BY id"
    )
    assert [r["id"] for r in backend.read(query, {"as_of": date(2024, 3, 1)})] == ["A", "B", "C"]


def test_the_python_rule_filters_as_the_fragment_does(backend) -> None:
    """`valid_on` keeps what `holds_on` keeps, on every pair of dates (either or both missing)
    and every day: before, on and between the ends, after them, and a missing day."""
    ends = [None, date(2021, 1, 1), date(2022, 12, 31)]
    pairs = [(s, u) for s in ends for u in ends if s is None or u is None or s <= u]
    rows = [
        {"id": f"G{i}", "name": "g", "valid_from": s, "valid_to": u}
        for i, (s, u) in enumerate(pairs)
    ]
    backend.write(
        [
            (
                "UNWIND $rows AS r CREATE (:Grid {id: r.id, name: r.name, "
                "valid_from: r.valid_from, valid_to: r.valid_to})",
                {"rows": rows},
            )
        ]
    )
    days = [None, date(2020, 6, 1), date(2021, 1, 1), date(2022, 6, 1), date(2022, 12, 31)]
    days.append(date(2023, 1, 1))
    kept_somewhere = set()
    for day in days:
        found = backend.read(
            "MATCH (g:Grid) WHERE " + holds_on("g") + " RETURN g.id AS id", {"as_of": day}
        )
        by_cypher = sorted(r["id"] for r in found)
        by_python = sorted(r["id"] for r in rows if valid_on(r["valid_from"], r["valid_to"], day))
        assert by_python == by_cypher, day
        kept_somewhere.update(by_cypher)
    assert kept_somewhere == {r["id"] for r in rows}
    assert valid_on(None, None, None) and not valid_on(date(2021, 1, 1), None, None)
    assert not valid_on(None, date(2022, 12, 31), date(2023, 1, 1))
