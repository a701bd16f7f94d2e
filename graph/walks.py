"""Walks never beside a write, on the embedded store.

LadybugDB 0.22's recursive join (a pattern with `*`: `[:PART_OF*1..30]`, `* ALL SHORTEST`)
corrupts memory when the store writes while it runs: a walk sized by the node tables as it
starts meets the nodes a report adds (crashes in `PathsOutputWriter::findFirstParent`,
`DenseBFSGraph`'s buffers freed twice; docs/benchmarks.md, "The native abort under writes").
So walks share a gate that a write holds alone: walks run beside each other and beside plain
reads, never beside a write. A writer waiting keeps new walks out, so writes do not starve.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from collections.abc import Iterator

# A relationship pattern with a `*` in it: a recursive walk. A `*` elsewhere inside brackets
# (a list comprehension's product) is taken for one too, which only makes it wait.
_WALK = re.compile(r"\[[^\]]*\*")


@functools.lru_cache(maxsize=1024)
def walks(query: str) -> bool:
    """Whether `query` may walk recursively (a pattern with `*`)."""
    return _WALK.search(query) is not None


class WalkGate:
    """Walks in together; a write alone, once the walks under way have ended."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._walking = 0
        self._writing = False

    @contextlib.contextmanager
    def walk(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._writing)
            self._walking += 1
        try:
            yield
        finally:
            with self._changed:
                self._walking -= 1
                if not self._walking:  # a writer waits for none left
                    self._changed.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        """Held by one writer at a time (the store's write lock is held around it)."""
        with self._changed:
            self._writing = True  # walks that come now wait
            self._changed.wait_for(lambda: self._walking == 0)
        try:
            yield
        finally:
            with self._changed:
                self._writing = False
                self._changed.notify_all()
