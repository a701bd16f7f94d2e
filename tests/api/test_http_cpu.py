"""What the server does per request to keep its CPU down, checked for what it must keep: the
young collections while the heap is frozen (api/heap.py) and the response's encoding
(api/app.py)."""

from __future__ import annotations

import gc
import json
import weakref
from collections.abc import Iterator

import pytest

from api import heap
from api.app import _GraphQL


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Each test starts and ends with nothing frozen and Python's thresholds."""
    gc.unfreeze()
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    gc.unfreeze()


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_the_young_generation_is_collected_less_often_while_frozen(unfrozen):
    gc.set_threshold(700, 10, 10)
    with heap.frozen():
        assert gc.get_threshold() == (heap.YOUNG, 10, 10) == (10_000, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_requests_cycles_are_still_freed_by_a_young_collection(unfrozen):
    """Garbage in cycles (as each request leaves) is freed once `YOUNG` objects more are
    alive, with no full collection and no one calling gc.collect."""
    with heap.frozen(slow=3600.0):
        collections = gc.get_stats()[0]["collections"]
        cycle = _Cycle()
        gone = weakref.ref(cycle)
        del cycle
        alive = []
        while gone() is not None and len(alive) < 3 * heap.YOUNG:
            alive.append([])  # tracked and kept: counts towards the young threshold
        assert gone() is None
        assert len(alive) <= heap.YOUNG + 10
        assert gc.get_stats()[0]["collections"] > collections


def test_the_response_is_encoded_as_strawberry_encodes_it():
    data = {
        "data": {
            "grids": {
                "totalCount": 2,
                "items": [
                    {"id": "330421-G0096", "name": "姚庄镇第一网格", "team": [], "area": 1.5},
                    {"id": "330421-G0097", "name": 'a "quoted" name\n', "team": None},
                ],
            }
        },
        "errors": [{"message": "不对", "path": ["grids", 1]}],
    }
    encoded = _GraphQL.encode_json(None, data)  # type: ignore[arg-type]
    assert encoded == json.dumps(data, separators=(",", ":"))
    assert json.loads(encoded) == data
