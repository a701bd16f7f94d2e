"""Kept query results: read once per parameters (or per element), read again after a write."""

from datetime import date

import pytest

from queries.cache import frozen, run_each, run_kept
from queries.library import get_query

DAY = date(2024, 6, 1)


class Store:
    """A stand-in backend: answers `grid_teams` with two rows per grid, and records
    each read's grids. `version` as the embedded store has it (None: like Neo4j); every
    write changes everything it reads (its `stamp` is the version)."""

    def __init__(self, version=0):
        self.version = version
        self.asked = []

    def stamp(self, labels):
        return self.version

    def read(self, query, params=None):
        assert query == get_query(self.query_name).text
        self.asked.append(params)
        grids = params.get("grids", [params.get("grid")])
        return [{"anchor": g, "n": n, "version": self.version} for g in grids for n in (1, 2)]

    query_name = "grid_teams"


def rows(*grids, version=0):
    return [{"anchor": g, "n": n, "version": version} for g in grids for n in (1, 2)]


def test_run_each_reads_only_the_elements_not_asked_about_before():
    store = Store()
    assert run_each(store, "grid_teams", "grids", "anchor", grids=["a", "b"]) == rows("a", "b")
    assert run_each(store, "grid_teams", "grids", "anchor", grids=["c", "b", "a"]) == (
        rows("c", "b", "a")
    )
    assert run_each(store, "grid_teams", "grids", "anchor", grids=["b"]) == rows("b")
    assert store.asked == [{"grids": ["a", "b"]}, {"grids": ["c"]}]


def test_an_element_without_rows_is_kept_as_such():
    class Empty(Store):
        def read(self, query, params=None):
            self.asked.append(params)
            return []

    store = Empty()
    for _ in range(3):
        assert run_each(store, "grid_teams", "grids", "anchor", grids=["x"]) == []
    assert store.asked == [{"grids": ["x"]}]


def test_a_write_makes_every_kept_result_read_again():
    store = Store()
    run_each(store, "grid_teams", "grids", "anchor", grids=["a"])
    store.version = 2  # a write came and went
    assert run_each(store, "grid_teams", "grids", "anchor", grids=["a"]) == rows("a", version=2)
    assert store.asked == [{"grids": ["a"]}, {"grids": ["a"]}]


def test_a_backend_without_a_version_is_read_every_time():
    store = Store(version=None)
    for _ in range(2):
        run_each(store, "grid_teams", "grids", "anchor", grids=["a"])
    assert store.asked == [{"grids": ["a"]}, {"grids": ["a"]}]


def test_run_kept_keeps_rows_per_parameters():
    class Chain(Store):
        query_name = "grid_step"

    store = Chain()
    assert run_kept(store, "grid_step", grid="g1", as_of=DAY) == rows("g1")
    assert run_kept(store, "grid_step", grid="g1", as_of=DAY) == rows("g1")
    assert run_kept(store, "grid_step", grid="g2", as_of=DAY) == rows("g2")
    assert store.asked == [{"grid": "g1", "as_of": DAY}, {"grid": "g2", "as_of": DAY}]


def test_the_callers_list_is_its_own():
    class Chain(Store):
        query_name = "grid_step"

    store = Chain()
    first = run_kept(store, "grid_step", grid="g1", as_of=DAY)
    first.append({"anchor": "mine"})
    assert run_kept(store, "grid_step", grid="g1", as_of=DAY) == rows("g1")


def test_other_parameters_are_part_of_the_key():
    class Units(Store):
        query_name = "ladder_unit_bodies"

        def read(self, query, params=None):
            self.asked.append(params)
            return [{"anchor": u, "court": params["court"]} for u in params["units"]]

    store = Units()
    common = {"mediation_kinds": ["people"], "as_of": DAY}
    run_each(store, "ladder_unit_bodies", "units", "anchor", units=["u"], court="c1", **common)
    run_each(store, "ladder_unit_bodies", "units", "anchor", units=["u"], court="c2", **common)
    run_each(store, "ladder_unit_bodies", "units", "anchor", units=["u"], court="c1", **common)
    assert [p["court"] for p in store.asked] == ["c1", "c2"]


def test_keys_are_made_of_plain_values_only():
    assert frozen({"b": [1, date(2021, 1, 1)], "a": None}) == (
        "map",
        (
            ("a", ("NoneType", None)),
            ("b", ("list", (("int", 1), ("date", date(2021, 1, 1))))),
        ),
    )
    with pytest.raises(TypeError, match="plain values"):
        frozen({"x": object()})


def test_a_ladder_read_after_a_write_shows_the_write(examples_graph):
    """On the embedded store: the kept steps of a ladder give way to what a load changed."""
    from queries.escalation import escalation_path

    backend = examples_graph
    grid, day = "330421001001-G01", date(2021, 6, 1)

    def names():
        ladder = escalation_path(backend, grid_id=grid, as_of=day).ladder
        return [(step.place.name, [b.node.name for b in step.bodies]) for step in ladder]

    before = names()
    assert names() == before
    rename = "MATCH (n:Center) WHERE n.name = $old SET n.name = $new"
    center = next(b for _, bodies in before for b in bodies if "中心" in b)
    backend.write([(rename, {"old": center, "new": "改名中心"})])
    assert names() == [
        (place, ["改名中心" if b == center else b for b in bodies]) for place, bodies in before
    ]
    assert names() != before


