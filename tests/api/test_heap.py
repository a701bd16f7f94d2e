"""The server's heap out of the cyclic collector's full collections (api/heap.py)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from api import heap
from graph.places import DivisionCode
from loaders.load import load
from queries import read_model


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Each test starts and ends with nothing frozen (the other tests' heap is collected)."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_a_slow_full_collection_freezes_what_survived_it(unfrozen):
    with heap.frozen(slow=0.0) as refreeze:
        frozen = gc.get_freeze_count()
        made = [[] for _ in range(1000)]  # tracked, and alive: a model read again
        gc.collect(1)  # not a full collection
        assert (refreeze.freezes, gc.get_freeze_count()) == (0, frozen)
        gc.collect()
        assert (refreeze.freezes, gc.get_freeze_count() >= frozen + len(made)) == (1, True)
    assert refreeze not in gc.callbacks


def test_a_quick_full_collection_freezes_nothing(unfrozen):
    with heap.frozen(slow=3600.0) as refreeze:
        frozen = gc.get_freeze_count()
        made = [[] for _ in range(1000)]
        gc.collect()
        assert (refreeze.freezes, gc.get_freeze_count(), len(made)) == (0, frozen, 1000)


def test_a_frozen_model_read_again_is_freed_at_once(backend, example_files, unfrozen):
    """The read model is acyclic: frozen, it is still freed by its reference count when a
    write has it read again (a cycle in it would keep every model read since, frozen)."""
    assert load(backend, example_files).rejects == []
    model = read_model.attach(backend)
    assert model is not None
    county = DivisionCode.parse("330421")
    # the parts made on demand, made: places kept, the disputes' fields and their order
    assert read_model.grid_keys_within(backend, county)
    keys = read_model.disputes_within(backend, county)
    fields = read_model.dispute_fields(backend)
    assert keys and fields is not None and fields.place(keys, county.full) is not None
    gone = weakref.ref(model)
    del model, fields
    gc.collect()
    gc.freeze()
    assert gone() is not None  # attached: the backend's model
    backend.write([("CREATE (:Unit {code: '330421999000', name: '新镇', level: 'town'})", {})])
    assert read_model.held(backend, "Unit")["330421999000"]["name"] == "新镇"  # read again
    assert gone() is None
