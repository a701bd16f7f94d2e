"""The server's heap kept out of the cyclic garbage collector's full collections.

A full collection walks every tracked object: with a read model of half a million objects
(`queries.read_model`) one takes about 200 ms, every few dozen requests that build lists
(docs/benchmarks.md). So the server freezes its heap once the graph is open (`gc.freeze()`:
what is alive then, the model, the schema and the modules, is left out of every collection),
and again after any full collection that took long (`SLOW`): the model read again after a
load is new and unfrozen, and the first full collection that walks it freezes what survived,
so that the next ones do not walk it again.

Frozen objects are still freed when no longer referenced (the read model is acyclic: a model
replaced is freed at once, tests/api/test_heap.py); only a cycle among frozen objects would
stay. Right after a full collection nothing alive is garbage: what could stay is a cycle that
a request under way at that moment drops later, once per freeze.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SLOW = 0.05  # CPU seconds: a full collection this long walked a few hundred thousand objects
# Allocations between two young collections while frozen (Python's default: 700). A request
# answered leaves nothing in cycles (api/app.py closes its context), so collecting seldom
# holds no garbage longer; under twenty requests at once, 700 made a collection every few
# hundred objects, walking and promoting those of the requests under way (docs/benchmarks.md).
YOUNG = 10_000


class _Refreeze:
    """A `gc.callbacks` callback: freezes the heap after a full collection that took `slow`
    seconds of CPU or more."""

    def __init__(self, slow: float) -> None:
        self.slow = slow
        self.started = 0.0
        self.freezes = 0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        # The collection's own CPU time: one stretched by the machine's other work is not
        # slow, and each freeze may keep a cycle a request under way drops later.
        if phase == "start":
            self.started = time.thread_time()
        elif time.thread_time() - self.started >= self.slow:
            gc.freeze()  # the collection is over: everything left is reachable
            self.freezes += 1


@contextmanager
def frozen(slow: float = SLOW, young: int = YOUNG) -> Iterator[_Refreeze]:
    """The heap collected and frozen now, and again after each full collection slower than
    `slow` seconds, and the young generation collected every `young` allocations, until
    the block ends."""
    gc.collect()
    gc.freeze()
    refreeze = _Refreeze(slow)
    gc.callbacks.append(refreeze)
    thresholds = gc.get_threshold()
    gc.set_threshold(young, *thresholds[1:])
    try:
        yield refreeze
    finally:
        gc.set_threshold(*thresholds)
        gc.callbacks.remove(refreeze)
