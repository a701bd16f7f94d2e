"""`ReadModel.holds`: the labels' stamps skipped only while no write has begun since the model
was read."""

from __future__ import annotations

from queries.read_model import ReadModel

GRID = frozenset({"Grid"})


class _Store:
    """A store at `version` whose labels were last changed at `stamped` (None: not to be read)."""

    def __init__(self, version: int, stamped: int | None) -> None:
        self.version, self.stamped = version, stamped

    def stamp(self, labels: frozenset[str]) -> int:
        assert self.stamped is not None, "the stamps were read"
        return self.stamped


def _holds(version: int, store: _Store) -> bool:
    """`holds` of a model read at `version` (all it asks of the model)."""
    model = object.__new__(ReadModel)
    model.version = version
    return model.holds(store, GRID)  # type: ignore[arg-type]  # a store's version and stamps


def test_an_unmoved_even_version_holds_without_reading_the_stamps() -> None:
    assert _holds(4, _Store(4, None)) is True


def test_a_moved_version_reads_the_stamps() -> None:
    assert _holds(4, _Store(6, 6)) is False
    assert _holds(4, _Store(6, 2)) is True  # the write changed other labels


def test_a_model_read_while_a_write_was_under_way_reads_the_stamps() -> None:
    # the write has committed and stamped its labels; its version has not moved on yet
    assert _holds(5, _Store(5, 6)) is False
