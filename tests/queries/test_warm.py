"""The warm-up: after it, a question about a new grid reads only that grid's own rows."""

import threading
from datetime import date

import pytest

from queries.escalation import escalation_path
from queries.library import named_queries
from queries.referral import DisputeDescription, referral
from queries.warm import warm

DAY = date(2021, 6, 1)


class Recording:
    """The backend, noting which named query each read runs; its version is the backend's."""

    def __init__(self, backend):
        self.backend = backend
        self.names = []
        self._by_text = {q.text: name for name, q in named_queries().items()}

    @property
    def version(self):
        return self.backend.version

    def stamp(self, labels):
        return self.backend.stamp(labels)

    def read(self, query, params=None):
        self.names.append(self._by_text.get(query, "?"))
        return self.backend.read(query, params)


@pytest.fixture
def examples(examples_graph):
    return examples_graph


def test_after_warming_a_new_grid_reads_only_its_own_rows(examples):
    graph = Recording(examples)
    units = examples.read("MATCH (u:Unit)<-[:PART_OF]-(:Grid) RETURN count(DISTINCT u) AS n")[0][
        "n"
    ]
    assert warm(graph, as_of=DAY) == units > 0
    grids = examples.read(
        "MATCH (g:Grid) WHERE NOT g.id IN $warmed RETURN g.id AS id ORDER BY id",
        {"warmed": [r["grid"] for r in examples.read(named_queries()["warm_grids"].text)]},
    )
    assert grids, "the examples have grids the warm-up did not ask about"
    graph.names.clear()
    escalation_path(graph, grid_id=grids[0]["id"], as_of=DAY)
    [item] = examples.read(named_queries()["warm_grids"].text)[:1]
    described = DisputeDescription(place=grids[0]["id"], list_item=item["item"])
    referral(graph, description=described, as_of=DAY)
    own = {"grid_step", "grid_teams", "grid_party_orgs", "liaison_bodies", "place"}
    assert set(graph.names) <= own  # the grid's own rows: nothing of the units above it


def test_a_stopped_or_closed_warm_up_returns_quietly(examples, tmp_path):
    stop = threading.Event()
    stop.set()
    assert warm(examples, stop=stop) == 0
    examples.close()
    assert warm(examples) == 0
