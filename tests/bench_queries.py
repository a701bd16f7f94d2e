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
the graph, each on its own report day. Printed: the time from opening the store to ready (its
read model read, `queries.read_model`, as the API does when it opens the graph) and the
process's resident memory then and at the end, and three figures per query:

- Cypher: every named query read from the store (the backend without its read model);
- read model: each subject asked once with the model attached;
- again: the same subjects asked a second time.

Then the GraphQL lists `grids(within:)` and `disputes(within:)` (`totalCount` and a page of 20
with a few nested fields), executed in process with the read model attached, as the API does,
over units of each level spread over the graph (`--list-runs` requests per list and level).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.auth import ANONYMOUS, Caller, Role  # noqa: E402
from api.graphql.context import Context  # noqa: E402
from api.graphql.schema import build_schema  # noqa: E402
from api.settings import Settings  # noqa: E402
from graph.backend import Params, Row  # noqa: E402
from graph.embedded import EmbeddedBackend  # noqa: E402
from queries import read_model  # noqa: E402
from queries.escalation import escalation_path  # noqa: E402
from queries.experts import expert_pool  # noqa: E402
from queries.referral import referral  # noqa: E402

Subject = tuple[str, date]  # a grid or dispute id, and the day to ask about it
Ask = Callable[[Any, str, date], Any]


class CypherOnly:
    """The backend without its `version`: it gets no read model, every named query reads the
    store."""

    def __init__(self, backend: EmbeddedBackend) -> None:
        self._backend = backend

    def read(self, query: str, params: Params | None = None) -> list[Row]:
        return self._backend.read(query, params)


