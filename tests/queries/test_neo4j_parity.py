"""Parity on the demo counties: the embedded store and Neo4j hold the same graph and give the
same answers.

The demo (嘉善 and 景宁) is loaded into both as tests/conftest.py loads it (`demo_graph`,
`neo4j_demo`). Then every named query, in the text each backend runs (its `.neo4j.cypher`
variant where one exists), and every headline answer (referral, expert pool, escalation path,
the research catalogue and its brokers) is asked of both for 50 subjects (grids, disputes,
units, places, domains, list items…), spread over both counties, and the answers compared
whole. A query about a county has the demo's two counties as its subjects: each is asked
about on 10 days (or report-day windows). A query without parameters is asked once. A query
the demo cannot answer (EMPTY_ON_THE_DEMO) is compared on the examples graph.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from graph.backend import Backend
from graph.dump import dump
from graph.embedded import EmbeddedBackend
from loaders.load import load
from queries.brokerage import brokers
from queries.escalation import escalation_path
from queries.experts import expert_pool
from queries.library import get_query, named_queries
from queries.referral import DisputeDescription, referral

pytestmark = pytest.mark.slow

SUBJECTS = 50
COUNTY_DAYS = 10  # the days each county is asked about
COUNTY_LEVEL = {"county", "other", "as_of", "start", "until"}  # a county query's parameters
QUERIES = Path(__file__).resolve().parents[2] / "queries"
JIASHAN, JINGNING = "330421000000", "331127000000"


def spread(values: list[Any], n: int = SUBJECTS) -> list[Any]:
    """`n` of `values` (all of them if fewer), evenly spaced, so both counties are in."""
    if len(values) <= n:
        return values
    return [values[i * len(values) // n] for i in range(n)]


def keys(graph: Backend, query: str) -> list[Any]:
    return [r["k"] for r in graph.read(query + " ORDER BY k")]


def chain_of(code: str) -> list[str]:
    """A unit's code and the codes above it: village, town, county, city, province."""
    cuts = [12, 9, 6, 4, 2]
    found = [code[:cut].ljust(12, "0") for cut in cuts]
    return list(dict.fromkeys(c for c in found if c >= found[-1]))


# The days asked about: posts begin 2017–2021 in the demo and disputes are reported in 2021.
DAYS = [date(2016, 7, 1) + timedelta(days=61 * i) for i in range(SUBJECTS)]
WINDOWS = [(date(2021, 1, 1) + timedelta(days=7 * i), date(2021, 3, 1) + timedelta(days=6 * i))
           for i in range(SUBJECTS)]  # fmt: skip


# Named queries whose every answer on the demo is empty, and why. The examples graph
# (fixtures/examples) answers them: they are compared there.
EMPTY_ON_THE_DEMO = {"expert_load": "no expert of the demo has handled a dispute"}
PLANTED = "330421-D900001"  # the demo's planted conflict of interest (fixtures/gen_jiashan.py)
WAGES = "320509-D900001"  # 吴江's wage dispute at a supervised factory (fixtures/gen_wujiang.py)


