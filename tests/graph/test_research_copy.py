"""How fresh ad-hoc Cypher's copy of the graph is: rebuilt after a write, unless it is younger
than the refresh period (the server writes on every dispute action, a rebuild reads all)."""

from graph.pseudonym import Privacy
from graph.research_copy import ensure

COUNT = "MATCH (d:Domain) RETURN count(*) AS n"


def _domains(graph):
    return graph.read(COUNT)[0]["n"]


def _add_domain(graph):
    graph.write([("CREATE (:Domain {code: $code, name: $name})", {"code": "zz", "name": "测试"})])


def test_a_write_is_seen_at_once_with_no_refresh_period(tmp_path, examples_graph):
    from graph.embedded import EmbeddedBackend

    before = ensure(examples_graph, tmp_path, Privacy.for_role("admin", None), max_age=0)
    _add_domain(examples_graph)
    after = ensure(examples_graph, tmp_path, Privacy.for_role("admin", None), max_age=0)
    assert after != before
    assert not before.exists()  # the older copy is removed
    copy = EmbeddedBackend(after, read_only=True)
    try:
        assert _domains(copy) == _domains(examples_graph)
    finally:
        copy.close()


def _count_in(store):
    from graph.embedded import EmbeddedBackend

    copy = EmbeddedBackend(store, read_only=True)
    try:
        return _domains(copy)
    finally:
        copy.close()


def test_a_young_copy_is_read_after_a_write(tmp_path, examples_graph):
    first = ensure(examples_graph, tmp_path, Privacy.for_role("admin", None), max_age=3600)
    _add_domain(examples_graph)
    assert ensure(examples_graph, tmp_path, Privacy.for_role("admin", None), max_age=3600) == first
    # another view has no copy yet: it is built as the graph is now
    other = ensure(examples_graph, tmp_path, Privacy.for_role("viewer", None), max_age=3600)
    assert other.parent.name.startswith("masked-")
    assert _count_in(other) == _domains(examples_graph) == _count_in(first) + 1


def test_the_copy_is_written_by_a_process_of_its_own_and_equals_the_graph(
    tmp_path, examples_graph, monkeypatch
):
    """The server only reads: a store opened here for the copy would keep its memory here.
    The admin's view changes nothing, so its copy is the graph, node for node."""
    from graph.dump import dump
    from graph.embedded import EmbeddedBackend

    def refused(*args, **kwargs):
        raise AssertionError("the copy's store was opened in the server's process")

    monkeypatch.setattr(EmbeddedBackend, "__init__", refused)
    store = ensure(examples_graph, tmp_path, Privacy.for_role("admin", None), max_age=0)
    monkeypatch.undo()
    assert sorted(p.name for p in store.parent.iterdir()) == ["built-at", "graph.lbdb"]
    copy = EmbeddedBackend(store, read_only=True)
    try:
        assert dump(copy) == dump(examples_graph)
    finally:
        copy.close()


def test_a_copy_that_cannot_be_written_says_why_and_leaves_no_copy(
    tmp_path, examples_graph, monkeypatch
):
    import sys

    import pytest

    # The writing process is the one `sys.executable` names: one that cannot run Python fails.
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with pytest.raises(
        RuntimeError, match=r"^the researchers' copy could not be written into .*exit 1"
    ):
        ensure(examples_graph, tmp_path / "copies", Privacy.for_role("admin", None), max_age=0)
    assert list((tmp_path / "copies").iterdir()) == []  # nor the de-identified tables on their way
