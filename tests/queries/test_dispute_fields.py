"""What the list of disputes filters and sorts on, held beside the read model
(queries.dispute_fields), against Cypher: `disputes(within:)` gives the same pages (items,
order, cursors, totalCount) from them as from Cypher, with every filter, on the demo graph;
after reports and workflow events (caught up by key, never read whole) and after any other
write of a Dispute (read whole); and the fields held are the store's, whole."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any

import pytest

from api import acting
from api.auth import Caller as ApiCaller
from api.auth import Role
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.settings import Settings
from graph.backend import Params, Row, Written
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
    """Every dispute `fields` holds, with its FIELDS (each numbered as `keys` has it)."""
    keys = [fields.key(n) for n in range(fields.count)]
    assert [fields.numbered(k) for k in keys] == list(range(fields.count))
    assert fields._numbers(keys) == list(range(fields.count))  # all at once: the same
    later = [fields.key(n) for n in range(fields.count, fields._numbered())]  # for later ones
    assert [fields.numbered(k) for k in later] == [None] * len(later)
    numbers = range(fields.count)
    columns = [fields.values(at, numbers) for at in range(len(dispute_fields.FIELDS))]
    return {key: tuple(column[n] for column in columns) for n, key in enumerate(keys)}


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
    first = read_model.dispute_fields(modelled)
    assert first is not None
    first_held = _fields(first)
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
    assert held._added_keys is first._added_keys  # appended to, in place
    assert _fields(first) == first_held  # a list that began with them saw nothing since
    whole.clear()
    # any other write of a Dispute (one that names no dispute): read whole, then listed alike
    examples_graph.write(
        [("MATCH (d:Dispute {id: $id}) SET d.status = 'feedback'", {"id": new[0]})]
    )
    for f in AFTER_EVENTS:
        _same(examples_graph, modelled, w=PLACES[2], first=3, **f)
    assert len(whole) == 1
    _held_whole(examples_graph, modelled)


# -- the catch-up's storage, against a journal of writes -------------------------------------


class _Journal:
    """Disputes' FIELDS by key with a journal of the writes to them, each about its disputes,
    as the embedded store keeps it (`writes_since`), and the reads the fields make."""

    def __init__(self, rows: list[Row]) -> None:
        self.rows = {row["id"]: row for row in rows}
        self.version = 2
        self.journal: list[Written] = []
        self.broken: str | None = None  # a field the next read by key leaves out of its last row

    def write(self, *rows: Row, gone: tuple[str, ...] = ()) -> None:
        """New or changed disputes (`rows`, whole), and those `gone`, in one write."""
        self.rows.update({row["id"]: row for row in rows})
        for key in gone:
            del self.rows[key]
        self.version += 2
        about = frozenset([*(row["id"] for row in rows), *gone])
        self.journal.append(Written(self.version, frozenset({"Dispute"}), ("Dispute", about)))

    def writes_since(self, version: int) -> list[Written]:
        return [w for w in self.journal if w.version > version]

    def stamp(self, labels: frozenset[str]) -> int:
        return self.journal[-1].version if self.journal else 0

    def read(self, query: str, params: Params | None = None) -> list[Row]:
        if params is None:
            return [dict(row) for row in self.rows.values()]
        found = [dict(self.rows[k]) for k in params["keys"] if k in self.rows]
        if self.broken is not None and found:
            del found[-1][self.broken]
        return found

    def fields(self) -> dict[str, tuple[Any, ...]]:
        return {k: tuple(row[f] for f in dispute_fields.FIELDS) for k, row in self.rows.items()}


def _dispute(key: str, day: int, status: str = "discovered", outcome: str | None = None) -> Row:
    return {
        "id": key, "reported_on": date(2024, 7, day), "status": status, "outcome": outcome,
        "channel": "app", "warning": None, "settled_level": None, "title": f"纠纷{key}",
        "parties": 2,
    }  # fmt: skip


def _later(fields: dispute_fields.DisputeFields, store: _Journal) -> dispute_fields.DisputeFields:
    new = fields.caught_up(store, store.version)  # type: ignore[arg-type]
    assert new is not None
    assert _fields(new) == store.fields()
    return new


def _journal() -> _Journal:
    """Ten disputes over three days, not in key order."""
    days = [3, 1, 2, 1, 3, 2, 1, 2, 3, 1]
    return _Journal([_dispute(f"d{n}", day) for n, day in enumerate(days)])


def test_older_fields_are_unchanged_by_later_catch_ups(monkeypatch: pytest.MonkeyPatch) -> None:
    store = _journal()
    fields = [dispute_fields.DisputeFields.read(store)]  # type: ignore[arg-type]
    steps: list[tuple[Row, ...]] = [
        (_dispute("d10", 2),),  # a report
        (_dispute("d3", 1, "accepted"),),  # an event
        (_dispute("d11", 1), _dispute("d3", 1, "evaluated", "settled"), _dispute("d12", 3)),
        (_dispute("d3", 1),),  # back to what it was read as: out of the overlay
        (_dispute("d5", 2, "accepted"), _dispute("d13", 2)),
    ]
    held = [_fields(fields[0])]
    for rows in steps:
        store.write(*rows)
        fields.append(_later(fields[-1], store))
        held.append(_fields(fields[-1]))
    assert [_fields(f) for f in fields] == held  # each as it was caught up: whole
    assert all(
        f._added_keys is fields[0]._added_keys and f.columns is fields[0].columns for f in fields
    )
    assert (
        fields[4].changed == tuple({} for _ in dispute_fields.FIELDS)
        and fields[0]._numbered() == 14
    )
    # the overlay full: the columns copied with it, the places kept (numbers unchanged)
    monkeypatch.setattr(dispute_fields, "_CHANGED", 2)
    keys = sorted(map(fields[-1].key, range(fields[-1].count)))
    place = fields[-1].place(keys, "here")
    store.write(_dispute("d0", 3, "accepted"), _dispute("d1", 1, "accepted", "settled"))
    fields.append(_later(fields[-1], store))
    held.append(_fields(fields[-1]))
    assert [_fields(f) for f in fields] == held
    assert fields[-1].columns is not fields[0].columns and fields[-1].changed == fields[0].changed
    assert fields[-1].place(keys, "here") is place


def _named(fields: dispute_fields.DisputeFields, place: Any) -> tuple[list[str], ...]:
    """A place's order with its numbers as the keys they stand for (numbers differ by read)."""
    assert place is not None
    ordered, in_order, by_key = place
    return ordered, [fields.key(n) for n in in_order], [fields.key(n) for n in by_key]


