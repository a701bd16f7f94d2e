"""Work-queue poll benchmark (not a test): prints figures, asserts nothing.

    .venv/bin/python -P tests/bench_queue.py STORE [--scope 330421] [--polls 200] [--changes 3]

Copies STORE (a demo's or a city's graph) into a temporary folder (the polls' changes are
written there, never to STORE) and times `queue_changes`, the work queue's poll (the page
asks it every 30 s with the cursor it last got), as the server runs it: with the read model
attached and without one (as on Neo4j). For each, p50 and p99 of:

- a poll with no change since the cursor (`--polls` of them);
- a poll after `--changes` events (a dispatcher's 催办 on open disputes of `--scope`; a tenth
  as many polls);

and of `cursor` alone (what `workQueue` answers beside its rows; timed before any poll:
the first cursor reads every event and keeps what it read as a poll does,
`api.queue._Recent`, the p99 of its series; without it, a store's first poll reads them).
Each poll is asked by an admin (every dispute in scope) and by a mediator of `--scope`.
Also p50 and p99 of the chases themselves (`acting.act`, one writer: its reads and the append, which
reads the latest event's time under the write lock to stamp it, `workflow.store.stamp`).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api import acting, queue  # noqa: E402
from api.auth import Caller, Role  # noqa: E402
from graph.embedded import EmbeddedBackend  # noqa: E402
from queries import read_model  # noqa: E402
from workflow.model import Refusal  # noqa: E402


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return f"p50 {statistics.median(values) * 1000:7.2f} ms, p99 {p99 * 1000:7.2f} ms"


def _timed(work: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    work(*args)
    return time.perf_counter() - started


def dispatcher(graph: EmbeddedBackend, scope: str) -> tuple[Caller, list[str]]:
    """A dispatcher of the scope's center, and open disputes of the scope with a log."""
    centers = graph.read(
        "MATCH (c:Center)-[:JURISDICTION]->(u:Unit {code: $code}) RETURN c.id AS id",
        {"code": scope.ljust(12, "0")},
    )
    people = graph.read(
        "MATCH (p:Person)-[:LIVES_IN]->(u:Unit) WHERE u.code STARTS WITH $s "
        "RETURN p.id AS id ORDER BY p.id LIMIT 1",
        {"s": scope},
    )
    if not (centers and people):
        raise SystemExit(f"{scope}: no center with that jurisdiction, or no people")
    caller = Caller(
        Role.MEDIATOR,
        scope,
        person=people[0]["id"],
        unit=f"Center:{centers[0]['id']}",
        workflow_role="dispatcher",
    )
    rows = queue.work_queue(graph, caller, "ALL")
    disputes = [r.state.id for r in rows if r.state.state not in ("new", "closed")]
    return caller, disputes


def chase(
    graph: EmbeddedBackend, caller: Caller, disputes: list[str], prefix: str, run: int
) -> list[float]:
    """A chase of each dispute; the time of each `acting.act` (an append with its reads)."""
    times = []
    for i, dispute in enumerate(disputes):
        version = graph.read(
            "MATCH (:Dispute {id: $d})-[:LOGGED]->(e:DisputeEvent) RETURN max(e.version) AS v",
            {"d": dispute},
        )[0]["v"]
        started = time.perf_counter()
        acted = acting.act(
            graph,
            caller,
            dispute,
            "chase",
            int(version),
            f"bench-queue-{prefix}-{run}-{i}",
            reason="催办",
        )
        times.append(time.perf_counter() - started)
        if isinstance(acted.result, Refusal):
            raise SystemExit(f"{dispute}: the chase was refused: {acted.result}")
    return times


def measure(graph: EmbeddedBackend, callers: dict[str, Caller], args: argparse.Namespace) -> None:
    cursors = [_timed(queue.cursor, graph) for _ in range(args.polls)]
    print(f"  cursor alone                     {_ms(cursors)}")
    for name, caller in callers.items():
        mark = queue.cursor(graph)
        quiet = []
        for _ in range(args.polls):
            quiet.append(_timed(queue.queue_changes, graph, caller, mark))
        print(f"  {name:9} poll, no change       {_ms(quiet)}")
    dispatching, disputes = callers["mediator"], args.disputes
    acts = []
    for name, caller in callers.items():
        changed = []
        for run in range(max(1, args.polls // 10)):
            mark = queue.cursor(graph)
            acts += chase(graph, dispatching, disputes, f"{args.mode}-{name}", run)
            changed.append(_timed(queue.queue_changes, graph, caller, mark))
        print(f"  {name:9} poll, {len(disputes)} changed        {_ms(changed)}")
    print(f"  the chases between them (act)    {_ms(acts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--scope", default="330421")
    parser.add_argument("--polls", type=int, default=200)
    parser.add_argument("--changes", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "bench-queue.lbdb"
        shutil.copyfile(args.store, copy)
        for modelled in (False, True):
            graph = EmbeddedBackend(copy)
            try:
                events = graph.read("MATCH (e:DisputeEvent) RETURN count(e) AS n")[0]["n"]
                disputes = graph.read("MATCH (d:Dispute) RETURN count(d) AS n")[0]["n"]
                mediator, open_ones = dispatcher(graph, args.scope)
                if len(open_ones) < args.changes:
                    raise SystemExit(f"{args.scope}: only {len(open_ones)} open disputes")
                args.disputes = open_ones[: args.changes]
                args.mode = "held" if modelled else "cypher"
                if modelled:
                    read_model.attach(graph)
                print(
                    f"{'with' if modelled else 'without'} the read model "
                    f"({disputes} disputes, {events} events):"
                )
                measure(graph, {"admin": Caller(Role.ADMIN), "mediator": mediator}, args)
            finally:
                graph.close()


if __name__ == "__main__":
    main()
