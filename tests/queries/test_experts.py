"""Expert pool: the planted conflict of interest on the demo, and the score on a small graph."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from graph.embedded import EmbeddedBackend
from queries.experts import ExcludedExpert, RankedExpert, ScorePart, expert_pool
from queries.explain import Contact, GraphPath, NodeRef, NotFound, RelRef
from queries.library import get_query, run
from queries.rules import load_rules

SISTER_IN_LAW = NodeRef("Person", "330421-P900001", "沈丽华")
PARTY = NodeRef("Person", "330421-P900002", "陆建国")
DISPUTE = NodeRef("Dispute", "330421-D900001", "陆某医疗损害赔偿纠纷")
TALENTS = NodeRef("ExpertPool", "330421-EP01", "嘉善县“三官三师”专业人才库")


@pytest.mark.slow
def test_the_sister_in_law_of_a_party_is_excluded_with_the_path(
    demo_graph: EmbeddedBackend,
) -> None:
    r = expert_pool(demo_graph, dispute_id="330421-D900001", as_of=date(2021, 12, 20), limit=3)
    assert (r.domains, r.dispute, r.place) == (
        ("medical",),
        DISPUTE,
        NodeRef("Grid", "330421-G0332", "武长村第1网格"),
    )
    mine = [x for x in r.excluded if x.expert == SISTER_IN_LAW]
    assert mine == [
        ExcludedExpert(
            expert=SISTER_IN_LAW,
            rule="conflict-of-interest",
            reason="330421-P900001 is tied to 330421-P900002, a party to 330421-D900001, "
            "within 1 of 3 hops",
            path=GraphPath(
                (SISTER_IN_LAW, PARTY, DISPUTE),
                (RelRef("RELATED_TO", True, "family 嫂子"), RelRef("PARTY_TO", True, "applicant")),
            ),
        )
    ]
    assert str(mine[0].path) == (
        "(Person 330421-P900001 沈丽华)-[:RELATED_TO family 嫂子]->(Person 330421-P900002 陆建国)"
        "-[:PARTY_TO applicant]->(Dispute 330421-D900001 陆某医疗损害赔偿纠纷)"
    )
    # Also out: the 69 staff of the respondent hospital (one hop) and the 63 colleagues of
    # the sister-in-law at 嘉善县第一人民医院 (three hops: family, then the same employer).
    assert Counter((x.rule, len(x.path) - 1) for x in r.excluded) == {
        ("conflict-of-interest", 1): 70,
        ("conflict-of-interest", 3): 63,
    }
    hospital = next(x for x in r.excluded if x.expert.key == "330421-P017410")
    assert str(hospital.path) == (
        "(Person 330421-P017410 顾静畅)-[:WORKS_IN]->(Organisation 330421-O002 嘉善县中医医院)"
        "-[:PARTY_TO respondent]->(Dispute 330421-D900001 陆某医疗损害赔偿纠纷)"
    )
    assert all(x.expert not in {e.expert for e in r.ranked} for x in r.excluded)
    assert [(e.rank, e.expert.key, e.score) for e in r.ranked] == [
        (1, "330421-P017415", 0.96),
        (2, "330421-P017420", 0.96),
        (3, "330421-P017424", 0.96),
    ]
    expert = NodeRef("Person", "330421-P017415", "张丹瑜")
    assert r.ranked[0] == RankedExpert(
        rank=1,
        expert=expert,
        score=0.96,
        parts=(
            ScorePart("domain", 1.0, 0.4, "medical of medical"),
            ScorePart("locality", 1.0, 0.25, "same town 330421111000"),
            ScorePart("load", 1.0, 0.15, "0 open disputes"),
            ScorePart("rating", 0.6, 0.1, "not rated yet"),
            ScorePart("availability", 1.0, 0.1, "in 330421-EP01 on the date"),
        ),
        domains=("medical",),
        pools=(TALENTS,),
        contact=Contact(expert, "医师", "13586714496", date(2020, 6, 22), None),
        rule="expert-score",
        path=GraphPath.at(NodeRef("Domain", "medical", "医疗纠纷"))
        .then(RelRef("HAS_EXPERTISE", False), expert)
        .then(RelRef("IN_POOL"), TALENTS),
    )


@pytest.mark.slow
def test_the_walk_from_the_dispute_finds_the_sister_in_law_through_the_applicant(
    demo_graph: EmbeddedBackend,
) -> None:
    rows = run(
        demo_graph,
        "expert_conflicts",
        dispute="330421-D900001",
        as_of=date(2021, 12, 20),
        related_kinds=["family", "colleague"],
    )
    assert rows and all(tuple(row) == get_query("expert_conflicts").columns for row in rows)
    mine = [r for r in rows if r["expert"] == SISTER_IN_LAW.key]
    assert [(r["steps"], r["keys"], r["rel_types"], r["kinds"], r["sides"]) for r in mine] == [
        (2, [PARTY.key], ["PARTY_TO", "RELATED_TO"], [None, "family"], ["applicant", None])
    ]
    # A party who is a person is found at one step: the applicant (the respondent is a hospital).
    assert {r["expert"] for r in rows if r["steps"] == 1} == {PARTY.key}


@pytest.mark.slow
def test_a_shallower_check_and_fewer_ties_exclude_fewer(demo_graph: EmbeddedBackend) -> None:
    rules = load_rules("330421")
    one_hop = rules.model_copy(update={"conflict": rules.conflict.model_copy(update={"depth": 1})})
    r = expert_pool(
        demo_graph, dispute_id="330421-D900001", as_of=date(2021, 12, 20), rules=one_hop
    )
    assert Counter(len(x.path) - 1 for x in r.excluded) == {1: 70}
    family_only = rules.model_copy(
        update={"conflict": rules.conflict.model_copy(update={"same_employer": False})}
    )
    r = expert_pool(
        demo_graph, dispute_id="330421-D900001", as_of=date(2021, 12, 20), rules=family_only
    )
    assert [x.expert for x in r.excluded] == [SISTER_IN_LAW]


@pytest.mark.slow
def test_pool_entries_follow_the_date(demo_graph: EmbeddedBackend) -> None:
    """On 2020-04-01 the medical pool did not exist yet and most doctors had not joined the
    talents pool (entries from 2020-03-01 to 2020-12-31)."""
    r = expert_pool(
        demo_graph, domains=("medical",), place="330421111000", as_of=date(2020, 4, 1), limit=3
    )
    assert Counter(x.rule for x in r.excluded) == {"not-available": 779}
    assert r.excluded[0] == ExcludedExpert(
        NodeRef("Person", "330421-P017405", "李涛峰"),
        "not-available",
        "330421-P017405 is in 330421-EP01 from 2020-06-26 to now, not on 2020-04-01",
        GraphPath.at(NodeRef("Person", "330421-P017405", "李涛峰")).then(
            RelRef("IN_POOL"), TALENTS
        ),
    )
    assert [(e.rank, e.expert.key, e.score) for e in r.ranked] == [
        (1, "330421-P017520", 0.96),
        (2, "330421-P017668", 0.96),
        (3, "330421-P017698", 0.96),
    ]


@pytest.mark.slow
def test_the_shared_tri_region_pool_is_optional(demo_graph: EmbeddedBackend) -> None:
    kw = {"domains": ("labour",), "place": "330421111000", "as_of": date(2021, 12, 31)}
    every = expert_pool(demo_graph, limit=5000, **kw)  # type: ignore[arg-type]
    local = expert_pool(demo_graph, limit=5000, include_shared=False, **kw)  # type: ignore[arg-type]
    shared = {
        e.expert.key
        for e in every.ranked
        if any(p.name == "locality" and p.detail.startswith("shared pool") for p in e.parts)
    }
    assert shared and shared.isdisjoint({e.expert.key for e in local.ranked})
    assert len(every.ranked) == len(local.ranked) + len(shared)


@pytest.mark.slow
def test_unknown_ids_and_bad_arguments(demo_graph: EmbeddedBackend) -> None:
    with pytest.raises(NotFound, match="no dispute with id 'D0'"):
        expert_pool(demo_graph, dispute_id="D0")
    with pytest.raises(NotFound, match="no grid or unit with key 'nowhere'"):
        expert_pool(demo_graph, domains=("medical",), place="nowhere")
    with pytest.raises(ValueError, match="needs domains"):
        expert_pool(demo_graph)
    with pytest.raises(ValueError, match=r"write domains=\('medical',\)"):
        expert_pool(demo_graph, domains="medical")
    with pytest.raises(ValueError, match="at least 1"):
        expert_pool(demo_graph, domains=("medical",), limit=0)
    assert expert_pool(demo_graph, domains=("astrology",)).ranked == ()


# -- the score, on a graph small enough to read -------------------------------------------------

SMALL = [
    "CREATE (:Unit {code: '330421000000', name: '嘉善县', level: 'county'})",
    "CREATE (:Unit {code: '330421111000', name: '姚庄镇', level: 'town'})",
    "CREATE (:Unit {code: '330421111206', name: '武长村', level: 'village'})",
    "CREATE (:Unit {code: '330421001001', name: '日晖社区', level: 'village'})",
    "CREATE (:Grid {id: 'g', name: '武长村网格', level: 1, kind: 'basic'})",
    "CREATE (:Domain {code: 'medical', name: '医疗纠纷'})",
    "CREATE (:ExpertPool {id: 'pool', name: '医疗专家库', shared: false})",
    "CREATE (:ExpertPool {id: 'delta', name: '长三角专家库', shared: true})",
    "CREATE (:Person {id: 'near', name: '张一'})",
    "CREATE (:Person {id: 'far', name: '李二'})",
    "CREATE (:Person {id: 'away', name: '王三'})",
    "CREATE (:Person {id: 'busy', name: '赵四'})",
    "CREATE (:Person {id: 'late', name: '钱五'})",
    "CREATE (:Person {id: 'party', name: '孙六'})",
    "CREATE (:Dispute {id: 'now', title: '某纠纷', reported_on: date('2021-06-01')})",
]
RELS = [
    ("Unit", "code", "330421111000", "PART_OF", "Unit", "code", "330421000000", ""),
    ("Unit", "code", "330421111206", "PART_OF", "Unit", "code", "330421111000", ""),
    ("Grid", "id", "g", "PART_OF", "Unit", "code", "330421111206", ""),
    ("Dispute", "id", "now", "OCCURRED_IN", "Grid", "id", "g", ""),
    ("Dispute", "id", "now", "IN_DOMAIN", "Domain", "code", "medical", ""),
    ("Person", "id", "party", "PARTY_TO", "Dispute", "id", "now", "{side: 'applicant'}"),
    ("Person", "id", "near", "LIVES_IN", "Unit", "code", "330421111206", ""),
    ("Person", "id", "far", "LIVES_IN", "Unit", "code", "330421001001", ""),
    ("Person", "id", "busy", "LIVES_IN", "Unit", "code", "330421111206", ""),
    ("Person", "id", "late", "LIVES_IN", "Unit", "code", "330421111206", ""),
    ("Person", "id", "away", "RELATED_TO", "Person", "id", "party", "{kind: 'neighbour'}"),
]


def _small(backend: EmbeddedBackend) -> None:
    statements = [(s, {}) for s in SMALL]
    for person in ("near", "far", "away", "busy", "late"):
        pool = "delta" if person == "away" else "pool"
        since = "2022-01-01" if person == "late" else "2020-01-01"
        statements += [
            (
                "MATCH (p:Person {id: $p}) MATCH (d:Domain {code: 'medical'}) "
                "CREATE (p)-[:HAS_EXPERTISE]->(d)",
                {"p": person},
            ),
            (
                "MATCH (p:Person {id: $p}) MATCH (x:ExpertPool {id: $pool}) "
                "CREATE (p)-[:IN_POOL {valid_from: date($since)}]->(x)",
                {"p": person, "pool": pool, "since": since},
            ),
        ]
    for a, ak, av, rel, b, bk, bv, props in RELS:
        statements.append(
            (
                f"MATCH (a:{a} {{{ak}: $a}}) MATCH (b:{b} {{{bk}: $b}}) "
                f"CREATE (a)-[:{rel} {props}]->(b)",
                {"a": av, "b": bv},
            )
        )
    # `near` handled two rated disputes (5 and 3) and one still open; `busy` eight open ones.
    handled = [
        ("near", "d1", "2021-01-05", "settled", 5),
        ("near", "d2", "2021-02-05", "settled", 3),
    ]
    handled += [("near", "d3", "2021-05-01", None, None)]
    handled += [("busy", f"b{i}", "2021-03-01", None, None) for i in range(8)]
    for person, key, day, outcome, score in handled:
        statements += [
            (
                "CREATE (:Dispute {id: $d, title: 't', reported_on: date($day), outcome: $o, "
                "satisfaction: $s, "
                "settled_on: CASE WHEN $o IS NULL THEN NULL ELSE date($day) END})",
                {"d": key, "day": day, "o": outcome, "s": score},
            ),
            (
                "MATCH (p:Person {id: $p}) MATCH (d:Dispute {id: $d}) CREATE (p)-[:HANDLED]->(d)",
                {"p": person, "d": key},
            ),
        ]
    backend.write(statements)


def test_each_part_of_the_score(backend: EmbeddedBackend) -> None:
    _small(backend)
    r = expert_pool(backend, dispute_id="now", as_of=date(2021, 6, 1))
    assert [(e.rank, e.expert.key, e.score) for e in r.ranked] == [
        (1, "near", 0.945),  # .4 + .25 same town + .15 × .8 (1 open of 5) + .1 × .75 + .1
        (2, "far", 0.86),  # .4 + .25 × .6 same county + .15 + .1 × .6 (not rated) + .1
        (3, "away", 0.785),  # .4 + .25 × .3 shared pool + .15 + .06 + .1
    ]
    near = r.ranked[0]
    assert near.parts == (
        ScorePart("domain", 1.0, 0.4, "medical of medical"),
        ScorePart("locality", 1.0, 0.25, "same town 330421111000"),
        ScorePart("load", 0.8, 0.15, "1 open disputes"),
        ScorePart("rating", 0.75, 0.1, "mean 4.00 of 2 ratings"),
        ScorePart("availability", 1.0, 0.1, "in pool on the date"),
    )
    assert [p.detail for p in r.ranked[1].parts][1] == "same county 330421000000"
    assert [p.detail for p in r.ranked[2].parts][1] == "shared pool delta"
    assert [(x.expert.key, x.rule, x.reason) for x in r.excluded] == [
        ("late", "not-available", "late is in pool from 2022-01-01 to now, not on 2021-06-01"),
        ("busy", "overloaded", "busy handles 8 open disputes (at most 7)"),
    ]


def test_a_neighbour_tie_counts_only_when_the_rules_say_so(backend: EmbeddedBackend) -> None:
    _small(backend)
    rules = load_rules()
    neighbours = rules.model_copy(
        update={
            "conflict": rules.conflict.model_copy(update={"related_kinds": ("family", "neighbour")})
        }
    )
    r = expert_pool(backend, dispute_id="now", as_of=date(2021, 6, 1), rules=neighbours)
    assert r.excluded[0] == ExcludedExpert(
        NodeRef("Person", "away", "王三"),
        "conflict-of-interest",
        "away is tied to party, a party to now, within 1 of 3 hops",
        GraphPath(
            (
                NodeRef("Person", "away", "王三"),
                NodeRef("Person", "party", "孙六"),
                NodeRef("Dispute", "now", "某纠纷"),
            ),
            (RelRef("RELATED_TO", True, "neighbour"), RelRef("PARTY_TO", True, "applicant")),
        ),
    )


# -- a party who is also a candidate ------------------------------------------------------------


def _party_in_the_pool(backend: EmbeddedBackend, *, tied: bool) -> None:
    """The small graph, and a second party to `now` who is a medical expert in the pool:
    `pp` (respondent), who works at the clinic where `far` works too; `tied`: and is the
    sister of `party`, the applicant."""
    _small(backend)
    statements = [
        ("CREATE (:Person {id: 'pp', name: '周七'})", {}),
        ("CREATE (:Organisation {id: 'clinic', name: '某诊所'})", {}),
        (
            "MATCH (p:Person {id: 'pp'}) MATCH (d:Domain {code: 'medical'}) "
            "CREATE (p)-[:HAS_EXPERTISE]->(d)",
            {},
        ),
        (
            "MATCH (p:Person {id: 'pp'}) MATCH (x:ExpertPool {id: 'pool'}) "
            "CREATE (p)-[:IN_POOL {valid_from: date('2020-01-01')}]->(x)",
            {},
        ),
        (
            "MATCH (p:Person {id: 'pp'}) MATCH (d:Dispute {id: 'now'}) "
            "CREATE (p)-[:PARTY_TO {side: 'respondent'}]->(d)",
            {},
        ),
        (
            "MATCH (p:Person) MATCH (o:Organisation {id: 'clinic'}) WHERE p.id IN ['pp', 'far'] "
            "CREATE (p)-[:WORKS_IN {valid_from: date('2019-01-01')}]->(o)",
            {},
        ),
    ]
    if tied:
        statements.append(
            (
                "MATCH (a:Person {id: 'party'}) MATCH (b:Person {id: 'pp'}) "
                "CREATE (a)-[:RELATED_TO {kind: 'family', relation: '姐姐'}]->(b)",
                {},
            )
        )
    backend.write(statements)


PP = NodeRef("Person", "pp", "周七")
NOW = NodeRef("Dispute", "now", "某纠纷")


def test_a_party_in_the_pool_is_excluded_for_being_a_party(backend: EmbeddedBackend) -> None:
    """No one is an expert in their own dispute: `pp`, the respondent, is out at 0 hops, and
    `far`, her colleague, for the tie to her (two hops to a party)."""
    _party_in_the_pool(backend, tied=False)
    r = expert_pool(backend, dispute_id="now", as_of=date(2021, 6, 1), limit=10)
    assert [(e.rank, e.expert.key, e.score) for e in r.ranked] == [
        (1, "near", 0.945),
        (2, "away", 0.785),
    ]
    far = NodeRef("Person", "far", "李二")
    clinic = NodeRef("Organisation", "clinic", "某诊所")
    conflicts = [x for x in r.excluded if x.rule == "conflict-of-interest"]
    assert sorted(conflicts, key=lambda x: x.expert.key) == [
        ExcludedExpert(
            far,
            "conflict-of-interest",
            "far is tied to pp, a party to now, within 2 of 3 hops",
            GraphPath(
                (far, clinic, PP, NOW),
                (
                    RelRef("WORKS_IN"),
                    RelRef("WORKS_IN", False),
                    RelRef("PARTY_TO", True, "respondent"),
                ),
            ),
        ),
        ExcludedExpert(
            PP,
            "conflict-of-interest",
            "pp is a party to now",
            GraphPath((PP, NOW), (RelRef("PARTY_TO", True, "respondent"),)),
        ),
    ]


def test_a_party_also_tied_to_another_party_is_excluded_for_being_a_party(
    backend: EmbeddedBackend,
) -> None:
    _party_in_the_pool(backend, tied=True)
    r = expert_pool(backend, dispute_id="now", as_of=date(2021, 6, 1), limit=10)
    assert "pp" not in {e.expert.key for e in r.ranked}
    assert [x for x in r.excluded if x.expert == PP] == [
        ExcludedExpert(
            PP,
            "conflict-of-interest",
            "pp is a party to now",
            GraphPath((PP, NOW), (RelRef("PARTY_TO", True, "respondent"),)),
        )
    ]
    # `far` is two hops from `pp` and three from `party`: the shorter tie is the reason.
    assert [x.reason for x in r.excluded if x.expert.key == "far"] == [
        "far is tied to pp, a party to now, within 2 of 3 hops"
    ]


def test_a_tie_through_a_later_dispute_counts_from_its_report_day(
    backend: EmbeddedBackend,
) -> None:
    """`near` and the applicant are parties to a dispute reported on 2021-09-01. Before then
    that tie does not count, and the longer one through the applicant's employer is the
    reason (the walk from the dispute finds the shorter one first and must look again)."""
    _small(backend)
    backend.write(
        [
            (
                "CREATE (:Dispute {id: 'later', title: '后来的纠纷', "
                "reported_on: date('2021-09-01')})",
                {},
            ),
            ("CREATE (:Organisation {id: 'co', name: '某公司'})", {}),
            ("CREATE (:Person {id: 'x', name: '吴八'})", {}),
            (
                "MATCH (p:Person {id: 'party'}) MATCH (d:Dispute {id: 'later'}) "
                "CREATE (p)-[:PARTY_TO {side: 'applicant'}]->(d)",
                {},
            ),
            (
                "MATCH (p:Person {id: 'near'}) MATCH (d:Dispute {id: 'later'}) "
                "CREATE (p)-[:PARTY_TO {side: 'respondent'}]->(d)",
                {},
            ),
            (
                "MATCH (p:Person) MATCH (o:Organisation {id: 'co'}) WHERE p.id IN ['party', 'x'] "
                "CREATE (p)-[:WORKS_IN {valid_from: date('2019-01-01')}]->(o)",
                {},
            ),
            (
                "MATCH (a:Person {id: 'x'}) MATCH (b:Person {id: 'near'}) "
                "CREATE (a)-[:RELATED_TO {kind: 'family', relation: '哥哥'}]->(b)",
                {},
            ),
        ]
    )
    near = NodeRef("Person", "near", "张一")
    party = NodeRef("Person", "party", "孙六")
    before = expert_pool(backend, dispute_id="now", as_of=date(2021, 6, 1))
    assert [x for x in before.excluded if x.expert == near] == [
        ExcludedExpert(
            near,
            "conflict-of-interest",
            "near is tied to party, a party to now, within 3 of 3 hops",
            GraphPath(
                (
                    near,
                    NodeRef("Person", "x", "吴八"),
                    NodeRef("Organisation", "co", "某公司"),
                    party,
                    NOW,
                ),
                (
                    RelRef("RELATED_TO", False, "family 哥哥"),
                    RelRef("WORKS_IN"),
                    RelRef("WORKS_IN", False),
                    RelRef("PARTY_TO", True, "applicant"),
                ),
            ),
        )
    ]
    after = expert_pool(backend, dispute_id="now", as_of=date(2021, 9, 1))
    assert [str(x.path) for x in after.excluded if x.expert == near] == [
        "(Person near 张一)-[:PARTY_TO respondent]->(Dispute later 后来的纠纷)"
        "<-[:PARTY_TO applicant]-(Person party 孙六)-[:PARTY_TO applicant]->(Dispute now 某纠纷)"
    ]
    rules = load_rules()
    no_past = rules.model_copy(
        update={"conflict": rules.conflict.model_copy(update={"past_dispute": False})}
    )
    r = expert_pool(backend, dispute_id="now", as_of=date(2021, 9, 1), rules=no_past)
    assert [len(x.path) - 1 for x in r.excluded if x.expert == near] == [3]
