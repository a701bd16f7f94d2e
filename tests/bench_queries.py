"""Query benchmark (not a test): p50/p99 of the three headline queries, in process.

    .venv/bin/python -P tests/bench_queries.py                     # the demo graph
    .venv/bin/python -P tests/bench_queries.py --db build/city.lbdb --runs 200

Run with `python -P` so that tests/ does not shadow the packages. The demo graph is
./data/govgraph.lbdb (`govgraph demo`); the city graph is build/city.lbdb (`make bench-load`),
measured too when it exists. Each query runs `--warm` times first, then `--runs` times; the
store is opened read-only. Targets at city scale (docs/queries.md): referral p50 under 10 ms,
expert pool with its conflict check under 20 ms, escalation path under 5 ms.

Subjects are picked from the graph, the same every run: on the demo the planted dispute
330421-D900001 and 嘉善's first micro-grid under its grid; on another graph the first micro-grid
(by id) and the first dispute (by id) with a grid and a category. The city has no expert pool,
so its expert-pool line measures the (empty) ranking, and a further line the conflict-of-
interest walk alone, from the dispute's parties to 1,000 people.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.embedded import EmbeddedBackend  # noqa: E402
from queries.escalation import escalation_path  # noqa: E402
from queries.experts import _ties, expert_pool  # noqa: E402
from queries.library import run  # noqa: E402
from queries.referral import referral  # noqa: E402
from queries.rules import load_rules  # noqa: E402

DEMO_DISPUTE, DEMO_GRID = "330421-D900001", "330421-M08315"


def measure(call: Callable[[], Any], runs: int, warm: int) -> tuple[float, float]:
    for _ in range(warm):
        call()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def subjects(graph: EmbeddedBackend) -> tuple[str, str, date]:
    """(a micro-grid id, a dispute id, the dispute's report day)."""
    found = graph.read(
        "MATCH (d:Dispute {id: $d})-[:OCCURRED_IN]->(:Grid) RETURN d.reported_on AS day",
        {"d": DEMO_DISPUTE},
    )
    if found:
        return DEMO_GRID, DEMO_DISPUTE, found[0]["day"]
    grid = graph.read(
        "MATCH (m:Grid)-[:PART_OF]->(:Grid) WHERE m.kind = 'micro' "
        "RETURN m.id AS k ORDER BY k LIMIT 1"
    )[0]["k"]
    row = graph.read(
        "MATCH (d:Dispute)-[:OCCURRED_IN]->(:Grid) MATCH (d)-[:IN_DOMAIN]->(:Domain) "
        "WITH d ORDER BY d.id LIMIT 1 RETURN d.id AS k, d.reported_on AS day"
    )[0]
    return grid, row["k"], row["day"]


def bench(db: Path, runs: int, warm: int, threads: int) -> None:
    graph = EmbeddedBackend(db, read_only=True)
    if threads:
        # Not the backend's interface: a measurement of what one thread per query would give
        # (graph/embedded.py opens its connection with LadybugDB's default, every core).
        graph._conn.set_max_threads_for_exec(threads)
    try:
        people = graph.read("MATCH (p:Person) RETURN count(p) AS n")[0]["n"]
        grid, dispute, day = subjects(graph)
        print(
            f"\n{db} ({people:,} people): grid {grid}, dispute {dispute}, as of {day}"
            + (f"; {threads} thread(s) per query" if threads else "")
        )
        lines: list[tuple[str, Callable[[], Any]]] = [
            ("referral", lambda: referral(graph, dispute_id=dispute, as_of=day)),
            (
                "expert pool + conflict check",
                lambda: expert_pool(graph, dispute_id=dispute, as_of=day),
            ),
            ("escalation path", lambda: escalation_path(graph, grid_id=grid, as_of=day)),
        ]
        ranking = expert_pool(graph, dispute_id=dispute, as_of=day)
        if not ranking.ranked and not ranking.excluded:
            rules = load_rules(dispute[:6])
            sample = [
                r["k"]
                for r in graph.read("MATCH (p:Person) RETURN p.id AS k ORDER BY k LIMIT 1000")
            ]
            lines.append(
                (
                    "conflict walk alone (1,000 people)",
                    lambda: run(
                        graph,
                        "conflict_paths",
                        dispute=dispute,
                        experts=sample,
                        as_of=day,
                        ties=_ties(rules),
                        related_kinds=list(rules.conflict.related_kinds),
                    ),
                )
            )
        for name, call in lines:
            p50, p99 = measure(call, runs, warm)
            print(f"  {name:36} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   ({runs} runs)")
    finally:
        graph.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, action="append", help="a graph to measure (repeatable)")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warm", type=int, default=10)
    parser.add_argument(
        "--threads", type=int, default=0, help="threads per query (default: LadybugDB's own)"
    )
    args = parser.parse_args()
    dbs = args.db or [p for p in (ROOT / "data" / "govgraph.lbdb", ROOT / "build" / "city.lbdb")]
    found = [p for p in dbs if p.exists()]
    if not found:
        raise SystemExit(f"no graph at {', '.join(map(str, dbs))}; run `govgraph demo` first")
    for db in dbs:
        if not db.exists():
            print(f"\n{db}: not built (make bench-load builds build/city.lbdb); skipped")
    for db in found:
        bench(db, args.runs, args.warm, args.threads)


if __name__ == "__main__":
    main()
