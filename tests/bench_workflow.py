"""Workflow benchmark (not a test): prints figures, asserts nothing.

    .venv/bin/govgraph demo --no-serve   # once, for the demo's parts: ./data/govgraph.lbdb
    .venv/bin/python -P tests/bench_workflow.py [--disputes 2000] [--city 10000] [--no-http]
    .venv/bin/python -P tests/bench_workflow.py --only-measures [--cold 5] [--warm 30]

- decide + apply per action, in process (the pure core);
- `EventStore.act` per action on a fresh embedded store (read the log, replay, decide, one
  write transaction), p50/p99;
- replay of a stored log and `clocks` of its state;
- one timer pass (`due_firings`) over `--disputes` open disputes, each in handling with a
  whistle (so six clocks each);
- the scheduler (`run_timers`) over a city's `--city` open disputes in a store: a catch-up pass
  over a slice, and the steady pass a minute after the last (every earlier firing recorded);
- the dashboard's `workflowMeasures(level: GRID)` over the demo graph (a copy), in process:
  p50/p99 cold (the first after the store is opened), warm, and after a dispute's log grew;
- over HTTP, on a copy of the demo graph served by `govgraph serve` (one process, the store's
  owner): mutations/s and their p50/p99 with 20 clients reading at the same time (and with
  none), and the headline queries' latency (referral, expert pool, escalation path) under a
  steady write load and without one.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.embedded import EmbeddedBackend  # noqa: E402
from graph.schema import SCHEMA  # noqa: E402
from queries.calendar import CHINA_TIME, Calendar, china_calendar  # noqa: E402
from queries.rules import Rules, load_rules  # noqa: E402
from workflow.clocks import clocks  # noqa: E402
from workflow.decide import decide  # noqa: E402
from workflow.model import Caller, Command, Event, Facts, Ref, Refusal  # noqa: E402
from workflow.state import DisputeState, apply, replay  # noqa: E402
from workflow.store import EventStore, Outcome  # noqa: E402
from workflow.timers import due_firings  # noqa: E402

RULES, CALENDAR = load_rules("330421"), china_calendar()
CENTER, DEPT = Ref("Center", "c"), Ref("Department", "d")
GRID = Ref("Grid", "g")
DISPATCHER = Caller(Ref("Person", "p-d"), "dispatcher", CENTER, "330421")
OFFICER = Caller(Ref("Person", "p-o"), "department", DEPT, "330421")
PARTY = Caller(Ref("Person", "p-a"), "resident")
A, B = Ref("Department", "a"), Ref("Department", "b")


def steps(dispute: str) -> list[tuple[str, Caller, Facts, dict[str, Any], tuple[Ref, ...]]]:
    report = {"channel": "app", "title": "t", "place": "g", "parties": 2}
    return [
        ("report", PARTY, Facts(target_level="town"), report, (CENTER,)),
        ("accept", DISPATCHER, Facts(), {}, ()),
        ("dispatch", DISPATCHER, Facts(target_level="town"), {}, (DEPT,)),
        ("sign", OFFICER, Facts(), {}, ()),
        ("record", OFFICER, Facts(), {"note": "n"}, ()),
        ("feed_back", OFFICER, Facts(), {}, ()),
        (
            "close",
            DISPATCHER,
            Facts(in_scope=True),
            {"outcome": "settled", "settled_level": "town"},
            (),
        ),
        ("rate", PARTY, Facts(is_party=True), {"rating": 5}, ()),
    ]


def _ms(values: list[float]) -> str:
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return f"p50 {statistics.median(values) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms"


def pure(n: int) -> None:
    started, count = time.perf_counter(), 0
    for i in range(n):
        state: DisputeState | None = None
        now = datetime(2024, 5, 20, 9, tzinfo=CHINA_TIME)
        for version, (action, caller, facts, data, targets) in enumerate(steps(f"D{i}")):
            command = Command(f"D{i}", action, caller, version, f"k{version}", targets, None, data)
            event = decide(state, command, facts, now, RULES, CALENDAR)
            assert not isinstance(event, Refusal), event
            state = apply(state or DisputeState(f"D{i}"), event)
            now += timedelta(hours=5)
            count += 1
    elapsed = time.perf_counter() - started
    print(f"decide + apply, in process: {count / elapsed:,.0f} actions/s ({count} actions)")


def stored(n: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        backend = EmbeddedBackend(Path(folder) / "g.lbdb")
        backend.init_schema()
        store = EventStore(backend)
        times: list[float] = []
        for i in range(n):
            now = datetime(2024, 5, 20, 9, tzinfo=CHINA_TIME)
            for version, (action, caller, facts, data, targets) in enumerate(steps(f"D{i}")):
                command = Command(
                    f"D{i}", action, caller, version, f"k{version}", targets, None, data
                )
                started = time.perf_counter()
                outcome = store.act(command, facts, now, RULES, CALENDAR)
                times.append(time.perf_counter() - started)
                assert isinstance(outcome, Outcome), outcome
                now += timedelta(hours=5)
        print(
            f"EventStore.act on the embedded store: {_ms(times)} ({len(times)} actions, one writer)"
        )
        log_times, clock_times = [], []
        for i in range(min(n, 200)):
            started = time.perf_counter()
            state = replay(store.log(f"D{i}"))
            log_times.append(time.perf_counter() - started)
            assert state is not None
            started = time.perf_counter()
            clocks(state, datetime(2024, 6, 1, tzinfo=CHINA_TIME), RULES, CALENDAR)
            clock_times.append(time.perf_counter() - started)
        print(f"read and replay one log of 8 events: {_ms(log_times)}")
        print(f"clocks of one state: {_ms(clock_times)}")
        backend.close()


def open_states(n: int) -> list[DisputeState]:
    state: DisputeState | None = None
    log: list[Event] = []
    now = datetime(2024, 5, 20, 9, tzinfo=CHINA_TIME)
    grid_worker = Caller(Ref("Person", "p-g"), "grid_worker", GRID, "330421")
    plan = [
        (
            "report",
            grid_worker,
            Facts(in_scope=True, target_level="grid"),
            {"channel": "grid_worker", "title": "t", "place": "g", "parties": 2},
            (GRID,),
        ),
        ("accept", grid_worker, Facts(), {}, ()),
        ("sign", grid_worker, Facts(), {}, ()),
        ("whistle", grid_worker, Facts(), {}, (A, B)),
    ]
    for version, (action, caller, facts, data, targets) in enumerate(plan):
        command = Command("W", action, caller, version, f"k{version}", targets, "r", data)
        event = decide(state, command, facts, now, RULES, CALENDAR)
        assert not isinstance(event, Refusal), event
        log.append(event)
        state = apply(state or DisputeState("W"), event)
        now += timedelta(minutes=10)
    template = replay(log)
    assert template is not None
    return [_renamed(template, f"W{i}") for i in range(n)]


def _renamed(state: DisputeState, dispute: str) -> DisputeState:
    from dataclasses import replace

    return replace(state, id=dispute)


def timers(n: int) -> None:
    states = open_states(n)

    def rules_for(state: DisputeState) -> Rules:
        return RULES

    def calendar_for(rules: Rules) -> Calendar:
        return CALENDAR

    now = datetime.combine(date(2024, 6, 20), datetime.min.time(), CHINA_TIME)
    started = time.perf_counter()
    fired = due_firings(states, now, rules_for, calendar_for)
    elapsed = time.perf_counter() - started
    print(
        f"one timer pass over {n:,} open disputes (6 clocks each): {elapsed:.2f} s, "
        f"{len(fired):,} firings due"
    )


# -- the scheduler over a city's open disputes ----------------------------------------------


def _city_store(backend: EmbeddedBackend, n: int, spread: timedelta) -> datetime:
    """`n` open disputes (in handling, with a whistle of two departments), their reports spread
    evenly over `spread` up to the returned time, written in bulk as logs."""
    from dataclasses import replace

    from workflow.store import SOURCE, to_row

    log = _template_log()
    end = log[-1].at + spread
    events, ties, disputes = [], [], []
    for i in range(n):
        shift = spread * i / max(n - 1, 1)
        for e in log:
            moved = replace(e, dispute=f"C{i}", at=e.at + shift)
            events.append({**to_row(moved), "source": SOURCE})
            ties.append({"from": f"C{i}", "to": moved.id, "rid": moved.id, "source": SOURCE})
        disputes.append({"id": f"C{i}", "title": "t", "source": SOURCE})
    dispute_node = SCHEMA.node("Dispute")
    event_node = next(t for t in SCHEMA.log_nodes if t.label == "DisputeEvent")
    logged = next(t for t in SCHEMA.log_rels if t.type == "LOGGED")
    backend.upsert_nodes(dispute_node, disputes, bulk=True)
    backend.upsert_nodes(event_node, events, bulk=True)
    backend.upsert_rels(logged, {("Dispute", "DisputeEvent"): ties}, bulk=True)
    return end


def _template_log() -> list[Event]:
    state: DisputeState | None = None
    log: list[Event] = []
    now = datetime(2024, 5, 20, 9, tzinfo=CHINA_TIME)
    grid_worker = Caller(Ref("Person", "p-g"), "grid_worker", GRID, "330421")
    plan = [
        ("report", Facts(in_scope=True, target_level="grid"),
         {"channel": "grid_worker", "title": "t", "place": "g", "parties": 2}, (GRID,)),
        ("accept", Facts(), {}, ()),
        ("sign", Facts(), {}, ()),
        ("whistle", Facts(), {}, (A, B)),
    ]  # fmt: skip
    for version, (action, facts, data, targets) in enumerate(plan):
        command = Command("C", action, grid_worker, version, f"k{version}", targets, "r", data)
        event = decide(state, command, facts, now, RULES, CALENDAR)
        assert not isinstance(event, Refusal), event
        log.append(event)
        state = apply(state or DisputeState("C"), event)
        now += timedelta(minutes=10)
    return log


def scheduler(n: int) -> None:
    from workflow.notify import Notification, Outbox
    from workflow.timers import run_timers

    def rules_for(state: DisputeState) -> Rules:
        return RULES

    def calendar_for(rules: Rules) -> Calendar:
        return CALENDAR

    def no_rung(state: DisputeState) -> None:
        return None

    with tempfile.TemporaryDirectory() as folder:
        backend = EmbeddedBackend(Path(folder) / "g.lbdb")
        backend.init_schema()
        started = time.perf_counter()
        end = _city_store(backend, n, timedelta(days=30))
        print(
            f"\n{n:,} open disputes written as logs in bulk: {time.perf_counter() - started:.1f} s"
        )
        store, outbox = EventStore(backend), Outbox(backend)
        # What the earlier passes recorded: every firing due by `end`, in bulk.
        started = time.perf_counter()
        states = [s for log in store.logs().values() if (s := replay(log)) is not None]
        read = time.perf_counter() - started
        started = time.perf_counter()
        due = due_firings(states, end, rules_for, calendar_for)
        compute = time.perf_counter() - started
        print(f"read and replay {n:,} logs: {read:.2f} s; firings due by then: {compute:.2f} s "
              f"({len(due):,})")  # fmt: skip
        notes = [
            Notification(f.key, f.dispute, f.recipient, f.kind, f.clock.key, f.at, f.clock.due)
            for f in due
        ]
        node = next(t for t in SCHEMA.log_nodes if t.label == "Notification")
        backend.upsert_nodes(node, [_note_row(x) for x in notes], bulk=True)
        started = time.perf_counter()
        fired = run_timers(
            store, outbox, end + timedelta(minutes=1), rules_for, calendar_for, no_rung
        )
        steady = time.perf_counter() - started
        print(
            f"the scheduler's steady pass over {n:,} open disputes, a minute after the last "
            f"({len(fired)} firings recorded): {steady:.2f} s"
        )
        backend.close()
    catch_up = min(n, 300)
    with tempfile.TemporaryDirectory() as folder:
        backend = EmbeddedBackend(Path(folder) / "g.lbdb")
        backend.init_schema()
        end = _city_store(backend, catch_up, timedelta(days=30))
        started = time.perf_counter()
        fired = run_timers(
            EventStore(backend), Outbox(backend), end, rules_for, calendar_for, no_rung
        )
        elapsed = time.perf_counter() - started
        print(
            f"a catch-up pass over {catch_up} open disputes after 30 days down: {elapsed:.2f} s, "
            f"{len(fired):,} firings recorded ({elapsed / max(len(fired), 1) * 1000:.1f} ms each)"
        )
        backend.close()


def _note_row(n: Any) -> dict[str, Any]:
    from workflow.store import SOURCE

    return {
        "id": n.id,
        "dispute": n.dispute,
        "recipient": str(n.recipient) if n.recipient else None,
        "why": n.why,
        "clock": n.clock,
        "at": n.at.isoformat(timespec="microseconds"),
        "due": n.due.isoformat(timespec="microseconds") if n.due else None,
        "source": SOURCE,
    }


# -- the dashboard's figures: workflowMeasures over the whole demo graph ---------------------

MEASURES = """{ workflowMeasures(level: GRID) { disputes
  byArea { area { key } disputes bounceRate whistleRate onTimeRate settledShare { level share } }
  byDepartment { department { key name } orders bounced whistled whistleRate onTimeRate }
  openByArea { unit { key } open approaching overdue paused }
  openByHolder { unit { key name } open approaching overdue paused }
  repeatVisitors { person { key name } disputes } } }"""


def measures(db: Path, cold: int, warm: int) -> None:
    """`workflowMeasures(level: GRID)` over every dispute, asked by a researcher in process
    (the GraphQL schema executed on a copy of the demo graph): cold, the first after the store
    is opened (each run opens it again); warm, asked again; and after a change, each run
    after a 催办 of one open dispute (its log one event longer)."""
    import asyncio
    import shutil

    from api import acting, queue
    from api.auth import Caller as ApiCaller
    from api.auth import Role
    from api.graphql.context import Context
    from api.graphql.schema import build_schema
    from api.settings import Settings

    if not db.exists():
        print(f"\n(no graph at {db}: `govgraph demo --no-serve` builds it; measures skipped)")
        return
    schema = build_schema(Settings(_env_file=None))
    researcher = ApiCaller(Role.RESEARCHER)

    def ask(graph: EmbeddedBackend) -> float:
        started = time.perf_counter()
        result = asyncio.run(schema.execute(MEASURES, context_value=Context(graph, researcher)))
        elapsed = time.perf_counter() - started
        if result.errors:
            raise SystemExit(f"workflowMeasures: {result.errors}")
        return elapsed

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "g.lbdb"  # the 催办 stay out of the demo graph
        shutil.copy(db, copy)
        cold_times = []
        for _ in range(cold):
            graph = EmbeddedBackend(copy)
            cold_times.append(ask(graph))
            graph.close()
        graph = EmbeddedBackend(copy)
        try:
            events = graph.read("MATCH (e:DisputeEvent) RETURN count(e) AS n")[0]["n"]
            disputes = graph.read("MATCH (d:Dispute)-[:LOGGED]->(:DisputeEvent {version: 1}) "
                                  "RETURN count(d) AS n")[0]["n"]  # fmt: skip
            ask(graph)
            warm_times = [ask(graph) for _ in range(warm)]
            center = graph.read(
                "MATCH (c:Center)-[:JURISDICTION]->(:Unit {code: '330421000000'}) RETURN c.id AS id"
            )[0]["id"]
            dispatcher = ApiCaller(
                Role.ADMIN, person="bench", unit=f"Center:{center}", workflow_role="dispatcher"
            )
            rows = queue.work_queue(graph, dispatcher, "ALL", within="330421")
            chased = next(r.state for r in rows if r.state.state not in ("new", "closed"))
            changed_times = []
            for run in range(max(1, warm // 3)):
                acted = acting.act(graph, dispatcher, chased.id, "chase", chased.version + run,
                                   f"bench-measures-{run}", reason="催办")  # fmt: skip
                if isinstance(acted.result, Refusal):
                    raise SystemExit(f"{chased.id}: the chase was refused: {acted.result}")
                changed_times.append(ask(graph))
        finally:
            graph.close()
    print(f"\nworkflowMeasures(level: GRID) over {disputes:,} disputes and {events:,} events, "
          "in process, as a researcher:")  # fmt: skip
    print(f"  cold (the first after opening the store, {cold} runs): {_ms(cold_times)}")
    print(f"  warm ({warm} runs):                                     {_ms(warm_times)}")
    print(f"  after one dispute's log grew ({len(changed_times)} runs):      "
          f"{_ms(changed_times)}")  # fmt: skip


# -- over HTTP: mutations beside readers, headline queries under writes ----------------------

GRID_ID = "330421-G0096"  # a basic grid of 嘉善 in the demo
READS = {  # what the 20 readers ask, in turn (as bench_http's viewers and mediators do)
    "grid": '{ grid(id: "330421-G0096") { id name unit { code name } team { role } } }',
    "disputes": '{ disputes(within: "330421", first: 20) { totalCount items { id title } } }',
    "queue": '{ workQueue(view: ALL, within: "330421", first: 20) { totalCount '
    "items { dispute { id } state clock { status } } } }",
}
HEADLINE = {
    "referral": '{ referral(disputeId: "330421-D900001", asOf: "2021-12-20") { steps { order '
    "actor { key name } contacts { person { name } mobile } due } } }",
    "expert pool": '{ expertPool(disputeId: "330421-D900001") { ranked { rank expert { key } } '
    "excluded { rule } } }",
    "escalation path": '{ escalationPath(gridId: "330421-G0096") { ladder { order level '
    "bodies { node { key name } } } } }",
}
REPORT = """mutation($input: ReportDisputeInput!) { reportDispute(input: $input) {
  dispute { id } userErrors { code message } } }"""
CHASE = """mutation($input: ActOnDisputeInput!) { actOnDispute(input: $input) {
  event { version } userErrors { code message } } }"""
WRITERS = 4  # clients acting, each on a dispute of its own
READERS = 20


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


async def run_http(seconds: float) -> None:
    import asyncio
    import shutil
    import socket
    import subprocess

    import httpx

    from api.auth import create_token

    db = Path(os.environ.get("GOVGRAPH_DB", str(ROOT / "data" / "govgraph.lbdb")))
    if not db.exists():
        print(f"\n(no graph at {db}: `govgraph demo --no-serve` builds it; HTTP part skipped)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "g.lbdb"  # the benchmark's writes stay out of the demo graph
        shutil.copy(db, copy)
        if db.with_name(db.name + ".wal").exists():
            shutil.copy(db.with_name(db.name + ".wal"), copy.with_name(copy.name + ".wal"))
        tokens = Path(tmp) / "tokens.json"
        auth = {
            "grid": create_token(tokens, "viewer", person="330421-P000546",
                                 unit=f"Grid:{GRID_ID}", workflow_role="grid_worker"),
            "dispatcher": create_token(tokens, "admin", person="330421-P000546",
                                       unit="Center:center-330421", workflow_role="dispatcher"),
            "mediator": create_token(tokens, "mediator", "330421"),
        }  # fmt: skip
        headers = {k: {"authorization": f"Bearer {v}"} for k, v in auth.items()}
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        env = {**os.environ, "GOVGRAPH_DB": str(copy), "GOVGRAPH_PORT": str(port),
               "GOVGRAPH_HOST": "127.0.0.1", "GOVGRAPH_TOKENS": str(tokens),
               "GOVGRAPH_MODE": "production", "GOVGRAPH_WORKERS": "1",
               "GOVGRAPH_AUDIT_LOG": str(Path(tmp) / "audit.jsonl")}  # fmt: skip
        code = (
            "from api.app import serve; from api.settings import get_settings; "
            "serve(get_settings(), log_level='warning', access_log=False)"
        )
        server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=base, timeout=120) as c:
                deadline = time.monotonic() + 120
                while True:
                    try:
                        if (await c.get("/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start")
                    await asyncio.sleep(0.3)
                await _http_phases(base, headers, seconds)
        finally:
            server.terminate()
            server.wait(timeout=60)


async def _http_phases(base: str, headers: dict[str, dict[str, str]], seconds: float) -> None:
    import asyncio

    import httpx

    async def post(c: httpx.AsyncClient, who: str, query: str, variables: Any = None) -> Any:
        r = await c.post("/graphql", json={"query": query, "variables": variables or {}},
                         headers=headers[who])  # fmt: skip
        body = r.json()
        if body.get("errors"):
            raise SystemExit(f"{query[:50]}…: {body['errors']}")
        return body["data"]

    clients = [httpx.AsyncClient(base_url=base, timeout=120) for _ in range(WRITERS + READERS)]
    writers, readers = clients[:WRITERS], clients[WRITERS:]
    disputes, versions = [], []
    for i, c in enumerate(writers):
        data = await post(c, "grid", REPORT, {"input": {
            "idempotencyKey": f"bench-{time.time_ns()}-{i}", "kind": "DISPUTE",
            "title": "邻里纠纷", "place": GRID_ID, "channel": "GRID_WORKER",
            "newParties": [{"name": "王小明"}]}})  # fmt: skip
        payload = data["reportDispute"]
        if payload["userErrors"]:
            raise SystemExit(f"report refused: {payload['userErrors']}")
        disputes.append(payload["dispute"]["id"])
        versions.append(1)

    async def write_loop(i: int, stop: float, pause: float, times: list[float]) -> None:
        c = writers[i]
        while time.monotonic() < stop:
            started = time.perf_counter()
            data = await post(c, "dispatcher", CHASE, {"input": {
                "disputeId": disputes[i], "action": "CHASE", "expectedVersion": versions[i],
                "idempotencyKey": f"chase-{versions[i]}"}})  # fmt: skip
            times.append(time.perf_counter() - started)
            answer = data["actOnDispute"]
            if answer["userErrors"]:
                raise SystemExit(f"chase refused: {answer['userErrors']}")
            versions[i] = answer["event"]["version"]
            if pause:
                await asyncio.sleep(pause)

    async def read_loop(n: int, stop: float, times: list[float]) -> None:
        mix = list(READS.values())
        i = n
        while time.monotonic() < stop:
            started = time.perf_counter()
            await post(readers[n], "mediator", mix[i % len(mix)])
            times.append(time.perf_counter() - started)
            i += 1

    print(f"\nOver HTTP (one server process on a copy of the demo graph; {seconds:.0f} s each):")
    print("\n| load | mutations/s | mutation p50 ms | p99 ms | reads/s | read p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, with_readers in (("4 writers alone", False), ("4 writers + 20 readers", True)):
        writes: list[float] = []
        reads: list[float] = []
        stop = time.monotonic() + seconds
        started = time.monotonic()
        tasks = [write_loop(i, stop, 0.0, writes) for i in range(WRITERS)]
        if with_readers:
            tasks += [read_loop(n, stop, reads) for n in range(READERS)]
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - started
        read_cells = (
            f"{len(reads) / elapsed:.0f} | {_pct(reads, 0.5) * 1000:.1f} | "
            f"{_pct(reads, 0.99) * 1000:.1f}"
            if reads
            else "— | — | —"
        )
        print(
            f"| {label} | {len(writes) / elapsed:.1f} | {_pct(writes, 0.5) * 1000:.1f} | "
            f"{_pct(writes, 0.99) * 1000:.1f} | {read_cells} |"
        )

    print("\nHeadline queries, one at a time (30 runs each after 3), without and with a steady")
    print("write load (one writer, a mutation every 100 ms):\n")
    print("| query | p50 ms | p99 ms | under writes p50 ms | p99 ms | mutations/s meanwhile |")
    print("|---|---:|---:|---:|---:|---:|")
    asker = readers[0]
    for name, query in HEADLINE.items():
        figures = []
        for loaded in (False, True):
            for _ in range(3):
                await post(asker, "mediator", query)
            writes = []
            stop = time.monotonic() + 3600
            background = asyncio.create_task(write_loop(0, stop, 0.1, writes)) if loaded else None
            times = []
            started = time.monotonic()
            for _ in range(30):
                t = time.perf_counter()
                await post(asker, "mediator", query)
                times.append((time.perf_counter() - t) * 1000)
            elapsed = time.monotonic() - started
            if background is not None:
                background.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await background
                versions[0] = await _version(post, writers[0], disputes[0])
            figures.append((_pct(times, 0.5), _pct(times, 0.99), len(writes) / elapsed))
        (a50, a99, _), (b50, b99, rate) = figures
        print(f"| {name} | {a50:.1f} | {a99:.1f} | {b50:.1f} | {b99:.1f} | {rate:.1f} |")
    for c in clients:
        await c.aclose()


async def _version(post: Any, client: Any, dispute: str) -> int:
    """The dispute's version now (a cancelled writer may have appended unseen)."""
    query = "query($id: ID!) { dispute(id: $id) { workflow { version } } }"
    data = await post(client, "dispatcher", query, {"id": dispute})
    return int(data["dispute"]["workflow"]["version"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--disputes", type=int, default=2000)
    parser.add_argument("--stored", type=int, default=100)
    parser.add_argument("--city", type=int, default=10_000, help="open disputes for run_timers")
    parser.add_argument("--http", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--only-measures", action="store_true", help="workflowMeasures on the demo graph alone"
    )
    parser.add_argument("--cold", type=int, default=5, help="cold runs of workflowMeasures")
    parser.add_argument("--warm", type=int, default=30, help="warm runs of workflowMeasures")
    parser.add_argument("--seconds", type=float, default=10.0, help="each HTTP load phase")
    args = parser.parse_args()
    db = Path(os.environ.get("GOVGRAPH_DB", str(ROOT / "data" / "govgraph.lbdb")))
    if args.only_measures:
        measures(db, args.cold, args.warm)
        return
    pure(1000)
    stored(args.stored)
    timers(args.disputes)
    scheduler(args.city)
    measures(db, args.cold, args.warm)
    if args.http:
        import asyncio

        asyncio.run(run_http(args.seconds))


if __name__ == "__main__":
    main()
