"""The named queries: headers that tell the truth, dialect variants, LadybugDB's UNION trap."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from graph.backend import Params, Row
from graph.embedded import EmbeddedBackend
from queries.library import BadParameters, get_query, named_queries, run, variants

QUERIES = Path(__file__).resolve().parents[2] / "queries"
FILES = sorted(QUERIES.glob("*.cypher"))


def body_of(text: str) -> str:
    """The query without comment lines and string literals."""
    code = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
    return re.sub(r"'(?:[^'\\]|\\.)*'", "''", code)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_header_names_every_parameter_the_query_uses(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    name = path.name.split(".")[0]
    dialect = path.name.split(".")[1] if path.name.count(".") == 2 else None
    query = get_query(name, dialect)
    assert query.text == text
    used = set(re.findall(r"\$([A-Za-z_]\w*)", body_of(text)))
    assert used == set(query.parameters), f"{path.name}: header {query.parameters}, uses {used}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_first_union_branch_repeats_no_expression(path: Path) -> None:
    """LadybugDB 0.22 fills a later UNION branch's column from the wrong expression when the
    first branch returns one (non-literal) expression under two names."""
    branches = re.split(r"\bUNION\s+ALL\b", body_of(path.read_text(encoding="utf-8")))
    if len(branches) < 2:
        return
    returned = branches[0][branches[0].rindex("RETURN") + len("RETURN") :]
    expressions = [
        item.rsplit(" AS ", 1)[0].strip() for item in re.split(r",(?![^(]*\))", returned)
    ]
    repeated = [e for e in set(expressions) if expressions.count(e) > 1 and e != "''"]
    assert not repeated, f"{path.name}: the first branch returns {repeated} twice"


class Recorder:
    """A backend that records the text it is asked to run."""

    def __init__(self, dialect: str | None) -> None:
        if dialect:
            self.dialect = dialect
        self.texts: list[str] = []

    def read(self, query: str, params: Params | None = None) -> list[Row]:
        self.texts.append(query)
        return []

    def write(self, statements: Sequence[tuple[str, Params]]) -> None:
        raise NotImplementedError

    def close(self) -> None: ...


CONFLICT = {
    "dispute": "d",
    "experts": ["e"],
    "as_of": date(2021, 1, 1),
    "ties": ["RELATED_TO"],
    "related_kinds": ["family"],
}


def test_run_picks_the_backends_dialect_where_a_variant_exists() -> None:
    assert ("conflict_paths", "neo4j") in variants()
    neo4j, ladybug = Recorder("neo4j"), Recorder(None)
    run(neo4j, "conflict_paths", **CONFLICT)  # type: ignore[arg-type]
    run(ladybug, "conflict_paths", **CONFLICT)  # type: ignore[arg-type]
    assert "shortestPath(" in neo4j.texts[0] and "SHORTEST 1..3" in ladybug.texts[0]
    run(neo4j, "grid_step", grid="g", as_of=date(2024, 6, 1))  # type: ignore[arg-type]
    assert neo4j.texts[1] == named_queries()["grid_step"].text


def test_run_refuses_missing_and_unknown_parameters() -> None:
    with pytest.raises(BadParameters, match=r"missing \['experts', 'as_of'"):
        run(Recorder(None), "conflict_paths", dispute="d")  # type: ignore[arg-type]
    with pytest.raises(BadParameters, match=r"unknown \['gird'\]"):
        run(Recorder(None), "grid_step", grid="g", as_of=date(2024, 6, 1), gird="g")  # type: ignore[arg-type]


SAMPLES: dict[str, dict[str, Any]] = {
    "grid_step": {"grid": "330421-M08315", "as_of": date(2024, 6, 1)},
    "unit_step": {"unit": "330421111206", "as_of": date(2024, 6, 1)},
    "grid_teams": {"grids": ["330421-M08315", "330421-G0332"]},
    "grid_party_orgs": {"grids": ["330421-M08315", "330421-G0332"]},
    "ladder_unit_bodies": {
        "units": ["330421111206", "330421111000", "330421000000"],
        "mediation_kinds": ["people"],
        "court": "court",
        "as_of": date(2024, 6, 1),
    },
    "ladder_stationed_departments": {
        "units": ["330421111206", "330421111000", "330421000000"],
        "as_of": date(2024, 6, 1),
    },
    "liaison_bodies": {"grids": ["331127-G0294"], "as_of": date(2024, 6, 1)},
    "referral_unit_bodies": {
        "units": ["330421111206", "330421111000", "330421000000"],
        "mediation_kinds": ["people"],
        "industry_kinds": ["industry"],
        "court": "court",
        "as_of": date(2024, 6, 1),
    },
    "referral_item": {"item": "", "category": "wages", "item_class": "矛盾纠纷化解"},
    "place": {"place": "330421111206"},
    "place_units": {"place": "330421-G0332"},
    "dispute_facts": {"dispute": "330421-D900001"},
    "expert_candidates": {"domains": ["finance"]},
    "expert_load": {"domains": ["medical"]},
    "conflict_paths": {**CONFLICT, "dispute": "330421-D900001", "experts": ["330421-P900001"]},
}


NOTHING_IN_THE_DEMO = {"expert_load"}  # no pool expert HANDLED a demo dispute


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_query_returns_the_columns_its_header_lists(
    demo_graph: EmbeddedBackend, name: str
) -> None:
    rows = run(demo_graph, name, **SAMPLES[name])
    assert rows or name in NOTHING_IN_THE_DEMO, f"{name} found nothing for its sample"
    assert all(tuple(row) == get_query(name).columns for row in rows)


def test_the_catalogue_in_docs_is_fresh() -> None:
    from queries.docs import DOCS, rewritten

    text = DOCS.read_text(encoding="utf-8")
    assert rewritten(text) == text, "the catalogue is stale: run `make docs`"
    for name in named_queries():
        assert name.startswith("research_") or f"### `{name}`" in text
