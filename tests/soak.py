"""Soak benchmark: is the server's memory flat under a long, mixed load? A script, not a test.

    .venv/bin/govgraph demo --no-serve                    # once: builds ./data/govgraph.lbdb
    .venv/bin/python -P tests/soak.py [--minutes 30]      # or `make soak`; GOVGRAPH_DB: another

Copies the graph into a temporary folder (the soak writes to it: the workflow's mutations) and
starts a real `govgraph serve` on 127.0.0.1 at a free port (production mode, its read model
read as it opens, as deployed). Then, with httpx over loopback only, for `--minutes`:
- `--clients` clients (20) send the read mix of docs/benchmarks.md in turn: lookups, lists
  with nested fields, and the three headline queries over many subjects (disputes and
  micro-grids of the graph, each asked with variables, as a page would);
- a researcher sends a runaway Cypher query every `--runaway-every` seconds (30), a memory
  bomb and a cartesian product that runs into the time limit in turn: each must be refused
  (400 and 408) without the server going down;
- a grid worker's token that acts reports a dispute and accepts it every `--mutate-every`
  seconds (3): `reportDispute` + `actOnDispute`.
Every `--sample-every` seconds (10) it reads the resident memory of the server and of its
children (the researchers' confined process) from /proc. At the end it prints requests/s,
p50/p95/p99 per kind, errors by status and the memory over time, and a verdict: "flat" when
the server's peak in the last third of the run is within `--tolerance` (10%) of its peak in
the middle third (the first third fills the store's pages and the copy's). It asserts
nothing; the server is stopped at the end, and the copy removed. The server inherits this
script's environment: GOVGRAPH_MALLOC_STATS=FILE has it append its allocator's figures to FILE
(api/mallocstats.py).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from api.auth import create_token
from graph.backend import open_backend

ROOT = Path(__file__).resolve().parents[1]
GOVGRAPH = Path(sys.executable).parent / "govgraph"

LOOKUPS = {
    "grid": '{ grid(id: "330421-G0096") { id name unit { code name } '
    "team { role validFrom validTo person { name mobile } } } }",
    "posts": 'query($id: ID!) { person(id: $id) { name gridPosts(asOf: "2021-06-01") { role '
    "grid { id name } } } }",
}
LISTS = {
    "50 grids": '{ grids(within: "330421", kind: BASIC, first: 50) { totalCount items { id name '
    'unit { code name } team(asOf: "2021-01-01") { role person { name } } } } }',
    "20 disputes": '{ disputes(within: "330421", reportedFrom: "2021-03-01", '
    'reportedTo: "2021-03-31", first: 20) { totalCount items { id title reportedOn grid { id } '
    "domain { name } participants { side party { ... on Person { name mobile } } } } } }",
    "100 residents": '{ people(within: "330421002", first: 100) { totalCount '
    "pageInfo { endCursor } items { id name mobile home { code } } } }",
}
REFERRAL = """query($d: ID!, $day: Date) { referral(disputeId: $d, asOf: $day) { steps { order
  part actor { key name } contacts { person { name } post mobile } due rule path { text } } } }"""
EXPERTS = """query($d: ID!, $day: Date) { expertPool(disputeId: $d, asOf: $day, limit: 5) {
  domains ranked { rank expert { key name } score contact { post mobile } }
  excluded { expert { key } rule } } }"""
ESCALATION = """query($g: ID!, $day: Date) { escalationPath(gridId: $g, asOf: $day) {
  ladder { order level bodies { node { key name } role } timeLimitDays due rule } } }"""
REPORT = """mutation($input: ReportDisputeInput!) { reportDispute(input: $input) {
  dispute { id } event { version } userErrors { code message field } replayed } }"""
ACT = """mutation($input: ActOnDisputeInput!) { actOnDispute(input: $input) {
  event { version action } userErrors { code message field } replayed } }"""
RUNAWAY = {
    # kind: (query, the status that refuses it)
    "cypher memory bomb": ("UNWIND range(1, 200000000) AS x RETURN collect(x) AS xs", 400),
    "cypher time-out": (
        # a filter makes the store compare every pair (a bare count(*) is answered at once)
        "MATCH (a:Person), (b:Person) WHERE a.name < b.name RETURN count(*) AS n",
        408,
    ),
}


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def fail(self, kind: str, what: str, detail: str) -> None:
        self.errors[f"{kind}: {what}"] += 1
        self.examples.setdefault(f"{kind}: {what}", detail[:300])


@dataclass
class Sample:
    seconds: float
    server_mib: float
    children_mib: float
    requests: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (the researchers' confined process and any it starts)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent]
        found += children
        frontier += children
    return found


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _subjects(db: Path, count: int) -> dict[str, list[tuple[str, str]]]:
    """Disputes with a domain (asked on their report day), micro-grids, a grid worker, people."""
    graph = open_backend(str(db), read_only=True)
    try:
        disputes = graph.read(
            "MATCH (d:Dispute)-[:OCCURRED_IN]->(:Grid) MATCH (d)-[:IN_DOMAIN]->(:Domain) "
            "RETURN d.id AS k, d.reported_on AS day ORDER BY k"
        )
        grids = graph.read(
            "MATCH (m:Grid)-[:PART_OF]->(:Grid) WHERE m.kind = 'micro' RETURN m.id AS k ORDER BY k"
        )
        people = graph.read(
            "MATCH (p:Person)-[:SERVES_IN]->(:Grid) RETURN DISTINCT p.id AS k ORDER BY k"
        )
        worker = graph.read(
            "MATCH (p:Person)-[s:SERVES_IN]->(g:Grid) WHERE g.kind = 'basic' AND "
            "g.id STARTS WITH '330421' AND s.role = 'head' RETURN p.id AS person, g.id AS grid "
            "ORDER BY grid LIMIT 1"
        )
    finally:
        graph.close()

    def spread(rows: list[dict[str, object]], day: str | None = None) -> list[tuple[str, str]]:
        step = max(1, len(rows) // count)
        return [(str(r["k"]), day or str(r.get("day"))) for r in rows[::step][:count]]

    return {
        "disputes": spread(disputes),
        "grids": spread(grids, "2021-12-31"),
        "people": spread(people, "2021-06-01"),
        "worker": [(worker[0]["person"], worker[0]["grid"])],
    }


async def _post(
    client: httpx.AsyncClient,
    tally: Tally,
    kind: str,
    path: str,
    body: dict[str, object],
    headers: dict[str, str],
    expected: int = 200,
) -> dict[str, object] | None:
    started = time.perf_counter()
    try:
        response = await client.post(path, json=body, headers=headers)
    except httpx.HTTPError as exc:
        tally.fail(kind, type(exc).__name__, str(exc))
        return None
    tally.times[kind].append((time.perf_counter() - started) * 1000)
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code != expected:
        tally.fail(kind, f"HTTP {response.status_code}", response.text)
        return None
    if path == "/graphql" and answer.get("errors"):
        tally.fail(kind, "GraphQL errors", str(answer["errors"]))
        return None
    return answer


async def _reader(
    n: int,
    client: httpx.AsyncClient,
    tally: Tally,
    auth: dict[str, dict[str, str]],
    subjects: dict[str, list[tuple[str, str]]],
    stop: float,
) -> None:
    disputes = itertools.cycle(subjects["disputes"][n:] + subjects["disputes"][:n])
    grids = itertools.cycle(subjects["grids"][n:] + subjects["grids"][:n])
    people = itertools.cycle(subjects["people"][n:] + subjects["people"][:n])
    mix: list[tuple[str, str, str, object]] = [
        ("lookup", "viewer", LOOKUPS["grid"], None),
        ("lookup", "viewer", LOOKUPS["posts"], people),
        *(
            ("list", who, q, None)
            for who, q in zip(("viewer", "mediator", "admin"), LISTS.values(), strict=True)
        ),
        ("referral", "mediator", REFERRAL, disputes),
        ("expertPool", "mediator", EXPERTS, disputes),
        ("escalationPath", "mediator", ESCALATION, grids),
    ]
    for i in itertools.count(n):
        if time.monotonic() >= stop:
            return
        kind, who, query, source = mix[i % len(mix)]
        variables: dict[str, object] = {}
        if source is not None:
            key, day = next(source)  # type: ignore[call-overload]
            if kind == "lookup":
                variables = {"id": key}
            elif kind == "escalationPath":
                variables = {"g": key, "day": day}
            else:
                variables = {"d": key, "day": day}
        await _post(
            client, tally, kind, "/graphql", {"query": query, "variables": variables}, auth[who]
        )


async def _researcher(
    client: httpx.AsyncClient, tally: Tally, auth: dict[str, str], every: float, stop: float
) -> None:
    for kind in itertools.cycle(RUNAWAY):
        if time.monotonic() + every >= stop:
            return
        await asyncio.sleep(every)
        query, status = RUNAWAY[kind]
        await _post(client, tally, kind, "/cypher", {"query": query}, auth, expected=status)


async def _worker(
    client: httpx.AsyncClient,
    tally: Tally,
    auth: dict[str, str],
    grid: str,
    every: float,
    stop: float,
) -> None:
    run = os.urandom(4).hex()
    for n in itertools.count():
        if time.monotonic() + every >= stop:
            return
        await asyncio.sleep(every)
        report = {
            "idempotencyKey": f"soak-{run}-{n}",
            "kind": "DISPUTE",
            "title": "邻里噪音纠纷",
            "place": grid,
            "channel": "APP",
            "category": "邻里纠纷",
            "newParties": [{"name": "王小明", "mobile": f"138{n % 100_000_000:08d}"}],
        }
        answer = await _post(
            client, tally, "reportDispute", "/graphql", _vars(REPORT, report), auth
        )
        payload = answer and answer["data"]["reportDispute"]  # type: ignore[index]
        if not payload:
            continue
        if payload["userErrors"]:
            tally.fail("reportDispute", "user errors", str(payload["userErrors"]))
            continue
        act = {
            "disputeId": payload["dispute"]["id"],
            "action": "ACCEPT",
            "expectedVersion": payload["event"]["version"],
            "idempotencyKey": f"soak-{run}-{n}-accept",
        }
        answer = await _post(client, tally, "actOnDispute", "/graphql", _vars(ACT, act), auth)
        payload = answer and answer["data"]["actOnDispute"]  # type: ignore[index]
        if payload and payload["userErrors"]:
            tally.fail("actOnDispute", "user errors", str(payload["userErrors"]))


def _vars(query: str, value: dict[str, object]) -> dict[str, object]:
    return {"query": query, "variables": {"input": value}}


async def _sampler(
    pid: int, tally: Tally, samples: list[Sample], every: float, stop: float
) -> None:
    started = time.monotonic()
    while True:
        server = _rss_mib(pid)
        children = sum(_rss_mib(p) for p in _descendants(pid))
        count = sum(len(t) for t in tally.times.values())
        samples.append(Sample(time.monotonic() - started, server, children, count))
        print(
            f"  {samples[-1].seconds:6.0f} s  server {server:7.0f} MiB  children "
            f"{children:6.0f} MiB  {count} requests  {sum(tally.errors.values())} errors",
            file=sys.stderr,
            flush=True,
        )
        if time.monotonic() + every > stop + every / 2:
            return
        if server == 0.0:
            raise SystemExit("the server process is gone: see --server-log")
        await asyncio.sleep(max(0.0, min(every, stop - time.monotonic())))


def _start(db: Path, port: int, tmp: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GOVGRAPH_DB": str(db),
        "GOVGRAPH_HOST": "127.0.0.1",
        "GOVGRAPH_PORT": str(port),
        "GOVGRAPH_TOKENS": str(tmp / "tokens.json"),
        "GOVGRAPH_AUDIT_LOG": str(tmp / "audit.jsonl"),
        "GOVGRAPH_MODE": "production",
        "GOVGRAPH_WORKERS": "1",
    }
    log = (tmp / "server.log").open("wb")
    return subprocess.Popen([str(GOVGRAPH), "serve"], cwd=tmp, env=env, stdout=log, stderr=log)


async def _wait_healthy(base: str, server: subprocess.Popen[bytes], tmp: Path) -> None:
    deadline = time.monotonic() + 120
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                log = (tmp / "server.log").read_text(errors="replace")[-2000:]
                raise SystemExit(f"the server stopped (exit {server.returncode}):\n{log}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
    raise SystemExit("the server did not become healthy within 120 s")


def _report(
    tally: Tally, samples: list[Sample], seconds: float, tolerance: float, cpu: float
) -> None:
    total = sum(len(t) for t in tally.times.values())
    print(
        f"\n{total} requests in {seconds:.0f} s: {total / seconds:.1f} requests/s "
        f"(the clients took {cpu / seconds:.0%} of a core)\n"
    )
    print("| kind | requests | p50 ms | p95 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    for kind, times in sorted(tally.times.items()):
        print(
            f"| {kind} | {len(times)} | {_percentile(times, 0.5):.1f} | "
            f"{_percentile(times, 0.95):.1f} | {_percentile(times, 0.99):.1f} |"
        )
    print(f"\nErrors: {sum(tally.errors.values()) or 'none'}")
    for what, count in tally.errors.most_common():
        print(f"  {count:6d}  {what}  e.g. {tally.examples[what]}")
    print("\nResident memory (MiB), the server and its children (the confined process):\n")
    print("| minute | server | children | requests so far |")
    print("|---:|---:|---:|---:|")
    shown = max(1, len(samples) // 15)
    for sample in samples[::shown] + ([samples[-1]] if (len(samples) - 1) % shown else []):
        print(
            f"| {sample.seconds / 60:.1f} | {sample.server_mib:.0f} | "
            f"{sample.children_mib:.0f} | {sample.requests} |"
        )
    third = len(samples) // 3
    if third < 2:
        print("\nVerdict: too short to tell (fewer than 6 samples)")
        return
    middle = max(s.server_mib for s in samples[third : 2 * third])
    last = max(s.server_mib for s in samples[2 * third :])
    peak = max(s.server_mib + s.children_mib for s in samples)
    growth = (last - middle) / max(middle, 1.0)
    verdict = "flat" if growth <= tolerance else "GROWING"
    print(
        f"\nVerdict: {verdict} — the server's peak in the last third {last:.0f} MiB, in the "
        f"middle third {middle:.0f} MiB ({growth:+.1%}, tolerance {tolerance:.0%}); the "
        f"highest server + children {peak:.0f} MiB; over the last two thirds the server grew "
        f"{_slope(samples[third:]):+.1f} MiB a minute (least squares)"
    )


def _slope(samples: list[Sample]) -> float:
    """MiB a minute of the server's memory, the least-squares line through `samples`."""
    xs = [s.seconds / 60 for s in samples]
    ys = [s.server_mib for s in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / spread if spread else 0.0


async def soak(args: argparse.Namespace) -> None:
    source = Path(os.environ.get("GOVGRAPH_DB", ROOT / "data" / "govgraph.lbdb"))
    if not source.exists():
        raise SystemExit(
            f"no graph at {source}: build it with `.venv/bin/govgraph demo --no-serve`"
        )
    with tempfile.TemporaryDirectory(prefix="govgraph-soak-") as name:
        tmp = Path(name)
        db = tmp / source.name
        shutil.copy2(source, db)
        subjects = _subjects(db, args.subjects)
        person, grid = subjects["worker"][0]
        tokens = tmp / "tokens.json"

        def bearer(*a: str, **k: str) -> dict[str, str]:
            return {"Authorization": "Bearer " + create_token(tokens, *a, **k)}

        auth = {
            "viewer": {},
            "mediator": bearer("mediator", "330421"),
            "admin": bearer("admin"),
            "researcher": bearer("researcher"),
            "worker": bearer(
                "viewer", person=person, unit=f"Grid:{grid}", workflow_role="grid_worker"
            ),
        }
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = _start(db, port, tmp)
        try:
            await _wait_healthy(base, server, tmp)
            print(
                f"govgraph serve (pid {server.pid}) on {base}, a copy of {source}; "
                f"{args.clients} clients for {args.minutes:g} min, a runaway query every "
                f"{args.runaway_every:g} s, a report + accept every {args.mutate_every:g} s "
                f"(grid worker {person} of {grid})",
                flush=True,
            )
            tally, samples = Tally(), []
            limits = httpx.Limits(max_connections=args.clients + 2)
            timeout = httpx.Timeout(120)
            async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as c:
                cpu, started = time.process_time(), time.monotonic()
                stop = started + args.minutes * 60
                await asyncio.gather(
                    _sampler(server.pid, tally, samples, args.sample_every, stop),
                    _researcher(c, tally, auth["researcher"], args.runaway_every, stop),
                    _worker(c, tally, auth["worker"], grid, args.mutate_every, stop),
                    *(_reader(n, c, tally, auth, subjects, stop) for n in range(args.clients)),
                )
                seconds, cpu = time.monotonic() - started, time.process_time() - cpu
            if server.poll() is not None:
                tally.fail("server", f"exit {server.returncode}", "the server stopped")
            _report(tally, samples, seconds, args.tolerance, cpu)
            if args.server_log:
                shutil.copy(tmp / "server.log", args.server_log)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="how long the load runs")
    parser.add_argument("--clients", type=int, default=20, help="concurrent readers")
    parser.add_argument("--subjects", type=int, default=300, help="disputes and grids asked")
    parser.add_argument("--runaway-every", type=float, default=30.0, help="seconds")
    parser.add_argument("--mutate-every", type=float, default=3.0, help="seconds")
    parser.add_argument("--sample-every", type=float, default=10.0, help="seconds")
    parser.add_argument("--server-log", type=Path, help="keep the server's log here")
    parser.add_argument(
        "--tolerance", type=float, default=0.10, help="growth from the middle to the last third"
    )
    asyncio.run(soak(parser.parse_args()))