def test_a_read_begun_before_a_write_does_not_answer_after_it():
    """Two threads: one took the stamp before a write, the other after. The late rows of
    the first are kept under the old stamp, so they never answer the new one."""
    from queries.cache import _store

    store = Store(version=4)
    kept, stamp = _store(store, "grid_teams")
    assert stamp == 4
    kept.put(4, "k", [{"old": True}])  # a read begun at 4, finished after the write
    assert kept.get(6, "k") is None
    kept.put(6, "k", [{"new": True}])
    assert kept.get(6, "k") == [{"new": True}]


def test_a_dispute_write_leaves_the_kept_ladder_kept(examples_graph):
    """On the embedded store: a dispute's event changes disputes and their log, not what a
    ladder reads, so the ladder is not read again; a write to a center is."""
    from queries.escalation import escalation_path
    from queries.library import named_queries

    class Recording:
        def __init__(self, backend):
            self.backend, self.names = backend, []
            self._by_text = {q.text: name for name, q in named_queries().items()}

        def __getattr__(self, name):
            return getattr(self.backend, name)

        def read(self, query, params=None):
            self.names.append(self._by_text.get(query, "?"))
            return self.backend.read(query, params)

    graph = Recording(examples_graph)
    grid, day = "330421001001-G01", date(2021, 6, 1)
    escalation_path(graph, grid_id=grid, as_of=day)
    graph.names.clear()
    examples_graph.write(
        [
            (
                "MATCH (d:Dispute) WITH d ORDER BY d.id LIMIT 1 SET d.status = $s",
                {"s": "handling"},
            ),
            ("CREATE (e:DisputeEvent {id: $id})", {"id": "x#1"}),
        ]
    )
    escalation_path(graph, grid_id=grid, as_of=day)
    assert "grid_step" not in graph.names and "ladder_unit_bodies" not in graph.names
    examples_graph.write([("MATCH (c:Center) SET c.windows = 1", {})])
    escalation_path(graph, grid_id=grid, as_of=day)
    assert "ladder_unit_bodies" in graph.names


def test_a_result_larger_than_the_cache_is_returned_not_kept(monkeypatch):
    """cachetools refuses a value larger than the cache: the rows are answered, not kept."""
    import queries.cache as cache

    store = Store()
    kept, _ = cache._store(store, "grid_teams")
    monkeypatch.setattr(kept, "rows", cache.LRUCache(1, getsizeof=cache.entry_size))
    monkeypatch.setattr(cache, "MAX_BYTES", 1)
    for _ in range(2):
        assert run_each(store, "grid_teams", "grids", "anchor", grids=["a", "b"]) == rows("a", "b")
    assert store.asked == [{"grids": ["a", "b"]}, {"grids": ["a", "b"]}]


def test_the_cache_is_bounded_by_size_not_by_a_count_of_rows():
    """Rows of long texts weigh by their length: 2 bytes a character, 150 a text."""
    import queries.cache as cache

    short = [{"id": "g1", "n": 1}]
    long = [{"id": "g1", "title": "调" * 10_000}]
    assert [cache.size(short), cache.size(long), cache.size([])] == [
        64 + 100 + (50 + 4) + 32,
        64 + 100 + (50 + 4) + (50 + 20_000),
        64,
    ]
    kept = cache._Kept()
    kept.rows = cache.LRUCache(3 * cache.size(long), getsizeof=cache.entry_size)
    for i in range(5):
        kept.put(0, ("long", i), long)
    kept.put(0, "short", short)
    # three long results fill it, whatever the count of rows: the least recent went first
    assert sorted(map(str, kept.rows.keys())) == ["('long', 3)", "('long', 4)", "short"]


def test_values_of_different_types_are_different_keys():
    assert len({frozen(True), frozen(1), frozen(1.0), frozen("1")}) == 4
    assert frozen({"a": 1}) != frozen([("a", 1)])


def test_nothing_is_kept_while_a_write_is_under_way():
    store = Store(version=7)  # odd: the embedded store is writing
    for _ in range(2):
        run_each(store, "grid_teams", "grids", "anchor", grids=["a"])
    assert store.asked == [{"grids": ["a"]}, {"grids": ["a"]}]


def test_kept_stationings_serve_every_date(examples_graph):
    """A department stationed for half a year is on the ladder inside that half only, though
    the unit's rows are read once and kept for every date."""
    from queries.escalation import escalation_path

    backend = examples_graph
    grid = "330421001001-G01"
    [center] = backend.read(
        "MATCH (:Grid {id: $grid})-[:PART_OF]->(:Unit)<-[:JURISDICTION]-(c:Center) "
        "RETURN c.id AS id",
        {"grid": grid},
    )
    backend.write(
        [
            ("CREATE (:Department {id: 'DEP-X', name: '临时进驻', function: 'petition'})", {}),
            (
                "MATCH (d:Department {id: 'DEP-X'}), (c:Center {id: $c}) "
                "CREATE (d)-[:STATIONED_AT {valid_from: $a, valid_to: $b}]->(c)",
                {"c": center["id"], "a": date(2021, 1, 1), "b": date(2021, 6, 30)},
            ),
        ]
    )

    def stationed(day):
        ladder = escalation_path(backend, grid_id=grid, as_of=day).ladder
        return [b.node.key for s in ladder for b in s.bodies if b.node.key == "DEP-X"]

    assert stationed(date(2021, 3, 1)) == ["DEP-X"]
    assert stationed(date(2021, 12, 1)) == []
    assert stationed(date(2021, 6, 30)) == ["DEP-X"]
