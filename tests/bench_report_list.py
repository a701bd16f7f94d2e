"""A report, then a list (not a test): prints figures, asserts nothing.

    .venv/bin/python -P tests/bench_report_list.py STORE [--reports 30] [--within 330421]

Copies STORE (a demo's or a city's graph) into a temporary folder (the reports are written
there, never to STORE), opens it with the read model attached (as the server does), and
`--reports` times: reports a dispute as the soak does (`api.acting.report`, a grid worker of
`--within`, one new party, a category), then times the next `disputes(within:)` list
(GraphQL, in process, the soak's "20 disputes" page): the list that finds the cases changed
by the report. Prints p50 and p99 of the reports, of those lists, of the same list asked
again at once (nothing changed), of the cases' catch-up within the list after a report
(`Cases.reported`), of the list fields' catch-up (`DisputeFields.caught_up`) and of the
place's ordering (`DisputeFields.place`) within it; how many times the cases were read
whole; and whether every list counted its report.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api import acting  # noqa: E402
from api.auth import Caller, Role  # noqa: E402
from api.graphql.context import Context  # noqa: E402
from api.graphql.schema import build_schema  # noqa: E402
from api.settings import Settings  # noqa: E402
from graph.embedded import EmbeddedBackend  # noqa: E402
from graph.places import DivisionCode, grids_within  # noqa: E402
from queries import cases, dispute_fields, read_model  # noqa: E402
from workflow.model import Refusal  # noqa: E402

LIST = """query ($w: String!) { disputes(within: $w, orderBy: ID, direction: DESC, first: 20) {
    totalCount items { id title reportedOn grid { id } } } }"""


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return f"p50 {statistics.median(values) * 1000:8.2f} ms, p99 {p99 * 1000:8.2f} ms"


def _timed(cls: type, name: str) -> list[float]:
    """`cls.name` replaced by itself timed: the seconds of each call, appended to the list
    returned."""
    method, took = getattr(cls, name), []

    def timed(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return method(*args)
        finally:
            took.append(time.perf_counter() - started)

    setattr(cls, name, timed)
    return took


def grid_head(graph: EmbeddedBackend, within: str) -> tuple[Caller, str]:
    """The soak's reporter: the head of the first basic grid inside `within`."""
    grids = sorted(grids_within(graph.read, DivisionCode.parse(within)))  # a city's keys
    found = graph.read(  # do not start with the code
        "MATCH (p:Person)-[s:SERVES_IN]->(g:Grid) WHERE g.kind = 'basic' AND "
        "g.id IN $grids AND s.role = 'head' RETURN p.id AS person, g.id AS grid "
        "ORDER BY grid LIMIT 1",
        {"grids": grids},
    )
    if not found:
        raise SystemExit(f"{within}: no basic grid with a head")
    person, grid = found[0]["person"], found[0]["grid"]
    caller = Caller(Role.VIEWER, person=person, unit=f"Grid:{grid}", workflow_role="grid_worker")
    return caller, grid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--reports", type=int, default=30)
    parser.add_argument("--within", default="330421")
    args = parser.parse_args()
    schema = build_schema(Settings(_env_file=None))
    caller = Caller(Role.ADMIN)

    def listed(graph: EmbeddedBackend) -> tuple[float, Any]:
        started = time.perf_counter()
        result = asyncio.run(
            schema.execute(
                LIST, variable_values={"w": args.within}, context_value=Context(graph, caller)
            )
        )
        took = time.perf_counter() - started
        if result.errors:
            raise SystemExit(f"the list failed: {result.errors}")
        return took, result.data

    whole = 0
    build = cases.Cases.__init__

    def counted(self: cases.Cases, backend: Any) -> None:
        nonlocal whole
        whole += 1
        build(self, backend)

    cases.Cases.__init__ = counted  # type: ignore[method-assign]
    caught_up = _timed(cases.Cases, "reported")  # the cases' catch-up after a report
    fields_caught_up = _timed(dispute_fields.DisputeFields, "caught_up")  # the list fields'
    placed = _timed(dispute_fields.DisputeFields, "place")  # the place's disputes in order
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "bench-report-list.lbdb"
        shutil.copyfile(args.store, copy)
        graph = EmbeddedBackend(copy)
        try:
            started = time.perf_counter()
            read_model.attach(graph)
            print(f"model read in {time.perf_counter() - started:.2f} s")
            total = listed(graph)[1]["disputes"]["totalCount"]
            whole = 0
            caught_up.clear()
            fields_caught_up.clear()
            placed_after: list[float] = []
            reporter, grid = grid_head(graph, args.within)
            reports, after, again, held = [], [], [], 0
            for n in range(args.reports):
                started = time.perf_counter()
                acted = acting.report(
                    graph, reporter, f"bench-report-list-{time.time_ns()}-{n}",
                    kind="dispute", title="邻里噪音纠纷", place=grid, category="邻里纠纷",
                    channel="app", new_parties=[acting.NewParty("王小明", mobile=f"138{n:08d}")],
                )  # fmt: skip
                reports.append(time.perf_counter() - started)
                if isinstance(acted.result, Refusal):
                    raise SystemExit(f"the report was refused: {acted.result}")
                placed.clear()
                took, data = listed(graph)
                after.append(took)
                placed_after.extend(placed)
                held += data["disputes"]["totalCount"] == total + 1
                total = data["disputes"]["totalCount"]
                again.append(listed(graph)[0])
        finally:
            graph.close()
    print(f"{args.reports} reports in {args.within}, each followed by the list, twice")
    print(f"  the report (acting.report)          {_ms(reports)}")
    print(f"  the list after it                   {_ms(after)}")
    print(f"  the same list again at once         {_ms(again)}")
    print(f"  the cases' catch-up (reported)      {_ms(caught_up)}")
    print(f"  the fields' catch-up (caught_up)    {_ms(fields_caught_up)}")
    print(f"  the place's order (place), after it {_ms(placed_after)}")
    print(f"  the cases read whole: {whole} times; lists that counted their report: {held}")


if __name__ == "__main__":
    main()
