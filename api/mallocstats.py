"""The server's allocator figures, written to a file as it runs: opt-in (GOVGRAPH_MALLOC_STATS
names the file), for a soak (docs/benchmarks.md) — never a debugger, which froze a server.

Every GOVGRAPH_MALLOC_STATS_SECONDS a task on the server's event loop appends one JSON line:
pymalloc's own figures as `sys._debugmallocstats()` prints them (arenas allocated, reclaimed
and held, bytes in blocks in use and free, pools by size class), the blocks in use
(`sys.getallocatedblocks()`), glibc's `mallinfo2()` (in use and free in its heaps, mapped
blocks), the resident memory and the threads alive. It costs a walk of pymalloc's pools (a
few ms for a GiB of arenas) and no tracing; with `PYTHONMALLOC=malloc` pymalloc prints
nothing and the line has the rest.

`sys._debugmallocstats()` writes to the process's stderr (C's, fd 2), so fd 2 points at a
scratch file while it runs. The three steps are C calls made one after the other by `map`,
with no Python code between them, so no other Python thread (the server's log) runs and
writes to fd 2 while it points elsewhere; only a native thread writing just then would
write into the scratch file (none of the soaks' server logs showed LadybugDB writing to stderr).
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import json
import logging
import operator
import os
import re
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("govgraph.api")

FIGURE = re.compile(r"^# (.+?)\s+=\s+([\d,]+)\s*$")
UNUSED_POOLS = re.compile(r"^(\d+) unused pools \*")
SIZE_CLASS = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$")
MALLINFO2 = tuple(
    "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()
)


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in MALLINFO2]


def pymalloc_text() -> str:
    """What `sys._debugmallocstats()` prints now ('' when pymalloc is not the allocator)."""
    libc = ctypes.PyDLL(None)  # PyDLL: its calls keep the GIL, unlike CDLL's
    with tempfile.TemporaryFile() as scratch:
        saved = os.dup(2)
        try:
            sys.stderr.flush()
            steps: tuple[Callable[[], object], ...] = (
                functools.partial(libc.dup2, scratch.fileno(), 2),
                sys._debugmallocstats,
                functools.partial(libc.dup2, saved, 2),
            )
            deque(map(_call, steps), maxlen=0)
        finally:
            os.dup2(saved, 2)  # again, should a step have failed (the first call did it)
            os.close(saved)
        scratch.seek(0)
        return scratch.read().decode("utf-8", "replace")


_call: Callable[[Callable[[], object]], object] = operator.call  # C: no Python code runs


def parse(text: str) -> dict[str, Any]:
    """The figures of `sys._debugmallocstats()`'s text: each `# name = n` (names with
    underscores), the unused pools (empty, in arenas held) and the size-class table as
    [size, pools, blocks in use, blocks free]."""
    figures: dict[str, Any] = {}
    classes = []
    for line in text.splitlines():
        if found := FIGURE.match(line):
            name = re.sub(r"\W+", "_", found[1].strip()).strip("_")
            figures[name] = int(found[2].replace(",", ""))
        elif found := UNUSED_POOLS.match(line):
            figures["unused_pools"] = int(found[1])
        elif found := SIZE_CLASS.match(line):
            classes.append([int(found[i]) for i in (2, 3, 4, 5)])
    if classes:
        figures["size_classes"] = classes
    return figures


def mallinfo2() -> dict[str, int]:
    """glibc's heap figures (empty elsewhere): `uordblks` in use, `fordblks` free in its
    heaps, `hblkhd` in blocks mapped one by one, `arena` the heaps' size."""
    try:
        call = ctypes.CDLL(None).mallinfo2
    except AttributeError:
        return {}
    call.restype = _Mallinfo2
    info = call()
    return {name: int(getattr(info, name)) for name in MALLINFO2}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def sample() -> dict[str, Any]:
    """One line's figures."""
    return {
        "time": round(time.time(), 3),
        "rss": _rss_bytes(),
        "threads": threading.active_count(),
        "blocks_in_use": sys.getallocatedblocks(),
        "pymalloc": parse(pymalloc_text()),
        "mallinfo2": mallinfo2(),
    }


def append(path: Path) -> None:
    line = json.dumps(sample(), separators=(",", ":"))
    with path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")


async def every(path: Path, seconds: float) -> None:
    """Append a line now and every `seconds` until cancelled (the server stops)."""
    while True:
        try:
            append(path)
        except OSError as exc:  # a full disk or a removed folder must not stop the server
            log.warning("allocator figures not written to %s: %s", path, exc)
        await asyncio.sleep(seconds)