def _afresh(store: _Journal, keys: list[str]) -> tuple[list[str], ...]:
    fresh = dispute_fields.DisputeFields.read(store)  # type: ignore[arg-type]
    return _named(fresh, fresh.place(keys, "here"))


def _sorts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time a place is sorted afresh."""
    counted: list[int] = []
    sort = dispute_fields.DisputeFields._sorted

    def counting(self: dispute_fields.DisputeFields, keys: Any) -> Any:
        counted.append(1)
        return sort(self, keys)

    monkeypatch.setattr(dispute_fields.DisputeFields, "_sorted", counting)
    return counted


def test_a_place_carried_forward_is_the_place_sorted_afresh(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = _journal()
    fields = dispute_fields.DisputeFields.read(store)  # type: ignore[arg-type]
    sorts = _sorts(monkeypatch)
    keys = ["d0", "d1", "d2", "d4", "d6", "d7", "d9"]  # the place's, ascending
    assert _named(fields, fields.place(keys, "here")) == _afresh(store, keys)
    # reports in the place: first of their day, last, between, a day before all; one elsewhere
    store.write(_dispute("d05", 1), _dispute("d8x", 2), _dispute("e1", 3), _dispute("a0", 1))
    store.write(_dispute("d06", 2), _dispute("c0", 1))
    later = _later(_later(fields, store), store)
    more = sorted([*keys, "d05", "d8x", "e1", "d06", "c0"])  # a new list: `a0` is elsewhere
    expected = _afresh(store, more)
    sorts.clear()
    carried = later.place(more, "here")
    assert sorts == []  # carried forward, not sorted
    assert _named(later, carried) == expected
    assert later.place(more, "here") is carried
    assert fields.place(more, "here") is None  # the fields before hold none of them
    # a list that is not the one kept plus new disputes (one gone from it, one reported
    # before it was kept come into it: d3, elsewhere until now) is sorted again
    other = sorted([*(k for k in more if k != "d2"), "d3", "z0"])
    store.write(_dispute("z0", 2))
    last = _later(later, store)
    expected = _afresh(store, other)
    sorts.clear()
    assert _named(last, last.place(other, "here")) == expected
    assert sorts == [1]


def test_a_catch_up_that_fails_part_way_leaves_the_fields_as_they_were() -> None:
    store = _journal()
    fields = dispute_fields.DisputeFields.read(store)  # type: ignore[arg-type]
    keys = ["d1", "d3"]
    held, place = _fields(fields), fields.place(keys, "here")
    store.write(_dispute("d10", 2), _dispute("d3", 1, "accepted"), _dispute("d11", 3))
    store.broken = "warning"  # the last row read (d3, after the new two) lacks it
    with pytest.raises(KeyError):
        fields.caught_up(store, store.version)  # type: ignore[arg-type]
    assert _fields(fields) == held
    assert [fields._numbered(), *map(len, fields.columns)] == [10] * (
        1 + len(dispute_fields.FIELDS)
    )
    assert fields.place(keys, "here") is place
    store.broken = None
    assert _later(fields, store)._added_keys is fields._added_keys  # appended as if nothing failed


def test_a_dispute_gone_or_a_day_changed_drops_the_places() -> None:
    store = _journal()
    fields = dispute_fields.DisputeFields.read(store)  # type: ignore[arg-type]
    keys = ["d1", "d3", "d4", "d5"]
    assert _named(fields, fields.place(keys, "here")) == _afresh(store, keys)
    store.write(_dispute("d10", 2), gone=("d3",))
    gone = _later(fields, store)
    assert gone.numbered("d3") is None and fields.numbered("d3") == 3  # the older keep it
    assert gone._added_keys is not fields._added_keys and gone._text != fields._text
    assert _fields(fields)["d3"] == (
        date(2024, 7, 1),
        "discovered",
        None,
        "app",
        None,
        None,
        "纠纷d3",
        2,
    )
    assert gone.place(keys, "here") is None  # one of them is gone: Cypher answers
    rest = ["d1", "d4", "d5"]
    assert _named(gone, gone.place(rest, "here")) == _afresh(store, rest)
    # a report day changed (no event sets one): the order kept is not carried forward
    store.write(_dispute("d4", 1))
    moved = _later(gone, store)
    assert _named(moved, moved.place(rest, "here")) == _afresh(store, rest)
