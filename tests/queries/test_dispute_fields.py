"""What the list of disputes filters and sorts on, held beside the read model
(queries.dispute_fields), against Cypher: `disputes(within:)` gives the same pages (items,
order, cursors, totalCount) from them as from Cypher, with every filter, on the demo graph;
after reports and workflow events (caught up by key, never read whole) and after any other
write of a Dispute (read whole); and the fields held are the store's, whole."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from api import acting
from api.auth import Caller as ApiCaller
from api.auth import Role
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.settings import Settings
from graph.backend import Params, Row
from graph.embedded import EmbeddedBackend
from queries import dispute_fields, read_model
from queries.calendar import CHINA_TIME, china_calendar
from queries.rules import load_rules
from workflow.model import Caller, Command, Facts, Ref
from workflow.store import EventStore, Outcome

ADMIN = ApiCaller(Role.ADMIN)
SCHEMA = build_schema(Settings(_env_file=None))
LIST = """query ($w: String!, $status: DisputeStep, $outcome: DisputeOutcome,
    $channel: DisputeChannel, $warning: Warning, $level: SettledLevel, $open: Boolean,
    $from: Date, $to: Date, $domain: String, $order: DisputeOrder!, $dir: Direction!,
    $first: Int!, $after: String) {
    disputes(within: $w, status: $status, outcome: $outcome, channel: $channel,
             warning: $warning, settledLevel: $level, open: $open, reportedFrom: $from,
             reportedTo: $to, domain: $domain, orderBy: $order, direction: $dir,
             first: $first, after: $after) {
        totalCount pageInfo { endCursor hasNextPage }
        items { id reportedOn status outcome channel warning settledLevel } } }"""


class _Recorded:
    """The graph under another name (a model attached to it is not the graph's), recording
    the queries read through it."""

    def __init__(self, graph: EmbeddedBackend) -> None:
        self._graph = graph
        self.queries: list[str] = []

    def read(self, query: str, params: Params | None = None) -> list[Row]:
        self.queries.append(query)
        return self._graph.read(query, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)


def _pages(backend: Any, first: int = 40, most: int = 4, **variables: Any) -> list[Any]:
    """The first `most` pages of the list, each followed from the one before."""
    asked = {"order": "REPORTED_ON", "dir": "DESC", "first": first, **variables}
    pages, after = [], None
    for _ in range(most):
        context = Context(backend, ADMIN)
        result = asyncio.run(
            SCHEMA.execute(LIST, variable_values={**asked, "after": after}, context_value=context)
        )
        assert result.errors is None, result.errors
        page = result.data["disputes"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return pages


def _same(graph: EmbeddedBackend, modelled: _Recorded, **variables: Any) -> int:
    """The list's pages from the model are Cypher's, and read no Cypher count or sort (with
    no domain, which Cypher tests); the total count."""
    modelled.queries.clear()
    held = _pages(modelled, **variables)
    assert held == _pages(graph, **variables), variables
    if variables.get("domain") is None:
        sorted_or_counted = [q for q in modelled.queries if "ORDER BY" in q or "count(" in q]
        assert sorted_or_counted == [], variables
    return int(held[0]["totalCount"])


def _fields(fields: dispute_fields.DisputeFields) -> dict[str, tuple[Any, ...]]:
    return {key: tuple(column[n] for column in fields.columns) for key, n in fields.number.items()}


def _held_whole(graph: EmbeddedBackend, modelled: _Recorded) -> dispute_fields.DisputeFields:
    """The fields the model holds now, checked whole against the store's."""
    held = read_model.dispute_fields(modelled)
    assert held is not None
    assert _fields(held) == _fields(dispute_fields.DisputeFields.read(graph))
    return held


FILTERS: list[dict[str, Any]] = [
    {},
    {"order": "ID", "dir": "ASC", "status": "EVALUATED"},
    {"order": "REPORTED_ON", "dir": "ASC", "outcome": "SETTLED", "channel": "HOTLINE"},
    {"warning": "RED", "open": False},
    {"order": "ID", "dir": "DESC", "level": "GRID", "from": "2021-01-01", "to": "2021-06-30"},
    {"status": "FEEDBACK", "from": "2021-03-01"},
    {"order": "ID", "dir": "ASC", "open": True, "to": "2022-12-31"},
    {"outcome": "UNSETTLED", "domain": "neighbour"},
]


@pytest.mark.slow
@pytest.mark.parametrize("code", ["330421", "330421002", "331127"])
def test_the_lists_of_disputes_are_cyphers_on_the_demo_graph(
    demo_graph: EmbeddedBackend, code: str
) -> None:
    modelled = _Recorded(demo_graph)
    assert read_model.attach(modelled) is not None
    counts = [_same(demo_graph, modelled, w=code, **f) for f in FILTERS]
    assert counts[0] > 100 and all(counts[1:5]), counts  # not empty lists only


# -- reports and workflow events: caught up by key -------------------------------------------

GRID = "330421001001-G01"
CENTER_OF_TOWN = "Center:center-330421001"
REPORTER = ApiCaller(
    Role.MEDIATOR, "330421001", person="JS-P-0001", unit=CENTER_OF_TOWN, workflow_role="dispatcher"
)
DISPATCHER = Caller(
    Ref("Person", "JS-P-0001"), "dispatcher", Ref("Center", "center-330421001"), "330421"
)
PLACES = ["330421001001", "330421001000", "330421"]  # a village, its town, the county
AFTER_EVENTS: list[dict[str, Any]] = [
    {},
    {"order": "ID", "dir": "ASC"},
    {"status": "ACCEPTED"},
    {"status": "DISCOVERED", "order": "ID", "dir": "DESC"},
    {"open": True, "from": "2024-07-01"},
    {"open": False, "order": "REPORTED_ON", "dir": "ASC"},
]


def _report(graph: EmbeddedBackend, key: str, place: str) -> str:
    acted = acting.report(
        graph, REPORTER, key, kind="dispute", title="邻里纠纷", place=place, channel="app",
        category="medical", receiver=CENTER_OF_TOWN, parties=("Person:JS-P-0003",),
        now=datetime(2024, 7, 2, 9, tzinfo=CHINA_TIME),
    )  # fmt: skip
    assert isinstance(acted.result, Outcome), acted.result
    return acted.dispute


def _accept(graph: EmbeddedBackend, dispute: str) -> None:
    command = Command(dispute, "accept", DISPATCHER, 1, "accept-" + dispute)
    when = datetime(2024, 7, 2, 10, tzinfo=CHINA_TIME)
    outcome = EventStore(graph).act(command, Facts(), when, load_rules("330421"), china_calendar())
    assert isinstance(outcome, Outcome), outcome


def _whole_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time the fields are read whole."""
    counted: list[int] = []
    read = dispute_fields.DisputeFields.read.__func__  # type: ignore[attr-defined]

    def counting(cls: type[dispute_fields.DisputeFields], backend: Any) -> Any:
        counted.append(1)
        return read(cls, backend)

    monkeypatch.setattr(dispute_fields.DisputeFields, "read", classmethod(counting))
    return counted


def test_reports_and_events_are_caught_up_by_key_and_listed_as_cypher(
    examples_graph: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    modelled = _Recorded(examples_graph)
    whole = _whole_reads(monkeypatch)
    assert read_model.attach(modelled) is not None
    before = {code: _same(examples_graph, modelled, w=code) for code in PLACES}
    # four reports on one day (ties on the day broken by key), in a grid and a micro-grid
    new = [
        _report(examples_graph, f"r-{n}", place)
        for n, place in enumerate([GRID, GRID, "330421001001-G01-W03", GRID])
    ]
    for code in PLACES:
        assert _same(examples_graph, modelled, w=code) == before[code] + 4
    _accept(examples_graph, new[1])
    _accept(examples_graph, new[3])
    for code in PLACES:
        for f in AFTER_EVENTS:
            _same(examples_graph, modelled, w=code, first=2, most=5, **f)
    assert _same(examples_graph, modelled, w=PLACES[0], status="ACCEPTED") == 2
    assert _same(examples_graph, modelled, w=PLACES[0], status="DISCOVERED") == 2
    assert len(whole) == 1  # when the model was attached: never since
    held = _held_whole(examples_graph, modelled)  # (reads them whole afresh, to compare)
    assert held.version == examples_graph.version
    whole.clear()
    # any other write of a Dispute (one that names no dispute): read whole, then listed alike
    examples_graph.write(
        [("MATCH (d:Dispute {id: $id}) SET d.status = 'feedback'", {"id": new[0]})]
    )
    for f in AFTER_EVENTS:
        _same(examples_graph, modelled, w=PLACES[2], first=3, **f)
    assert len(whole) == 1
    _held_whole(examples_graph, modelled)
