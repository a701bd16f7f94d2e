"""The read model's cases alone (not a test): prints figures, asserts nothing.

    .venv/bin/python -P tests/bench_cases.py STORE [--runs 2] [--traced]

Opens STORE read-only and reads its cases (`queries.cases.Cases`) `--runs` times, printing
for each the wall and CPU seconds, the nodes and ties held, and the process's resident
memory before the first and after each read (the store's pages read into its buffer pool
count too: the first read's rise is the one the server pays). With `--traced`, the Python
memory the cases hold (tracemalloc; slows the read several times).
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.embedded import EmbeddedBackend  # noqa: E402
from queries.cases import Cases  # noqa: E402


def _resident_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--traced", action="store_true")
    args = parser.parse_args()
    graph = EmbeddedBackend(args.store, read_only=True)
    try:
        print(f"opened: resident {_resident_mib():.0f} MiB")
        held = None
        for _ in range(args.runs):
            held = None
            gc.collect()
            if args.traced:
                tracemalloc.start()
            started, cpu = time.perf_counter(), _cpu()
            held = Cases(graph)
            wall, cpu = time.perf_counter() - started, _cpu() - cpu
            traced = ""
            if args.traced:
                traced = f", {tracemalloc.get_traced_memory()[0] / 2**20:.0f} MiB traced"
                tracemalloc.stop()
            nodes = getattr(held, "node_count", len(held.keys))
            print(
                f"cases read in {wall:.2f} s ({cpu:.2f} s CPU): {nodes:,} nodes, "
                f"{len(held.types):,} ties; resident {_resident_mib():.0f} MiB{traced}"
            )
    finally:
        graph.close()


if __name__ == "__main__":
    main()
