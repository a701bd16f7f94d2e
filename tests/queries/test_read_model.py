"""The read model (queries.read_model) against Cypher: for every named query it answers and
every parameter value the graph holds (and a few it does not), the same rows; read again after
a load changes the structure, not after a dispute's workflow event."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from graph.backend import Row
from graph.embedded import EmbeddedBackend
from graph.labels import EVERYTHING, read_by
from graph.schema import SCHEMA
from queries import read_model
from queries.calendar import CHINA_TIME, china_calendar
from queries.escalation import escalation_path
from queries.library import get_query, run
from queries.rules import load_rules
from workflow.model import Caller, Command, Facts, Ref
from workflow.store import EventStore, Outcome

RULES = load_rules("330421").referral
MISSING = ["no-such-key", "", "330421999999"]
# Days before, on the ends of and after the validity the fixtures give (`_add_validity`), and
# none (Cypher's null: only what has neither date holds).
DAYS = [date(2015, 6, 1), date(2020, 6, 1), date(2022, 12, 31), date(2023, 1, 1), None]


def _key(row: Row) -> str:
    return repr(sorted(row.items()))


def _same(graph: EmbeddedBackend, model: read_model.ReadModel, name: str, **params: Any) -> int:
    """The model's rows of `name` equal its Cypher's (as a bag: none of these orders)."""
    query = get_query(name)
    cypher = graph.read(query.text, params)
    mine = read_model.ANSWERS[name](model, params)
    assert mine is not None, name
    assert sorted(mine, key=_key) == sorted(cypher, key=_key), (name, params)
    assert all(list(row) == list(query.columns) for row in mine), name
    return len(cypher)


def _column(graph: EmbeddedBackend, text: str) -> list[Any]:
    return [r["k"] for r in graph.read(text)]


def assert_parity(graph: EmbeddedBackend) -> None:
    """Every answered query, every parameter value there is, and some there are not."""
    model = read_model.ReadModel(graph)
    grids = _column(graph, "MATCH (g:Grid) RETURN g.id AS k ORDER BY k")
    units = _column(graph, "MATCH (u:Unit) RETURN u.code AS k ORDER BY k")
    orgs = _column(graph, "MATCH (o:Organisation) RETURN o.id AS k ORDER BY k")
    domains = _column(graph, "MATCH (d:Domain) RETURN d.code AS k ORDER BY k")
    items = _column(graph, "MATCH (i:ListItem) RETURN i.id AS k ORDER BY k")
    classes = _column(graph, "MATCH (i:ListItem) RETURN DISTINCT i.item_class AS k")
    assert grids and units and domains and items
    for day in DAYS:
        for grid in [*grids, *MISSING]:
            _same(graph, model, "grid_step", grid=grid, as_of=day)
        for unit in [*units, *MISSING]:
            _same(graph, model, "unit_step", unit=unit, as_of=day)
        _bodies_same(graph, model, grids, units, day)
    for key in [*grids, *units, *orgs, *MISSING]:
        _same(graph, model, "place", place=key)
    for key in [*grids, *units, *MISSING]:
        _same(graph, model, "place_units", place=key)
    # A list parameter: each anchor's rows carry the anchor, so one read of every anchor (one
    # twice, and some that name nothing) compares each anchor's rows.
    every_grid = [*grids, grids[0], *MISSING]
    for name in ("grid_teams", "grid_party_orgs"):
        assert _same(graph, model, name, grids=every_grid) > 0, name
        _same(graph, model, name, grids=[])
    for item in [*items, *MISSING]:
        _same(graph, model, "referral_item", item=item, category="", item_class="")
    for code in [*domains, *MISSING]:
        _same(graph, model, "domain", code=code)
        for item_class in [*classes, RULES.item_class, ""]:
            _same(graph, model, "referral_item", item="", category=code, item_class=item_class)
        _same(
            graph, model, "referral_item", item=items[0], category=code, item_class=RULES.item_class
        )
        _same(graph, model, "expert_candidates", domains=[code])
    assert _same(graph, model, "expert_candidates", domains=[*domains, *MISSING]) > 0
    _same(graph, model, "expert_candidates", domains=[])
    assert _same(graph, model, "pool_places") > 0
    assert _same(graph, model, "professional_grids", orgs=[*orgs, orgs[0], *MISSING]) > 0
    _same(graph, model, "professional_grids", orgs=[])


def _bodies_same(
    graph: EmbeddedBackend,
    model: read_model.ReadModel,
    grids: list[str],
    units: list[str],
    day: date | None,
) -> None:
    """The body queries that take $as_of, on `day`, for every anchor at once."""
    every_grid = [*grids, grids[0], *MISSING]
    every_unit = [*units, units[0], *MISSING]
    assert _same(graph, model, "liaison_bodies", grids=every_grid, as_of=day) > 0
    _same(graph, model, "liaison_bodies", grids=[], as_of=day)
    assert _same(graph, model, "ladder_stationed_departments", units=every_unit, as_of=day) > 0
    for kinds in (list(RULES.mediation_kinds), [*RULES.mediation_kinds, "industry"], []):
        for court in (RULES.court_function, "no-such-function"):
            _same(
                graph,
                model,
                "ladder_unit_bodies",
                units=every_unit,
                as_of=day,
                mediation_kinds=kinds,
                court=court,
            )
            _same(
                graph,
                model,
                "referral_unit_bodies",
                units=every_unit,
                as_of=day,
                mediation_kinds=kinds,
                industry_kinds=list(RULES.industry_kinds) if kinds else kinds,
                court=court,
            )


def test_every_answered_query_reads_only_what_the_model_holds() -> None:
    for name in read_model.ANSWERS:
        query = get_query(name)
        assert EVERYTHING not in read_by(query.text), name
        assert read_by(query.text) <= read_model.HELD, (name, read_by(query.text))
        assert "ORDER BY" not in query.text.upper(), name  # compared as bags below


def test_the_ties_are_held_only_the_ways_the_answers_walk_them(
    examples_graph: EmbeddedBackend,
) -> None:
    """Each type from its start, its end or both (`FROM_START`, `FROM_END`): every type read
    is walked some way, and a way not held fails rather than finding nothing."""
    model = read_model.ReadModel(examples_graph)
    assert (set(model.out), set(model.into)) == (read_model.FROM_START, read_model.FROM_END)
    assert {*read_model.TIES, "LIVES_IN"} == read_model.FROM_START | read_model.FROM_END
    assert model.incoming("SERVES_IN", "Grid", "330421001001-G01", "Person") != []
    with pytest.raises(KeyError):
        model.outgoing("SERVES_IN", "Person", "JS-P-0002", "Grid")


def test_a_ties_ends_are_the_keys_the_model_holds_of_their_nodes(
    examples_graph: EmbeddedBackend,
) -> None:
    """One string per node, its key, at each end of each of its ties (not one per tie)."""
    model = read_model.ReadModel(examples_graph)
    held = {label: {key: key for key in nodes} for label, nodes in model.nodes.items()}
    ends = [
        (label, key)
        for table in (model.out, model.into)
        for ties in table.values()
        for (start_label, start), found in ties.items()
        for label, key in [(start_label, start), *((lb, k) for lb, k, _ in found)]
    ]
    assert len(ends) > 100
    assert [(label, key) for label, key in ends if held[label].get(key) is not key] == []


def test_the_ties_held_are_the_ties_read_in_their_order(examples_graph: EmbeddedBackend) -> None:
    """However the model holds a type's ties (`read_model._Ties`), each node's are the ties
    read, in the order read, whether taken as a mapping, walked (`ties_out`, `ties_in`) or
    counted; a node with none has none."""
    model = read_model.ReadModel(examples_graph)
    with read_model._Reader.of(examples_graph) as read:
        every = {t: read.ties(t, read_model._PeopleRead(read.held)) for t in read_model.TIES}
        every["LIVES_IN"] = read.homes_of_experts()
    compared = 0
    for type_, ties in every.items():
        for table, walk, ends in (
            (model.out, model.ties_out, lambda a, b: (a, b)),
            (model.into, model.ties_in, lambda a, b: (b, a)),
        ):
            if type_ not in table:
                continue
            read_ties: dict[tuple[str, str], list[read_model.Tie]] = {}
            for a_label, a, b_label, b, props in ties:
                node, far = ends((a_label, a), (b_label, b))
                read_ties.setdefault(node, []).append((*far, props))
            held = table[type_]
            assert {node: list(found) for node, found in held.items()} == read_ties, type_
            assert len(held) == len(read_ties), type_
            for (label, key), found in read_ties.items():
                assert list(walk(type_, label, key)) == found, (type_, label, key)
                assert held.count(label, key) == len(found), (type_, label, key)
                compared += len(found)
            assert list(walk(type_, "Grid", "no-such-key")) == []
            assert held.count("Grid", "no-such-key") == 0
            assert held.get(("Grid", "no-such-key")) is None
    assert compared > 50


def test_a_grids_team_walked_in_the_model_is_cyphers(examples_graph: EmbeddedBackend) -> None:
    """`ties_in("SERVES_IN", "Grid", …)`, which the GraphQL team reads
    (api.graphql.dataloaders), gives each post into the grid with its role and days."""
    model = read_model.ReadModel(examples_graph)
    grids = _column(examples_graph, "MATCH (g:Grid) RETURN g.id AS k ORDER BY k")
    served = 0
    for grid in [*grids, *MISSING]:
        cypher = examples_graph.read(
            "MATCH (p:Person)-[r:SERVES_IN]->(g:Grid {id: $grid}) RETURN p.id AS person, "
            "r.role AS role, r.valid_from AS valid_from, r.valid_to AS valid_to",
            {"grid": grid},
        )
        mine = [
            {
                "person": key,
                "role": props.get("role"),
                "valid_from": props.get("valid_from"),
                "valid_to": props.get("valid_to"),
            }
            for label, key, props in model.ties_in("SERVES_IN", "Grid", grid)
            if label == "Person"
        ]
        assert sorted(mine, key=_key) == sorted(cypher, key=_key), grid
        served += len(cypher)
    every = examples_graph.read("MATCH (:Person)-[r:SERVES_IN]->(:Grid) RETURN count(r) AS n")
    assert served == every[0]["n"] > 0


# -- a small graph: the examples, with grids nested four deep --------------------------------

VILLAGE = "330421001001"
# N4 → N3 → N2 → N1 → the village → its town → the county
NESTED_UNITS = [("330421000000", 6), ("330421001000", 5), (VILLAGE, 4)]


def _add_nested(graph: EmbeddedBackend) -> None:
    """Grids N1 ⊂ N2 ⊂ N3 ⊂ N4 under the village, N4 reaching it only through the grids
    above it; N3b in N2 and in the village at once; a team member serving twice. N2 ends with
    2022 and N2r, in N1 from 2023, takes N3 on."""
    grid = SCHEMA.node("Grid")
    rows: list[Row] = [
        {"id": f"N{i}", "name": f"嵌套网格{i}", "level": i, "kind": "micro" if i > 1 else "basic"}
        for i in (1, 2, 3, 4)
    ]
    rows.append({"id": "N3b", "name": "嵌套网格3b", "level": 3, "kind": "micro"})
    rows.append({"id": "N2r", "name": "嵌套网格2r", "level": 2, "kind": "micro"})
    for row in rows:  # N2 is redrawn as N2r from 2023
        row["valid_from"] = date(2023, 1, 1) if row["id"] == "N2r" else None
        row["valid_to"] = date(2022, 12, 31) if row["id"] == "N2" else None
    graph.upsert_nodes(grid, rows, bulk=False)
    part_of = [("N1", VILLAGE, "Unit"), ("N2", "N1", "Grid"), ("N3", "N2", "Grid")]
    part_of += [("N2r", "N1", "Grid"), ("N3", "N2r", "Grid")]
    part_of += [("N4", "N3", "Grid"), ("N3b", "N2", "Grid"), ("N3b", VILLAGE, "Unit")]
    groups: dict[tuple[str, str], list[Row]] = {}
    for a, b, label in part_of:
        groups.setdefault(("Grid", label), []).append({"from": a, "to": b, "rid": f"p-{a}-{b}"})
    graph.upsert_rels(SCHEMA.rel("PART_OF"), groups, bulk=False)
    serves = [
        {"from": "JS-P-0002", "to": "N4", "rid": f"s-{n}", "role": "head", "valid_from": day}
        for n, day in ((1, date(2020, 1, 1)), (2, date(2023, 1, 1)))
    ]
    graph.upsert_rels(SCHEMA.rel("SERVES_IN"), {("Person", "Grid"): serves}, bulk=False)


# Validity on the examples' bodies and units: (label, key property, key, from, to).
VALIDITY = [
    ("Unit", "code", "330421001000", date(2016, 1, 1), None),  # the town
    ("Center", "id", "center-330421", date(2021, 1, 1), None),  # escalated to, liaison
    ("Center", "id", "center-330421001001", None, date(2022, 12, 31)),
    ("Department", "id", "dept-330421-labour", None, date(2022, 12, 31)),  # stationed, liaison
    ("Department", "id", "dept-330421-court", date(2023, 1, 1), None),
]


def _add_validity(graph: EmbeddedBackend) -> None:
    graph.write(
        [
            (
                f"MATCH (n:{label} {{{key}: $key}}) SET n.valid_from = $since, n.valid_to = $until",
                {"key": value, "since": since, "until": until},
            )
            for label, key, value, since, until in VALIDITY
        ]
    )


def test_the_model_answers_as_cypher_on_grids_nested_four_deep(
    examples_graph: EmbeddedBackend,
) -> None:
    _add_nested(examples_graph)
    _add_validity(examples_graph)
    # A center escalating to two centers: each of its rows comes once per target.
    examples_graph.upsert_rels(
        SCHEMA.rel("ESCALATES_TO"),
        {
            ("Center", "Center"): [
                {"from": "center-330421001", "to": "center-330421001001", "rid": "e-x"}
            ]
        },
        bulk=False,
    )
    model = read_model.ReadModel(examples_graph)
    _same(examples_graph, model, "place_units", place="N4")
    found = read_model.place_units(model, {"place": "N4"}) or []
    # place_units takes no day: a path through N2 and one through N2r, to each unit
    assert sorted((r["unit"], r["hops"]) for r in found) == sorted(NESTED_UNITS * 2)
    steps = {
        day: read_model.grid_step(model, {"grid": "N3", "as_of": day}) or []
        for day in (date(2022, 12, 31), date(2023, 1, 1))
    }
    assert [[r["parent"] for r in rows] for rows in steps.values()] == [["N2"], ["N2r"]]
    assert_parity(examples_graph)


def test_a_ladder_from_the_model_is_the_ladder_from_cypher(examples_graph: EmbeddedBackend) -> None:
    _add_nested(examples_graph)
    day = date(2024, 7, 1)
    by_cypher = escalation_path(examples_graph, grid_id="N4", as_of=day)
    assert read_model.attach(examples_graph) is not None
    by_model = escalation_path(examples_graph, grid_id="N4", as_of=day)
    assert by_model == by_cypher
    # N3, N2 and N1 have no team: the ladder climbs through them to the village's bodies.
    assert [s.place.key for s in by_model.ladder][:4] == [
        "N4",
        VILLAGE,
        "330421001000",
        "330421000000",
    ]


def test_ladders_and_referrals_of_each_day_are_cyphers(examples_graph: EmbeddedBackend) -> None:
    """With validity on grids, units, centers and departments: before, on the ends of and
    after it, the ladders and referrals from the model are those from Cypher."""
    from queries.referral import referral

    _add_nested(examples_graph)
    _add_validity(examples_graph)
    modelled = _Beside(examples_graph)
    assert read_model.attach(modelled) is not None
    grids = ["N4", "N3b", "330421001001-G01-W03", "330421000000-Y01"]
    disputes = _column(examples_graph, "MATCH (d:Dispute) RETURN d.id AS k ORDER BY k")
    assert disputes
    for day in [d for d in DAYS if d is not None]:
        for grid in grids:
            by_model = escalation_path(modelled, grid_id=grid, as_of=day)
            assert by_model == escalation_path(examples_graph, grid_id=grid, as_of=day)
        for key in disputes:
            by_model_referral = referral(modelled, dispute_id=key, as_of=day)
            assert by_model_referral == referral(examples_graph, dispute_id=key, as_of=day)
    # the days differ: the county's center is on N4's ladder from 2021 only
    assert [
        "center-330421" in _bodies(escalation_path(examples_graph, grid_id="N4", as_of=day))
        for day in (date(2020, 6, 1), date(2023, 1, 1))
    ] == [False, True]


def _bodies(path: Any) -> set[str]:
    return {body.node.key for step in path.ladder for body in step.bodies}


# -- currency ---------------------------------------------------------------------------------


def _builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time a model is read."""
    counted: list[int] = []
    build = read_model.ReadModel.__init__

    def counting(self: read_model.ReadModel, backend: Any) -> None:
        counted.append(1)
        build(self, backend)

    monkeypatch.setattr(read_model.ReadModel, "__init__", counting)
    return counted