def values_of(graph: Backend) -> dict[str, list[Any]]:
    """For each $parameter of a named query, the values asked about, from `graph`."""
    grids = keys(graph, "MATCH (g:Grid) RETURN g.id AS k")
    villages = keys(graph, "MATCH (u:Unit) WHERE u.level = 'village' RETURN u.code AS k")
    units = keys(graph, "MATCH (u:Unit) RETURN u.code AS k")
    disputes = keys(graph, "MATCH (d:Dispute)-[:OCCURRED_IN]->(:Grid) RETURN d.id AS k")
    disputes = list(
        dict.fromkeys([d for d in [PLANTED, WAGES] if d in disputes] + spread(disputes))
    )
    disputes = disputes[:SUBJECTS]
    domains = keys(graph, "MATCH (d:Domain) RETURN d.code AS k")
    items = keys(graph, "MATCH (i:ListItem) RETURN i.id AS k")
    classes = keys(graph, "MATCH (i:ListItem) RETURN DISTINCT i.item_class AS k")
    organisations = keys(graph, "MATCH (o:Organisation) RETURN o.id AS k")
    supervised = keys(
        graph, "MATCH (o:Organisation)<-[:SUPERVISES]-(:Grid) RETURN DISTINCT o.id AS k"
    )
    # each dispute's candidates: the experts of its domain, as expert_pool asks about them
    candidates = {
        r["d"]: sorted(r["e"])
        for r in graph.read(
            "MATCH (d:Dispute)-[:IN_DOMAIN]->(:Domain)<-[:HAS_EXPERTISE]-(e:Person)"
            "-[:IN_POOL]->(:ExpertPool) WHERE d.id IN $ds RETURN d.id AS d, collect(e.id) AS e",
            {"ds": disputes},
        )
    }
    grid_spread = spread(grids)
    return {
        "county": [JIASHAN, JINGNING],
        "grid": grid_spread,
        "grids": [grid_spread[i : i + 3] for i in range(len(grid_spread))],
        "unit": spread(units),
        "units": [chain_of(v) for v in spread(villages)],
        "place": spread(grids, 20) + spread(units, 20) + spread(organisations, 10),
        "dispute": disputes,
        "experts": [candidates.get(d, []) for d in disputes],
        "domains": [[d] for d in domains] + [domains[i : i + 2] for i in range(len(domains))],
        "item": ["", *spread(items, SUBJECTS - 1)],
        "category": ["", *domains],
        "item_class": classes,
        "as_of": DAYS,
        # a year of visits, ending on days through 2021 (a dispute's own day inside or not)
        "since": [date(2020, 1, 1) + timedelta(days=30 * i) for i in range(SUBJECTS)],
        "until": [date(2021, 1, 1) + timedelta(days=30 * i) for i in range(SUBJECTS)],
        "mediation_kinds": [["people"]],
        "industry_kinds": [["industry"]],
        "court": ["court"],
        "ties": [["RELATED_TO", "WORKS_IN", "MEMBER_OF", "PARTY_TO"], ["RELATED_TO"]],
        "related_kinds": [["family", "colleague"], ["family"], []],
        "code": domains,
        "orgs": [[o] for o in spread(supervised, 10)] + [spread(organisations, 3), []],
        "households": [300, 250],
        "residents": [1000],
        "slack": [0.2, 0.0, 0.1],
    }


@pytest.fixture(scope="module")
def values(demo_graph: EmbeddedBackend) -> dict[str, list[Any]]:
    return values_of(demo_graph)


