"""A young research copy stands in only for a copy of the same store, view and key: not for
another store sharing GOVGRAPH_RESEARCH_COPIES, nor for one made under a rotated key."""

from graph.embedded import EmbeddedBackend
from graph.pseudonym import Privacy, key_from_text, new_key, pseudonym
from graph.research_copy import ensure
from graph.schema import Mask
from loaders.load import load

NAMES = "MATCH (p:Person) RETURN p.id AS id, p.name AS name ORDER BY id"


def _read(store, query):
    copy = EmbeddedBackend(store, read_only=True)
    try:
        return copy.read(query)
    finally:
        copy.close()


def test_a_rotated_key_is_not_served_the_old_keys_young_copy(tmp_path, examples_graph):
    old, new = key_from_text(new_key()), key_from_text(new_key())
    root = tmp_path / "copies"
    first = ensure(examples_graph, root, Privacy.pseudonymised(old), max_age=3600)
    second = ensure(examples_graph, root, Privacy.pseudonymised(new), max_age=3600)
    assert second != first
    assert not first.exists()  # the old key's copy of this store is removed
    real = examples_graph.read(NAMES)
    assert _read(second, NAMES) == [
        {"id": r["id"], "name": pseudonym(r["name"], new, Mask.NAME)} for r in real
    ]


def test_two_stores_sharing_a_copies_folder_each_read_their_own(tmp_path, examples_graph):
    other = EmbeddedBackend(tmp_path / "other.lbdb")
    try:
        other.init_schema()
        people = tmp_path / "people.csv"
        people.write_text("id,name\nX-1,王小明\n", encoding="utf-8")
        assert load(other, [people]).rejects == []
        root = tmp_path / "copies"
        mine = ensure(examples_graph, root, Privacy.raw(), max_age=3600)
        theirs = ensure(other, root, Privacy.raw(), max_age=3600)
        assert theirs != mine and mine.exists()
        assert _read(theirs, NAMES) == [{"id": "X-1", "name": "王小明"}]
        assert _read(mine, NAMES) == examples_graph.read(NAMES)
    finally:
        other.close()
