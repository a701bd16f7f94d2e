"""The GraphQL lists of a county (not a test): prints figures, asserts nothing.

    .venv/bin/python -P tests/bench_lists.py build/city.lbdb [--runs 200] [--events 0]

Opens STORE read-only with the read model attached (as the server does), then asks each list
below of every county in turn (`grids(within:)` and `disputes(within:)` with `totalCount` and
a page of 20, with the filters and sorts the dashboards and the soak use), in process through
the GraphQL schema on one event loop (a loop per request, `asyncio.run`, would time the start
of its worker thread too: 5–25 ms), `--runs` times each, interleaved, and prints p50 and p99.

With `--events N` it copies STORE into a temporary folder first and, before each round of
lists, reports N disputes in the county and accepts each (`_Events`), as the workflow does:
the lists that follow find the cases and the Dispute label changed.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.auth import Caller, Role  # noqa: E402
from api.graphql.context import Context  # noqa: E402
from api.graphql.schema import build_schema  # noqa: E402
from api.settings import Settings  # noqa: E402
from graph.embedded import EmbeddedBackend  # noqa: E402
from queries import read_model  # noqa: E402

PAGE = "totalCount pageInfo { endCursor hasNextPage } items { id "
LISTS = {
    "grids": "grids(within: $w, first: 20) { " + PAGE + "name kind level } }",
    "grids, basic, by name": "grids(within: $w, kind: BASIC, orderBy: NAME, first: 20) { "
    + PAGE
    + "name kind } }",
    "disputes (newest first)": "disputes(within: $w, first: 20) { "
    + PAGE
    + "title reportedOn status } }",
    "disputes, status ACCEPTED": "disputes(within: $w, status: ACCEPTED, first: 20) { "
    + PAGE
    + "title reportedOn status } }",
    "disputes of a month": 'disputes(within: $w, reportedFrom: "2021-03-01", '
    'reportedTo: "2021-03-31", first: 20) { ' + PAGE + "title reportedOn } }",
    "disputes of a quarter, ended, by id": 'disputes(within: $w, reportedFrom: "2021-01-01", '
    'reportedTo: "2021-03-31", open: false, orderBy: ID, first: 20) { '
    + PAGE
    + "title reportedOn } }",
    "disputes open, by id desc": "disputes(within: $w, open: true, orderBy: ID, "
    "direction: DESC, first: 20) { " + PAGE + "status } }",
}


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p99 = values[min(len(values) - 1, round(0.99 * (len(values) - 1)))]
    return f"p50 {statistics.median(values) * 1000:7.2f} ms, p99 {p99 * 1000:7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--events", type=int, default=0, help="reports (accepted) per round")
    args = parser.parse_args()
    schema = build_schema(Settings(_env_file=None))
    admin = Caller(Role.ADMIN)

    loop = asyncio.new_event_loop()  # one loop and its worker threads, as in the server

    def ask(graph: EmbeddedBackend, text: str, code: str) -> tuple[float, Any]:
        query = "query ($w: String!) { " + text + " }"
        started = time.perf_counter()
        result = loop.run_until_complete(
            schema.execute(query, variable_values={"w": code}, context_value=Context(graph, admin))
        )
        took = time.perf_counter() - started
        if result.errors:
            raise SystemExit(f"{text}: {result.errors}")
        return took, result.data

    with tempfile.TemporaryDirectory() as folder:
        store = args.store
        if args.events:
            store = Path(folder) / "bench-lists.lbdb"
            shutil.copyfile(args.store, store)
        graph = EmbeddedBackend(store, read_only=not args.events)
        try:
            started = time.perf_counter()
            read_model.attach(graph)
            print(f"model read in {time.perf_counter() - started:.2f} s")
            counties = [
                r["code"]
                for r in graph.read(
                    "MATCH (u:Unit) WHERE u.level = 'county' RETURN u.code AS code ORDER BY code"
                )
            ]
            events = _Events(graph) if args.events else None
            times: dict[str, list[float]] = {name: [] for name in LISTS}
            sizes: dict[str, list[int]] = {name: [] for name in LISTS}
            for n in range(args.runs):
                code = counties[n % len(counties)]
                if events is not None:
                    events(code, args.events)
                for name, text in LISTS.items():
                    took, data = ask(graph, text, code)
                    times[name].append(took)
                    sizes[name].append(next(iter(data.values()))["totalCount"])
        finally:
            graph.close()
            loop.close()
    skipped = events.skipped if events else 0
    skipped_text = f" (none in {skipped} runs: no basic grid with a head)" if skipped else ""
    print(f"{len(counties)} counties, {args.runs} runs of each list, {args.events} events per run")
    print(f"  each event a report and its accept{skipped_text}")
    for name in LISTS:
        count = statistics.median(sizes[name])
        print(f"  {name:38} {_ms(times[name])}  (totalCount p50 {count:.0f})")


class _Events:
    """Reports a dispute in the county's first basic grid as its head (`api.acting.report`,
    as the soak does), then accepts it (`EventStore.act`): a report and a workflow event."""

    def __init__(self, graph: EmbeddedBackend) -> None:
        self.graph = graph
        self.n = 0
        self.skipped = 0

    def __call__(self, code: str, count: int) -> None:
        from api import acting
        from api.auth import Caller as ApiCaller
        from graph.places import DivisionCode, grids_within
        from queries.calendar import CHINA_TIME
        from workflow.model import Caller as Actor
        from workflow.model import Command, Facts, Ref, Refusal
        from workflow.store import EventStore

        grids = sorted(grids_within(self.graph.read, DivisionCode.parse(code)))
        found = self.graph.read(
            "UNWIND $grids AS k MATCH (g:Grid {id: k}) WHERE g.kind = 'basic' "
            "MATCH (p:Person)-[s:SERVES_IN]->(g) WHERE s.role = 'head' "
            "RETURN p.id AS person, g.id AS grid ORDER BY grid LIMIT 1",
            {"grids": grids},
        )
        if not found:
            self.skipped += 1  # no basic grid with a head here: no events this round
            return
        person, grid = found[0]["person"], found[0]["grid"]
        reporter = ApiCaller(
            Role.VIEWER, person=person, unit=f"Grid:{grid}", workflow_role="grid_worker"
        )
        actor = Actor(Ref("Person", person), "grid_worker", Ref("Grid", grid), code[:6])
        for _ in range(count):
            self.n += 1
            acted = acting.report(
                self.graph, reporter, f"bench-lists-{time.time_ns()}-{self.n}",
                kind="dispute", title="邻里噪音纠纷", place=grid, category="邻里纠纷",
                channel="app", new_parties=[acting.NewParty("王小明", mobile=f"138{self.n:08d}")],
            )  # fmt: skip
            if isinstance(acted.result, Refusal):
                raise SystemExit(f"the report was refused: {acted.result}")
            command = Command(acted.dispute, "accept", actor, 1, f"bench-accept-{self.n}")
            rules, calendar = acting.rules_for(self.graph, grid)
            done = EventStore(self.graph).act(
                command, Facts(), datetime.now(CHINA_TIME), rules, calendar
            )
            if isinstance(done, Refusal):
                raise SystemExit(f"the accept was refused: {done}")


if __name__ == "__main__":
    main()