def subjects(name: str, values: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The parameter sets `name` is asked with: SUBJECTS of them, or every distinct one."""
    wanted = get_query(name).parameters
    if wanted and set(wanted) <= COUNTY_LEVEL:
        return [
            county_subject(wanted, county, i)
            for county in (JIASHAN, JINGNING)
            for i in range(0, SUBJECTS, SUBJECTS // COUNTY_DAYS)
        ]
    missing = [p for p in wanted if p not in values and p != "other"]
    assert not missing, f"{name}: add values for {missing} to `values` in {__file__}"
    found: dict[str, dict[str, Any]] = {}
    for i in range(SUBJECTS):
        params = {p: values[p][i % len(values[p])] for p in wanted if p != "other"}
        if "other" in wanted:  # the county compared with: the other one
            params["other"] = JINGNING if params["county"] == JIASHAN else JIASHAN
        found.setdefault(repr(sorted(params.items())), params)
    return list(found.values())


def county_subject(wanted: tuple[str, ...], county: str, i: int) -> dict[str, Any]:
    """The parameters of a county query about `county` on day (or window) `i`."""
    given = {
        "county": county,
        "other": JINGNING if county == JIASHAN else JIASHAN,
        "as_of": DAYS[i],
        "start": WINDOWS[i][0],
        "until": WINDOWS[i][1],
    }
    return {p: given[p] for p in wanted}


def text_for(name: str, graph: Backend) -> str:
    """The text `graph` runs: its dialect's variant where one exists."""
    return get_query(name, getattr(graph, "dialect", None)).text


def canonical(rows: list[dict[str, Any]]) -> list[str]:
    """Rows in an order-free, float-tolerant form: equal answers give equal lists. A walk's
    internal node ids (`node_ids`, `rel_starts`), which each store numbers its own way, become
    positions in the walk ("end" for one of its ends, which the row does not list)."""

    def value(v: Any) -> Any:
        if isinstance(v, float):
            return round(v, 9)
        if isinstance(v, list):
            return [value(x) for x in v]
        if isinstance(v, dict):
            return {k: value(x) for k, x in v.items()}
        return v

    def positions(row: dict[str, Any]) -> dict[str, Any]:
        if "node_ids" not in row:
            return row
        at = {repr(node): i for i, node in enumerate(row["node_ids"])}
        starts = [at.get(repr(node), "end") for node in row["rel_starts"]]
        return {**row, "node_ids": list(range(len(at))), "rel_starts": starts}

    return sorted(repr(sorted((k, value(v)) for k, v in positions(r).items())) for r in rows)


_EMBEDDED: dict[str, list[str]] = {}  # canonical answers of the demo graph, by query and params


def on_the_demo(graph: EmbeddedBackend, name: str, params: dict[str, Any]) -> list[str]:
    """The demo graph's answer, asked once for both tests that need it."""
    key = name + repr(sorted(params.items()))
    if key not in _EMBEDDED:
        _EMBEDDED[key] = canonical(graph.read(text_for(name, graph), params))
    return _EMBEDDED[key]


def compare(asked: list[Any], embedded: Callable[[Any], Any], neo4j: Callable[[Any], Any]) -> int:
    """Ask both about every subject; fail on the first that differs. How many answers were
    not empty (a comparison of empty answers alone would prove nothing)."""
    answered = 0
    for subject in asked:
        mine, theirs = embedded(subject), neo4j(subject)
        assert theirs == mine, f"Neo4j differs from the embedded store for {subject!r}"
        answered += bool(mine)
    return answered


# -- the examples graph: what the demo cannot ask ----------------------------------------


def test_both_backends_hold_the_examples_and_answer_what_the_demo_cannot(
    examples_graph: EmbeddedBackend, neo4j_backend: Backend, example_files: list[Path]
) -> None:
    """The examples graph (fixtures/examples) on both stores, and the queries whose every
    answer on the demo is empty (EMPTY_ON_THE_DEMO), which it answers."""
    assert load(neo4j_backend, example_files).rejects == []
    assert dump(neo4j_backend) == dump(examples_graph)
    values = values_of(examples_graph)
    for name in EMPTY_ON_THE_DEMO:
        answered = compare(
            subjects(name, values),
            lambda p, name=name: canonical(examples_graph.read(text_for(name, examples_graph), p)),
            lambda p, name=name: canonical(neo4j_backend.read(text_for(name, neo4j_backend), p)),
        )
        assert answered, f"{name} answers nothing on the examples either"


# -- the demo graph --------------------------------------------------------------------------


def test_the_demo_graph_is_the_same_on_both(
    demo_graph: EmbeddedBackend, neo4j_demo: Backend
) -> None:
    embedded = dump(demo_graph)
    assert sum(map(len, embedded.values())) > 300_000
    assert dump(neo4j_demo) == embedded


# -- every named query -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_every_named_query_runs_on_the_demo_graph(
    demo_graph: EmbeddedBackend, values: dict[str, list[Any]], name: str
) -> None:
    """The embedded half, which runs without Neo4j: each query answers for its subjects, and
    not only with nothing."""
    asked = subjects(name, values)
    answers = [on_the_demo(demo_graph, name, p) for p in asked]
    if name in EMPTY_ON_THE_DEMO:
        assert not any(answers), f"{name} answers on the demo now: drop it from EMPTY_ON_THE_DEMO"
    else:
        assert any(answers), f"{name} answered nothing for all {len(asked)} subjects"


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_both_backends_answer_every_named_query_alike(
    demo_graph: EmbeddedBackend, neo4j_demo: Backend, values: dict[str, list[Any]], name: str
) -> None:
    asked = subjects(name, values)
    answered = compare(
        asked,
        lambda p: on_the_demo(demo_graph, name, p),
        lambda p: canonical(neo4j_demo.read(text_for(name, neo4j_demo), p)),
    )
    assert answered or name in EMPTY_ON_THE_DEMO, f"{name} answered nothing for {len(asked)}"


