"""One query text for both backends: every `queries/*.cypher` file keeps to the Cypher that
LadybugDB and Neo4j 5 both read the same way, unless a `name.neo4j.cypher` variant exists.

Three kinds of construct leave the portable subset (shared/notes/ladybugdb.md):
- LadybugDB-only syntax, which Neo4j refuses: allowed only in a base file that has a Neo4j
  variant, never in the variant;
- the same text with different meanings (1-based list indexes and `substring`, `labels(n)`
  a string on LadybugDB and a list on Neo4j): allowed in a base file with a variant, and in
  the variant (where it means what Neo4j means);
- Neo4j-only syntax, which LadybugDB refuses: allowed only in a variant, since every base file
  runs on LadybugDB.

Files are found when the tests are collected, so queries added later are judged too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

QUERIES = Path(__file__).resolve().parents[2] / "queries"
DIALECTS = ("neo4j",)


@dataclass(frozen=True)
class Rule:
    name: str
    find: Callable[[str], bool]
    why: str


def pattern(regex: str) -> Callable[[str], bool]:
    compiled = re.compile(regex, re.IGNORECASE)
    return lambda text: compiled.search(text) is not None


def _shortest(ladybug: bool) -> Callable[[str], bool]:
    """LadybugDB writes `-[:R* SHORTEST 1..6]->`; Neo4j `SHORTEST 1 (a)-->+(b)`."""

    def find(text: str) -> bool:
        for match in re.finditer(r"\bSHORTEST\b", text, re.IGNORECASE):
            before = re.sub(r"(ALL|W)\s*$", "", text[: match.start()].rstrip(), flags=re.I)
            if before.rstrip().endswith("*") == ladybug:
                return True
        return False

    return find


LADYBUG_ONLY = [
    Rule("label(", pattern(r"(?<![\w.])label\s*\("), "Neo4j writes labels(n)[0]"),
    Rule("* SHORTEST", _shortest(ladybug=True), "Neo4j writes shortestPath() or SHORTEST k"),
    Rule("CAST(", pattern(r"(?<![\w.])CAST\s*\("), "Neo4j has toInteger(), date() …"),
    Rule("COPY", pattern(r"^\s*COPY\b"), "bulk loading is not a query"),
    Rule("LOAD FROM", pattern(r"\bLOAD\s+FROM\b"), "reads server files"),
    Rule(
        "catalog functions",
        pattern(r"(?<![\w.])(show_\w+|table_info|current_setting)\s*\("),
        "LadybugDB's catalog",
    ),
    Rule(
        "list_/array_/struct_ functions",
        pattern(r"(?<![\w.])(list|array|struct|map|union)_\w+\s*\("),
        "LadybugDB's function names",
    ),
    Rule("current_date()", pattern(r"(?<![\w.])current_(date|timestamp)\s*\("), "Neo4j: date()"),
    Rule("INSTALL/LOAD EXTENSION", pattern(r"^\s*(INSTALL|LOAD\s+EXTENSION)\b"), "extensions"),
]
DIFFERENT_MEANING = [
    Rule("labels(", pattern(r"(?<![\w.])labels\s*\("), "a string on LadybugDB, a list on Neo4j"),
    Rule("substring(", pattern(r"(?<![\w.])substring\s*\("), "1-based on LadybugDB"),
    Rule(
        "list index or slice",
        pattern(r"[\w)\]]\[(?!\s*['\"])"),
        "LadybugDB counts list positions from 1, Neo4j from 0",
    ),
]
NEO4J_ONLY = [
    Rule("list comprehension", pattern(r"\[\s*\w+\s+IN\b"), "LadybugDB has none"),
    Rule("pattern comprehension", pattern(r"\[\s*\([^\]]*\|"), "LadybugDB has none"),
    Rule(
        "Neo4j-only function",
        pattern(
            r"(?<![\w.])(type|reduce|head|split|toString|toInteger|toFloat|toBoolean|"
            r"shortestPath|allShortestPaths|elementId|randomUUID)\s*\("
        ),
        "LadybugDB lacks it",
    ),
    Rule("SHORTEST k", _shortest(ladybug=False), "LadybugDB writes -[:R* SHORTEST 1..n]->"),
    Rule("CALL {}", pattern(r"\bCALL\s*(\([^)]*\)\s*)?\{"), "LadybugDB has no subquery CALL"),
    Rule("FOREACH", pattern(r"(?<![\w.])FOREACH\b"), "LadybugDB has none"),
    Rule("REMOVE", pattern(r"(?<![\w.])REMOVE\b"), "LadybugDB has none"),
    Rule("SET += or = map", pattern(r"\bSET\s+\w+\s*\+?=\s*[{$]"), "LadybugDB sets one property"),
    Rule(
        "procedures",
        pattern(r"\bCALL\s+\w+(\.\w+)+|(?<![\w.])(apoc|gds)\.\w+"),
        "Neo4j's procedures and plugins",
    ),
    Rule(
        "label predicate",
        pattern(r"\b(WHERE|AND|OR|XOR|NOT|WHEN)\s+\(?\s*[A-Za-z_]\w*\s*:\s*[A-Za-z_]"),
        "LadybugDB tests labels only in patterns",
    ),
]


def code_of(text: str) -> str:
    """The query without comments and string literals, which may say anything."""
    text = re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "''", text)
    return re.sub(r"//[^\n]*", "", text)


def broken(text: str, rules: list[Rule]) -> list[str]:
    code = code_of(text)
    return [f"{r.name} ({r.why})" for r in rules if r.find(code)]


def header(text: str, field: str) -> str:
    found = re.search(r"^//\s*" + field + r":\s*(.*)$", text, re.MULTILINE)
    return found[1].strip() if found else ""


def parameters(text: str) -> set[str]:
    return set(re.findall(r"\$(\w+)", header(text, "parameters")))


def columns(text: str) -> list[str]:
    return [c.strip() for c in header(text, "columns").split(",") if c.strip()]


def _split(path: Path) -> tuple[str, str | None]:
    """`name.cypher` -> (name, None); `name.neo4j.cypher` -> (name, "neo4j")."""
    parts = path.name.removesuffix(".cypher").split(".")
    return parts[0], (parts[1] if len(parts) > 1 else None)


FILES = sorted(QUERIES.glob("*.cypher"))
BASES = [p for p in FILES if _split(p)[1] is None]
VARIANTS = [p for p in FILES if _split(p)[1] is not None]


def _variant_of(base: Path, dialect: str = "neo4j") -> Path:
    return base.with_name(f"{_split(base)[0]}.{dialect}.cypher")


def test_there_are_queries_to_judge() -> None:
    assert BASES, f"no .cypher files found in {QUERIES}"


@pytest.mark.parametrize("path", BASES, ids=lambda p: p.name)
def test_a_query_without_a_variant_keeps_to_the_portable_subset(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if _variant_of(path).exists():
        # Only LadybugDB runs this file; it may use LadybugDB's dialect, not Neo4j's.
        problems = broken(text, NEO4J_ONLY)
        assert not problems, f"{path.name} runs on LadybugDB but uses {problems}"
        return
    problems = broken(text, LADYBUG_ONLY + DIFFERENT_MEANING + NEO4J_ONLY)
    assert not problems, (
        f"{path.name} runs on both backends but uses {'; '.join(problems)}. Write it in the "
        f"portable subset, or add {_variant_of(path).name} for Neo4j (docs/neo4j.md)."
    )


@pytest.mark.parametrize("path", VARIANTS, ids=lambda p: p.name)
def test_a_variant_has_its_base_file_and_the_same_header(path: Path) -> None:
    name, dialect = _split(path)
    assert dialect in DIALECTS, f"{path.name}: {dialect!r} is not a dialect; one of {DIALECTS}"
    base = path.with_name(f"{name}.cypher")
    assert base.exists(), f"{path.name} is a variant of {base.name}, which does not exist"
    text, base_text = path.read_text(encoding="utf-8"), base.read_text(encoding="utf-8")
    assert parameters(text) == parameters(base_text), "a variant takes the base's parameters"
    assert columns(text) == columns(base_text), "a variant returns the base's columns"
    assert columns(text), f"{path.name} needs a '// columns:' header line"


@pytest.mark.parametrize("path", VARIANTS, ids=lambda p: p.name)
def test_a_neo4j_variant_uses_no_ladybug_syntax(path: Path) -> None:
    problems = broken(path.read_text(encoding="utf-8"), LADYBUG_ONLY)
    assert not problems, f"{path.name} runs on Neo4j but uses {problems}"


# -- the rules themselves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("MATCH (n) RETURN label(n) AS t", "ladybug"),
        ("MATCH p = (a)-[:R* SHORTEST 1..6]->(b) RETURN p", "ladybug"),
        ("MATCH p = (a)-[:R* ALL SHORTEST 1..6]->(b) RETURN p", "ladybug"),
        ("RETURN CAST(r.x AS INT64)", "ladybug"),
        ("CALL show_tables() RETURN *", "ladybug"),
        ("RETURN list_concat([1], [2])", "ladybug"),
        ("MATCH (n) RETURN labels(n) AS t", "differs"),
        ("RETURN substring('abc', 1, 1)", "differs"),
        ("RETURN nodes(p)[1] AS first", "differs"),
        ("RETURN collect(x)[..3] AS top", "differs"),
        ("RETURN xs[$i] AS x", "differs"),
        ("RETURN [x IN xs | x.id] AS ids", "neo4j"),
        ("RETURN [(a)-->(b) | b.id] AS ids", "neo4j"),
        ("MATCH (a)-[r]->(b) RETURN type(r)", "neo4j"),
        ("MATCH p = shortestPath((a)-[*]-(b)) RETURN p", "neo4j"),
        ("MATCH p = SHORTEST 1 (a)-[:R]-+(b) RETURN p", "neo4j"),
        ("MATCH (n) CALL { WITH n RETURN 1 AS x } RETURN x", "neo4j"),
        ("MATCH (n) SET n += $props", "neo4j"),
        ("CALL db.labels()", "neo4j"),
        ("MATCH (a)-->(b) WHERE b:Unit RETURN a", "neo4j"),
        ("RETURN toInteger('3')", "neo4j"),
    ],
)
def test_the_rules_catch_each_construct(text: str, kind: str) -> None:
    found = {
        "ladybug": bool(broken(text, LADYBUG_ONLY)),
        "differs": bool(broken(text, DIFFERENT_MEANING)),
        "neo4j": bool(broken(text, NEO4J_ONLY)),
    }
    assert [k for k, hit in found.items() if hit] == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "MATCH (g:Grid {id: $grid})-[:PART_OF*1..3]->(c:Unit) RETURN g.name AS name",
        "MATCH (a)-[e:SERVES_IN]->(b) WHERE e.role IN ['head', 'full_time'] RETURN a.id",
        "RETURN COUNT { MATCH (:Unit)-[:PART_OF]->(c) } AS towns, [1, 2] AS xs",
        "MATCH (p:Person) WHERE p.name = 'label(x) [0] type(' RETURN p // labels(p)[0]",
        "UNWIND nodes(p) AS n RETURN collect(n.id) AS ids",
        "MATCH (n:Department|Center) WHERE n.function IS NULL OR n.kind = 'x' RETURN n.id",
        "MATCH (db:Department) WHERE db.remove = 1 RETURN db.name, db.type AS t",
        "RETURN CASE WHEN x.code IS NULL THEN 'Grid' ELSE 'Unit' END AS label",
    ],
)
def test_the_rules_pass_portable_cypher(text: str) -> None:
    assert broken(text, LADYBUG_ONLY + DIFFERENT_MEANING + NEO4J_ONLY) == []
