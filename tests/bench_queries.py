"""Query benchmark (not a test): p50/p99 of the three headline queries, in process.

    .venv/bin/python -P tests/bench_queries.py                     # the demo graph, and the city
    .venv/bin/python -P tests/bench_queries.py --db build/city.lbdb --subjects 300

Run with `python -P` so that tests/ does not shadow the packages. The demo graph is
./data/govgraph.lbdb (`govgraph demo`); the city graph is build/city.lbdb (`make bench-load`),
measured too when it exists. The store is opened read-only, as the API opens it. Targets at
city scale (docs/queries.md): referral p50 under 10 ms, expert pool with its conflict check
under 20 ms, escalation path under 5 ms.

Each query is asked about `--subjects` different subjects (micro-grids for the escalation
path; disputes with a grid and a category for the referral and the expert pool), spread over
the graph, each on its own report day. The headline queries keep what they read of
ladders, lists and pools while the graph stays the same (queries.cache), so three figures:

- first: nothing kept yet (as after a restart or a load): the backend is read every time;
- new subject: each subject asked once, after its neighbour (the next micro-grid, or a
  dispute in the same grid) was asked: what a town's mediators see from a server that has
  been answering for a while (the towns' and counties' bodies are kept);
- again: the same subjects asked a second time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.backend import Params, Row  # noqa: E402
from graph.embedded import EmbeddedBackend  # noqa: E402
from queries.escalation import escalation_path  # noqa: E402
from queries.experts import expert_pool  # noqa: E402
from queries.referral import referral  # noqa: E402

Subject = tuple[str, date]  # a grid or dispute id, and the day to ask about it
Ask = Callable[[Any, str, date], Any]


class NothingKept:
    """The backend without its `version`: every named query reads the store."""

    def __init__(self, backend: EmbeddedBackend) -> None:
        self._backend = backend

    def read(self, query: str, params: Params | None = None) -> list[Row]:
        return self._backend.read(query, params)


def pairs(rows: list[Row], count: int) -> tuple[list[Subject], list[Subject]]:
    """`count` pairs of neighbours taken evenly over `rows`, as (id, day): the first of each
    pair warms, the second is measured. Neighbours in grid order share a grid or a village,
    as the questions a town's mediators ask do."""
    step = max(2, len(rows) // count)
    picked = [(rows[i], rows[i + 1]) for i in range(0, len(rows) - 1, step)][:count]
    return (
        [(a["k"], a["day"]) for a, _ in picked],
        [(b["k"], b["day"]) for _, b in picked],
    )


def subjects(graph: EmbeddedBackend, count: int) -> dict[str, tuple[list[Subject], list[Subject]]]:
    """(warm, measured) micro-grids and disputes. A micro-grid is asked about on 2021-12-31;
    a dispute on its report day."""
    grids = graph.read(
        "MATCH (m:Grid)-[:PART_OF]->(:Grid) WHERE m.kind = 'micro' "
        "RETURN m.id AS k, date('2021-12-31') AS day ORDER BY k"
    )
    disputes = graph.read(
        "MATCH (d:Dispute)-[:OCCURRED_IN]->(g:Grid) MATCH (d)-[:IN_DOMAIN]->(:Domain) "
        "RETURN d.id AS k, d.reported_on AS day, g.id AS grid ORDER BY grid, k"
    )
    return {"grids": pairs(grids, count), "disputes": pairs(disputes, count)}


def timed(ask: Ask, backend: Any, items: Sequence[Subject]) -> list[float]:
    times = []
    for key, day in items:
        started = time.perf_counter()
        ask(backend, key, day)
        times.append((time.perf_counter() - started) * 1000)
    return times


def figures(times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):7.2f} / {p99:7.2f}"


def bench(db: Path, count: int, threads: int) -> None:
    graph = EmbeddedBackend(db, read_only=True, read_threads=threads)
    try:
        people = graph.read("MATCH (p:Person) RETURN count(p) AS n")[0]["n"]
        picked = subjects(graph, count)
        print(
            f"\n{db} ({people:,} people), {len(picked['grids'][1])} micro-grids and "
            f"{len(picked['disputes'][1])} disputes measured, {threads or 'all'} thread(s) "
            "per read:\n"
        )
        print("| query | first p50 / p99 ms | new subject | again |")
        print("|---|---:|---:|---:|")
        asks: list[tuple[str, Ask, str]] = [
            ("referral", lambda b, k, day: referral(b, dispute_id=k, as_of=day), "disputes"),
            (
                "expert pool + conflict check",
                lambda b, k, day: expert_pool(b, dispute_id=k, as_of=day),
                "disputes",
            ),
            (
                "escalation path",
                lambda b, k, day: escalation_path(b, grid_id=k, as_of=day),
                "grids",
            ),
        ]
        for name, ask, kind in asks:
            warm, measured = picked[kind]
            first = timed(ask, NothingKept(graph), measured)
            timed(ask, graph, warm)
            new = timed(ask, graph, measured)
            again = timed(ask, graph, measured)
            print(f"| {name} | {figures(first)} | {figures(new)} | {figures(again)} |")
        measured = picked["disputes"][1]
        ranked = [expert_pool(graph, dispute_id=k, as_of=day) for k, day in measured]
        candidates = [len(r.ranked) + len(r.excluded) for r in ranked]
        tied = [sum(e.rule == "conflict-of-interest" for e in r.excluded) for r in ranked]
        print(
            f"\nexpert pool: {statistics.median(candidates):.0f} candidates per dispute "
            f"(max {max(candidates)}), {sum(t > 0 for t in tied)} of {len(ranked)} disputes "
            f"with a conflict of interest (max {max(tied)} experts excluded)"
        )
    finally:
        graph.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, action="append", help="a graph to measure (repeatable)")
    parser.add_argument("--subjects", type=int, default=200, help="subjects measured per query")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per read (0: one per core; default 1)"
    )
    args = parser.parse_args()
    dbs = args.db or [ROOT / "data" / "govgraph.lbdb", ROOT / "build" / "city.lbdb"]
    found = [p for p in dbs if p.exists()]
    if not found:
        raise SystemExit(f"no graph at {', '.join(map(str, dbs))}; run `govgraph demo` first")
    for db in dbs:
        if not db.exists():
            print(f"\n{db}: not built (make bench-load builds build/city.lbdb); skipped")
    for db in found:
        bench(db, args.subjects, args.threads)


if __name__ == "__main__":
    main()