# -- the headline answers --------------------------------------------------------------------


def both(
    demo_graph: EmbeddedBackend, neo4j_demo: Backend, ask: Callable[[Backend, Any], Any]
) -> Iterator[Callable[[Any], Any]]:
    yield lambda subject: asdict(ask(demo_graph, subject))
    yield lambda subject: asdict(ask(neo4j_demo, subject))


def test_referrals_are_the_same(
    demo_graph: EmbeddedBackend, neo4j_demo: Backend, values: dict[str, list[Any]]
) -> None:
    asked = list(zip(values["dispute"], DAYS, strict=True))
    answered = compare(
        asked,
        *both(demo_graph, neo4j_demo, lambda g, s: referral(g, dispute_id=s[0], as_of=s[1])),
    )
    assert answered == len(asked)


def test_referrals_of_described_disputes_are_the_same(
    demo_graph: EmbeddedBackend, neo4j_demo: Backend, values: dict[str, list[Any]]
) -> None:
    categories = values["category"][1:]
    asked = [
        DisputeDescription(
            place=place,
            category=categories[i % len(categories)],
            parties=2 + i % 12,
            reported_on=date(2021, 6, 1),
        )
        for i, place in enumerate(values["grid"])
    ]
    answered = compare(
        asked,
        *both(demo_graph, neo4j_demo, lambda g, s: referral(g, description=s, as_of=s.reported_on)),
    )
    assert answered == len(asked)


def test_expert_pools_are_the_same(
    demo_graph: EmbeddedBackend, neo4j_demo: Backend, values: dict[str, list[Any]]
) -> None:
    asked = list(zip(values["dispute"], DAYS, strict=True))
    answered = compare(
        asked,
        *both(demo_graph, neo4j_demo, lambda g, s: expert_pool(g, dispute_id=s[0], as_of=s[1])),
    )
    assert answered == len(asked)


def test_expert_pools_by_domain_and_place_are_the_same(
    demo_graph: EmbeddedBackend, neo4j_demo: Backend, values: dict[str, list[Any]]
) -> None:
    domains, places = values["domains"], values["place"]
    asked = [(domains[i % len(domains)], places[i % len(places)], DAYS[i]) for i in range(SUBJECTS)]

    def ask(graph: Backend, s: tuple[list[str], str, date]) -> Any:
        # An organisation is no place for a pool: ask without one.
        place = None if re.match(r"\d+-O\d", s[1]) else s[1]
        return expert_pool(graph, domains=s[0], place=place, as_of=s[2])

    answered = compare(asked, *both(demo_graph, neo4j_demo, ask))
    assert answered == len(asked)


def test_escalation_paths_are_the_same(
    demo_graph: EmbeddedBackend, neo4j_demo: Backend, values: dict[str, list[Any]]
) -> None:
    asked = [("grid", g, day) for g, day in zip(values["grid"], DAYS, strict=True)]
    asked += [("dispute", d, day) for d, day in zip(values["dispute"], DAYS, strict=True)]

    def ask(graph: Backend, s: tuple[str, str, date]) -> Any:
        kind, key, day = s
        if kind == "grid":
            return escalation_path(graph, grid_id=key, as_of=day)
        return escalation_path(graph, dispute_id=key, as_of=day)

    answered = compare(asked, *both(demo_graph, neo4j_demo, ask))
    assert answered == len(asked)


def test_brokers_are_the_same(demo_graph: EmbeddedBackend, neo4j_demo: Backend) -> None:
    """The research catalogue's one answer computed in Python, on each county and day."""
    asked = [(c["county"], c["as_of"]) for c in subjects("research_brokerage_ties", {})]
    answered = compare(
        asked,
        lambda s: [asdict(b) for b in brokers(demo_graph, county=s[0], as_of=s[1])],
        lambda s: [asdict(b) for b in brokers(neo4j_demo, county=s[0], as_of=s[1])],
    )
    assert answered >= COUNTY_DAYS