def test_a_load_that_changes_the_structure_is_answered_after_it(
    examples_graph: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _builds(monkeypatch)
    read_model.attach(examples_graph)
    assert run(examples_graph, "grid_step", grid="N1", as_of=date(2024, 7, 1)) == []
    assert len(built) == 1
    _add_nested(examples_graph)  # the loader's writes: upserts of grids and PART_OF
    assert run(examples_graph, "grid_step", grid="N1", as_of=date(2024, 7, 1)) == [
        {
            "name": "嵌套网格1",
            "kind": "basic",
            "unit_level": None,
            "location": None,
            "liaisons": 0,
            "parent_label": "Unit",
            "parent": VILLAGE,
            "parent_name": examples_graph.read(
                "MATCH (u:Unit {code: $c}) RETURN u.name AS n", {"c": VILLAGE}
            )[0]["n"],
            "parent_level": "village",
        }
    ]
    assert len(built) == 2  # read again once, by the first question after the load
    assert [
        r["parent"] for r in run(examples_graph, "grid_step", grid="N4", as_of=date(2024, 7, 1))
    ] == ["N3"]
    assert len(built) == 2


def test_a_dispute_event_leaves_the_model_as_it_is(
    examples_graph: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _builds(monkeypatch)
    model = read_model.attach(examples_graph)
    before = escalation_path(examples_graph, grid_id="330421001001-G01", as_of=date(2024, 7, 2))
    center = Ref("Center", "center-330421")
    outcome = EventStore(examples_graph).act(
        Command(
            "W1",
            "report",
            Caller(Ref("Person", "JS-P-0003"), "resident"),
            0,
            "r-1",
            (center,),
            None,
            {
                "channel": "app",
                "title": "手术费用集体纠纷",
                "place": "330421001001-G01",
                "category": "medical",
                "parties": 12,
                "party_ids": ["Person:JS-P-0003"],
            },
        ),
        Facts(target_level="county", visits=1),
        datetime(2024, 7, 2, 9, tzinfo=CHINA_TIME),
        load_rules("330421"),
        china_calendar(),
    )
    assert isinstance(outcome, Outcome)
    after = escalation_path(examples_graph, grid_id="330421001001-G01", as_of=date(2024, 7, 2))
    assert after == before
    assert read_model.model_of(examples_graph) is model
    assert len(built) == 1


def test_no_model_for_a_backend_without_a_version(examples_graph: EmbeddedBackend) -> None:
    class Unversioned:
        def read(self, query: str, params: Any = None) -> list[Row]:
            return examples_graph.read(query, params)

    plain = Unversioned()
    assert read_model.attach(plain) is None  # type: ignore[arg-type]
    assert run(plain, "domain", code="medical") == run(examples_graph, "domain", code="medical")  # type: ignore[arg-type]


@pytest.mark.slow
def test_the_model_answers_as_cypher_on_the_demo_graph(demo_graph: EmbeddedBackend) -> None:
    assert_parity(demo_graph)


class _Beside:
    """The demo graph under another name: a model attached to it is not the session's."""

    def __init__(self, graph: EmbeddedBackend) -> None:
        self._graph = graph

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)


@pytest.mark.slow
def test_the_headline_answers_are_the_same_with_the_model(demo_graph: EmbeddedBackend) -> None:
    from queries.experts import expert_pool
    from queries.referral import referral

    grids = _column(
        demo_graph,
        "MATCH (m:Grid)-[:PART_OF]->(:Grid) WHERE m.kind = 'micro' RETURN m.id AS k ORDER BY k",
    )[::400]
    disputes = demo_graph.read(
        "MATCH (d:Dispute)-[:OCCURRED_IN]->(:Grid) MATCH (d)-[:IN_DOMAIN]->(:Domain) "
        "RETURN d.id AS k, d.reported_on AS day ORDER BY k"
    )[::600]
    assert len(grids) > 20 and len(disputes) > 20
    modelled = _Beside(demo_graph)
    assert read_model.attach(modelled) is not None
    for grid in grids:
        day = date(2021, 12, 31)
        assert escalation_path(modelled, grid_id=grid, as_of=day) == escalation_path(
            demo_graph, grid_id=grid, as_of=day
        )
    for row in disputes:
        key, day = row["k"], row["day"]
        assert referral(modelled, dispute_id=key, as_of=day) == referral(
            demo_graph, dispute_id=key, as_of=day
        )
        assert expert_pool(modelled, dispute_id=key, as_of=day) == expert_pool(
            demo_graph, dispute_id=key, as_of=day
        )


class _NoTables:
    """The embedded store without its Arrow tables: the model read row by row."""

    def __init__(self, graph: EmbeddedBackend) -> None:
        self.read, self.stamp, self.version = graph.read, graph.stamp, graph.version


def test_the_people_held_are_those_at_the_start_of_the_ties(demo_graph: EmbeddedBackend) -> None:
    """The people the model holds (`read_model._People`, column by column, through Arrow or
    row by row) are each person at the start of a tie it holds, with the properties the
    answers read, as Cypher reads them; none else."""
    names = ("name", "mobile", "profession")
    expected: dict[str, Row] = {}
    for type_ in read_model.TIES:
        if any(a == "Person" for a, _ in SCHEMA.rel(type_).endpoints):
            for row in demo_graph.read(
                f"MATCH (a:Person)-[:{type_}]->() RETURN DISTINCT a.id AS id"
                + "".join(f", a.{n} AS {n}" for n in names)
            ):
                expected[row["id"]] = row
    assert len(expected) > 20 and any(r["profession"] is None for r in expected.values())
    assert any(r["profession"] is not None for r in expected.values())
    for graph in (demo_graph, _NoTables(demo_graph)):
        people = read_model.ReadModel(graph).nodes["Person"]  # type: ignore[arg-type]
        assert dict(people) == expected
        assert len(people) == len(expected) and sorted(people) == sorted(expected)
        for key, row in expected.items():
            assert key in people and people.get(key) == people[key] == row
        for key in MISSING:
            assert key not in people and people.get(key) is None
            with pytest.raises(KeyError):
                people[key]
