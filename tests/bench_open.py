"""Open to ready, and resident memory (not a test): prints figures, asserts nothing.

    .venv/bin/python -P tests/bench_open.py STORE [--subjects N] [--profile FILE] [--traced]

Opens STORE as the server opens it (`api.app._open`: read-write, the settings' threads, buffer
pool and time limit, its read model read, then the store's cached pages dropped) and prints
the seconds from open to ready, with the read model's parts and the drop timed apart, and the
process's resident memory (VmRSS) then; then asks the three headline questions about N
micro-grids and N disputes (picked as tests/bench_queries.py picks them, in a process of their
own so that their reads count nowhere: 3 × N questions) and prints the resident memory after
them. The store is opened read-write, as the server does,
and so locked to this process: measure a copy of a store something else uses.
`--profile FILE`: cProfile's statistics of the opening into FILE (and its top 25 by
cumulative time printed). `--traced`: the Python memory the opening left allocated
(tracemalloc; slows the opening several times), with its 15 largest lines.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "tests"))  # after the packages: tests/queries is no package

from api.app import _open  # noqa: E402  the server's own way of opening the graph
from api.settings import Settings  # noqa: E402
from graph.embedded import EmbeddedBackend  # noqa: E402
from queries import cases, dispute_fields, read_model  # noqa: E402
from queries.escalation import escalation_path  # noqa: E402
from queries.experts import expert_pool  # noqa: E402
from queries.referral import referral  # noqa: E402


def _status(field: str) -> float:
    """A /proc/self/status figure in MiB (VmRSS, VmHWM)."""
    text = Path("/proc/self/status").read_text()
    return int(text.split(f"{field}:")[1].split()[0]) / 1024


def _pick(store: Path, count: int) -> None:
    """Print the subjects (as JSON): run in a process of its own."""
    from bench_queries import subjects

    graph = EmbeddedBackend(store, read_only=True)
    try:
        picked = subjects(graph, count)
    finally:
        graph.close()
    print(json.dumps({k: [(key, str(day)[:10]) for key, day in v] for k, v in picked.items()}))


def _timed_parts() -> dict[str, float]:
    """The seconds each part of the read model takes, summed as it is read (wrapping them
    where queries.read_model calls them)."""
    spent: dict[str, float] = {}

    def timing(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any) -> Any:
            started = time.perf_counter()
            try:
                return real(*args)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

        return timed

    setattr(read_model, "Cases", timing("cases", cases.Cases))  # noqa: B010
    fields = dispute_fields.DisputeFields
    fields.read = timing("list fields", fields.read)  # type: ignore[method-assign]
    drop = EmbeddedBackend.drop_cached_pages
    EmbeddedBackend.drop_cached_pages = timing("pages dropped", drop)  # type: ignore[method-assign]
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--subjects", type=int, default=200, help="grids and disputes each")
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--traced", action="store_true")
    parser.add_argument("--pick", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pick:
        _pick(args.store, args.subjects)
        return
    pick = ["--pick", "--subjects", str(args.subjects)]
    done = subprocess.run(
        [sys.executable, "-P", __file__, str(args.store), *pick],
        capture_output=True,
        text=True,
        check=True,
    )
    picked = {
        k: [(key, date.fromisoformat(day)) for key, day in v]
        for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()
    }
    spent = _timed_parts()
    print(f"before opening: resident {_status('VmRSS'):.0f} MiB")
    settings = Settings(_env_file=None, db=str(args.store))
    profile = cProfile.Profile() if args.profile else None
    if args.traced:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    if profile is not None:
        profile.enable()
    backend = _open(settings)
    if profile is not None:
        profile.disable()
    ready, cpu = time.perf_counter() - started, time.process_time() - cpu
    parts = ", ".join(f"{name} {s:.2f} s" for name, s in spent.items())
    print(
        f"load average {os.getloadavg()[0]:.1f}; open to ready {ready:.2f} s, "
        f"{cpu:.2f} s CPU ({parts}, the structure and the rest "
        f"{ready - sum(spent.values()):.2f} s); resident {_status('VmRSS'):.0f} MiB"
    )
    if args.traced:
        snapshot = tracemalloc.take_snapshot()
        print(f"traced: {tracemalloc.get_traced_memory()[0] / 2**20:.0f} MiB")
        for stat in snapshot.statistics("lineno")[:15]:
            print(f"  {stat.size / 2**20:7.1f} MiB {stat.count:>9,}  {stat.traceback[0]}")
        tracemalloc.stop()
    if profile is not None:
        profile.dump_stats(args.profile)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    try:
        asked = 0
        for kind, ask in (
            ("disputes", lambda k, day: referral(backend, dispute_id=k, as_of=day)),
            ("disputes", lambda k, day: expert_pool(backend, dispute_id=k, as_of=day)),
            ("grids", lambda k, day: escalation_path(backend, grid_id=k, as_of=day)),
        ):
            for key, day in picked[kind]:
                ask(key, day)
                asked += 1
        print(
            f"resident after {asked} questions {_status('VmRSS'):.0f} MiB "
            f"(peak {_status('VmHWM'):.0f} MiB)"
        )
    finally:
        backend.close()


if __name__ == "__main__":
    main()