def spread(rows: list[Row], count: int) -> list[Subject]:
    """`count` of `rows` taken evenly over them, as (id, day)."""
    step = max(1, len(rows) // count)
    return [(r["k"], r["day"]) for r in rows[::step][:count]]


def subjects(graph: EmbeddedBackend, count: int) -> dict[str, list[Subject]]:
    """Micro-grids (asked about on 2021-12-31) and disputes with a grid and a category
    (asked about on their report day)."""
    grids = graph.read(
        "MATCH (m:Grid)-[:PART_OF]->(:Grid) WHERE m.kind = 'micro' "
        "RETURN m.id AS k, date('2021-12-31') AS day ORDER BY k"
    )
    disputes = graph.read(
        "MATCH (d:Dispute)-[:OCCURRED_IN]->(:Grid) MATCH (d)-[:IN_DOMAIN]->(:Domain) "
        "RETURN d.id AS k, d.reported_on AS day ORDER BY k"
    )
    return {"grids": spread(grids, count), "disputes": spread(disputes, count)}


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


def resident_mib() -> float:
    """The process's resident memory now, in MiB (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / (1 << 20)


# name: (whether a mediator of the code's county asks; else a viewer), query
LISTS = {
    "grids(within:), 20 with unit": (
        False,
        "query ($w: String!) { grids(within: $w, first: 20) { totalCount "
        "pageInfo { endCursor hasNextPage } items { id name kind level unit { code name } } } }",
    ),
    "disputes(within:), 20 with grid and category": (
        False,
        "query ($w: String!) { disputes(within: $w, first: 20) { totalCount "
        "pageInfo { endCursor hasNextPage } items { id title reportedOn status "
        "grid { id name } domain { name } } } }",
    ),
    "disputes(within:) of a quarter, ended, by id (mediator)": (
        True,
        'query ($w: String!) { disputes(within: $w, reportedFrom: "2021-01-01", '
        'reportedTo: "2021-03-31", open: false, orderBy: ID, first: 20) { totalCount '
        "items { id title reportedOn grid { id } } } }",
    ),
}


def list_codes(graph: EmbeddedBackend, count: int) -> dict[str, list[str]]:
    """Up to `count` unit codes of each level that have grids, spread over the graph."""
    rows = graph.read(
        "MATCH (u:Unit)<-[:PART_OF]-(:Grid) RETURN DISTINCT u.code AS code, u.level AS level "
        "ORDER BY code"
    )
    codes: dict[str, list[str]] = {"county": [], "town": [], "village": []}
    for row in rows:
        code = row["code"]
        codes["village"].append(code)
        for level, digits in (("town", 9), ("county", 6)):
            if code[:digits].ljust(12, "0") not in codes[level]:
                codes[level].append(code[:digits].ljust(12, "0"))
    return {level: found[:: max(1, len(found) // count)][:count] for level, found in codes.items()}


def bench_lists(graph: EmbeddedBackend, runs: int) -> None:
    """p50 / p99 ms of each list over units of each level, executed in process."""
    schema = build_schema(Settings(_env_file=None))  # the app's: its parser and validation caches
    codes = list_codes(graph, runs)
    print(
        "\nGraphQL lists in process, read model attached (codes: "
        + ", ".join(f"{len(c)} {level}" for level, c in codes.items())
        + "):\n"
    )
    print("| list | county | town | village |")
    print("|---|---:|---:|---:|")

    async def ask(query: str, mediator: bool, code: str) -> float:
        caller = Caller(Role.MEDIATOR, code[:6]) if mediator else ANONYMOUS
        started = time.perf_counter()
        result = await schema.execute(
            query, variable_values={"w": code}, context_value=Context(graph, caller)
        )
        elapsed = (time.perf_counter() - started) * 1000
        if result.errors:
            raise SystemExit(f"{query[:50]}… within {code}: {result.errors}")
        return elapsed

    async def measure() -> None:
        for name, (mediator, query) in LISTS.items():
            cells = []
            for level in ("county", "town", "village"):
                level_codes = codes[level]
                for code in level_codes[:3]:  # warm-up
                    await ask(query, mediator, code)
                times = [
                    await ask(query, mediator, level_codes[i % len(level_codes)])
                    for i in range(runs)
                ]
                cells.append(figures(times).strip())
            print(f"| {name} | " + " | ".join(cells) + " |")

    asyncio.run(measure())


def bench(db: Path, count: int, threads: int, list_runs: int, lists_only: bool) -> None:
    started = time.perf_counter()
    graph = EmbeddedBackend(db, read_only=True, read_threads=threads)
    model = read_model.attach(graph)
    ready = time.perf_counter() - started
    assert model is not None
    held = {label: len(nodes) for label, nodes in model.nodes.items()}
    print(
        f"\n{db}: open to ready (read model read) {ready:.2f} s, resident {resident_mib():.0f} MiB;"
        f" held: {held['Grid']:,} grids, {held['Unit']:,} units, {held['Person']:,} people"
    )
    try:
        if not lists_only:
            bench_headline(graph, count, threads)
        if list_runs:
            bench_lists(graph, list_runs)
    finally:
        graph.close()


def bench_headline(graph: EmbeddedBackend, count: int, threads: int) -> None:
    people = graph.read("MATCH (p:Person) RETURN count(p) AS n")[0]["n"]
    picked = subjects(graph, count)
    print(
        f"\n({people:,} people), {len(picked['grids'])} micro-grids and "
        f"{len(picked['disputes'])} disputes, {threads or 'all'} thread(s) per read:\n"
    )
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
    first = {name: timed(ask, CypherOnly(graph), picked[kind]) for name, ask, kind in asks}
    print("| query | Cypher p50 / p99 ms | read model | again |")
    print("|---|---:|---:|---:|")
    for name, ask, kind in asks:
        new = timed(ask, graph, picked[kind])
        again = timed(ask, graph, picked[kind])
        print(f"| {name} | {figures(first[name])} | {figures(new)} | {figures(again)} |")
    ranked = [expert_pool(graph, dispute_id=k, as_of=day) for k, day in picked["disputes"]]
    candidates = [len(r.ranked) + len(r.excluded) for r in ranked]
    tied = [sum(e.rule == "conflict-of-interest" for e in r.excluded) for r in ranked]
    print(
        f"\nexpert pool: {statistics.median(candidates):.0f} candidates per dispute "
        f"(max {max(candidates)}), {sum(t > 0 for t in tied)} of {len(ranked)} disputes "
        f"with a conflict of interest (max {max(tied)} experts excluded)"
    )
    print(f"resident after {4 * len(picked['disputes'])} questions: {resident_mib():.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, action="append", help="a graph to measure (repeatable)")
    parser.add_argument("--subjects", type=int, default=200, help="subjects measured per query")
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per read (0: one per core; default 1)"
    )
    parser.add_argument(
        "--list-runs", type=int, default=100, help="requests per list and level (0: no lists)"
    )
    parser.add_argument(
        "--lists-only", action="store_true", help="only the lists, not the headline queries"
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
        bench(db, args.subjects, args.threads, args.list_runs, args.lists_only)


if __name__ == "__main__":
    main()
