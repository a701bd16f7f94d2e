"""graph/temporal.py: "holds on a day" written once, and no `.cypher` file writing it by hand."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from graph.temporal import expand, holds_on

ROOT = Path(__file__).resolve().parents[2]
CYPHER = sorted((ROOT / "queries").glob("*.cypher"))
SOURCES = sorted(
    p
    for folder in ("api", "graph", "queries", "workflow", "loaders")
    for p in (ROOT / folder).rglob("*.py")
    if p.name != "temporal.py"
)
# A comparison or null test on valid_from/valid_to: the rule written by hand.
_BY_HAND = re.compile(
    r"valid_(from|to)\s*(<=|>=|<|>|IS\s+(NOT\s+)?NULL)|(<=|>=|<|>)\s*\w+\.valid_(from|to)",
    re.IGNORECASE,
)


def _code(text: str) -> str:
    """`text` without its `//` comment lines."""
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))


def test_there_are_files_to_lint() -> None:
    assert len(CYPHER) > 20 and SOURCES


@pytest.mark.parametrize("path", CYPHER, ids=lambda p: p.name)
def test_no_cypher_file_writes_the_rule_by_hand(path: Path) -> None:
    found = [m[0] for m in _BY_HAND.finditer(_code(path.read_text(encoding="utf-8")))]
    assert found == [], f"{path.name}: write @holds_on(var, day) instead of {found}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_python_module_writes_the_rule_by_hand(path: Path) -> None:
    found = [m[0] for m in _BY_HAND.finditer(path.read_text(encoding="utf-8"))]
    assert found == [], f"{path.relative_to(ROOT)}: use graph.temporal.holds_on, not {found}"


def test_the_lint_catches_each_hand_written_form() -> None:
    for text in (
        "WHERE s.valid_from <= date($as_of)",
        "WHERE (s.valid_to IS NULL OR s.valid_to >= $d)",
        "WHERE $as_of >= s.valid_from",
        "WHERE s.valid_from IS NOT NULL",
    ):
        assert _BY_HAND.search(text), text
    assert not _BY_HAND.search("RETURN s.valid_from AS since, s.valid_to AS until")


def test_the_macro_expands_to_the_one_fragment() -> None:
    text = "MATCH (p)-[s:SERVES_IN]->(g) WHERE @holds_on(s, date($as_of)) AND g.kind = 'x'"
    assert expand(text) == (
        "MATCH (p)-[s:SERVES_IN]->(g) WHERE ((s.valid_from IS NULL OR s.valid_from <= "
        "date($as_of)) AND (s.valid_to IS NULL OR s.valid_to >= date($as_of))) AND g.kind = 'x'"
    )
    assert expand("AND @holds_on(r, $as_of))]-(e)") == "AND " + holds_on("r", "$as_of") + ")]-(e)"


def test_a_malformed_macro_is_refused() -> None:
    with pytest.raises(ValueError, match=re.escape("@holds_on needs a variable and a day")):
        expand("WHERE @holds_on(s)")


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
    query = expand(
        "MATCH (p:Person)-[s:SERVES_IN]->(:Grid) WHERE @holds_on(s, $as_of) "
        "RETURN p.id AS id ORDER BY id"
    )
    assert [r["id"] for r in backend.read(query, {"as_of": date(2024, 3, 1)})] == ["A", "B", "C"]
