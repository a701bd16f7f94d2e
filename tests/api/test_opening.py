"""api/opening.open_graph: the one place a read model is attached, for what asks for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.opening import open_graph
from api.settings import Settings
from graph.embedded import EmbeddedBackend
from loaders.load import load
from queries import read_model
from queries.library import run
from workflow import store as events


@pytest.fixture
def store(tmp_path: Path, example_files: list[Path]) -> Settings:
    """The examples in a store of their own, closed: settings naming it."""
    graph = EmbeddedBackend(tmp_path / "g.lbdb")
    graph.init_schema()
    assert load(graph, example_files).rejects == []
    graph.close()
    return Settings(db=str(tmp_path / "g.lbdb"))


def test_a_modelled_opening_answers_from_the_model(store: Settings) -> None:
    graph = open_graph(store, read_only=True, modelled=True)
    try:
        model = read_model.model_of(graph)
        assert model is not None and "330421001001-G01" in model.nodes["Grid"]
        assert run(graph, "domain", code="medical") == graph.read(
            "MATCH (d:Domain {code: 'medical'}) RETURN d.code AS code, d.name AS name"
        )
    finally:
        graph.close()


def test_an_opening_without_the_model_reads_cypher(store: Settings) -> None:
    graph = open_graph(store, read_only=True)
    try:
        assert read_model.model_of(graph) is None
    finally:
        graph.close()


def test_a_model_that_cannot_be_read_leaves_the_graph_open_and_says_why(
    store: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def fails(backend: object) -> None:
        raise MemoryError("no room for the model")

    monkeypatch.setattr(read_model, "attach", fails)
    graph = open_graph(store, read_only=True, modelled=True)
    try:
        assert read_model.model_of(graph) is None
        assert run(graph, "domain", code="medical") != []
        assert "the read model could not be read" in caplog.text
        assert "no room for the model" in caplog.text
    finally:
        graph.close()


def test_a_modelled_opening_drops_the_pages_its_model_read(
    store: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store's pages that the model's bulk reads left are given back once it is read
    (`EmbeddedBackend.drop_cached_pages`); an opening without the model keeps them."""
    dropped: list[bool] = []
    real = EmbeddedBackend.drop_cached_pages

    def drop(graph: EmbeddedBackend) -> None:
        dropped.append(read_model.model_of(graph) is not None)  # after the model is read
        real(graph)

    monkeypatch.setattr(EmbeddedBackend, "drop_cached_pages", drop)
    graph = open_graph(store, read_only=True, modelled=True)
    try:
        assert dropped == [True]
        assert run(graph, "domain", code="medical") == [{"code": "medical", "name": "医疗纠纷"}]
    finally:
        graph.close()
    open_graph(store, read_only=True).close()
    assert dropped == [True]


def test_an_opening_for_writing_reads_the_latest_event_time_ahead(store: Settings) -> None:
    """A modelled opening that takes the workflow's writes (the server's) keeps the latest
    event's time (`workflow.store.prime`): the first report reads no event for it."""
    graph = EmbeddedBackend(Path(store.db))
    graph.write(
        [("CREATE (:DisputeEvent {id: 'X#1', dispute: 'X', at: '2024-07-03T12:00:00+08:00'})", {})]
    )
    graph.close()
    for read_only, kept in ((True, None), (False, "2024-07-03T12:00:00+08:00")):
        graph = open_graph(store, read_only=read_only, modelled=True)
        try:
            now = graph.stamp(frozenset({"DisputeEvent"}))  # type: ignore[attr-defined]
            at = events._LATEST.at(graph, now)
            assert (at.isoformat() if at else None) == kept
        finally:
            graph.close()
