"""HTTP benchmark of the GraphQL API on the demo graph: a script, not a test.

    .venv/bin/govgraph demo --no-serve                      # once: builds ./data/govgraph.lbdb
    .venv/bin/python -P tests/bench_http.py [--workers N]   # GOVGRAPH_DB picks another graph

Starts uvicorn (production mode, `--workers` processes: one for an embedded store, which one
process owns; several only for Neo4j) on 127.0.0.1 at a free port in a child process, then,
with httpx.AsyncClient over loopback only:
1. latency: each representative query alone, after a warm-up, N times in a row: p50 and p99;
2. throughput: 20 concurrent clients sending one query over and over for a fixed time, for
   each query, then all of them in turn: requests/s, and p50/p99 under that load.
The clients run in this process, on the same two cores as the server: they take a share of
the machine (reported as this process's CPU time), so the server alone would do more. The
server's own CPU per request (its process's user and system time, from /proc, over each
load run, and for the requests one at a time) is the fair measure on a shared machine; the
system's share of it is in brackets, the load average beside it, the server's memory at the
end. `--only NAME`, `--clients N`, `--seconds S` and `--no-latency` narrow a run; `--gc`
prints the server's cyclic collections per generation and their CPU as it stops, and
`--profile FILE` writes a cProfile of its event loop's thread, in CPU time.
Bounded in count and time; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from api.auth import create_token

ROOT = Path(__file__).resolve().parents[1]
RUNS = 100  # per query, for latency
CLIENTS = 20
LOAD_SECONDS = 8.0
LOAD_MAX_REQUESTS = 10_000

QUERIES: dict[str, tuple[str, str]] = {
    # name: (who asks, query)
    "grid by id, unit and team": (
        "viewer",
        '{ grid(id: "330421-G0096") { id name unit { code name } '
        "team { role validFrom validTo person { name mobile } } } }",
    ),
    "50 grids, each with unit and team": (
        "viewer",
        '{ grids(within: "330421", kind: BASIC, first: 50) { totalCount items { id name '
        'unit { code name } team(asOf: "2021-01-01") { role person { name } } } } }',
    ),
    "20 disputes of a month, with parties (mediator)": (
        "mediator",
        '{ disputes(within: "330421", reportedFrom: "2021-03-01", reportedTo: "2021-03-31", '
        "first: 20) { totalCount items { id title reportedOn grid { id } domain { name } "
        "participants { side party { ... on Person { name mobile } } } } } }",
    ),
    "100 residents of a town (admin)": (
        "admin",
        '{ people(within: "330421002", first: 100) { totalCount pageInfo { endCursor } '
        "items { id name mobile home { code } } } }",
    ),
    "a person's posts as of a day": (
        "viewer",
        '{ person(id: "330421-P000546") { name gridPosts(asOf: "2021-06-01") { role '
        "grid { id name } } } }",
    ),
    "referral of the planted dispute, contacts and paths (mediator)": (
        "mediator",
        '{ referral(disputeId: "330421-D900001", asOf: "2021-12-20") { steps { order part '
        "actor { key name } contacts { person { name } post mobile } due rule "
        "path { text } } } }",
    ),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The server's code; under --gc or --profile, the cyclic collector's collections per
# generation with their CPU (gc.callbacks) printed as it stops, and a cProfile of the event
# loop's thread (its CPU time) written under --profile.
SERVE = (
    "from api.app import serve; from api.settings import get_settings; "
    "serve(get_settings(), log_level='warning', access_log=False)"
)
PROBED = """
import gc, signal, sys, time
from collections import Counter
# uvicorn raises the SIGTERM it caught again once stopped: end through this block's finally
signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
counts, cpu, started, serving = Counter(), Counter(), [0.0], [False]
def timed(phase, info):  # counted from the heap's freeze on (api.heap): serving, not opening
    # (gc.get_freeze_count() walks the frozen objects: a few ms, so asked until it is not 0)
    serving[0] = serving[0] or gc.get_freeze_count() > 0
    if not serving[0]:
        return
    if phase == 'start':
        started[0] = time.thread_time()
    else:
        counts[info['generation']] += 1
        cpu[info['generation']] += time.thread_time() - started[0]
gc.callbacks.append(timed)
profile = None
if {path!r}:
    import cProfile
    profile = cProfile.Profile(time.thread_time)  # the loop's CPU, not its waits
    profile.enable()
try:
    {serve}
finally:
    if profile is not None:
        profile.disable()
        profile.dump_stats({path!r})
    for generation in sorted(counts):
        print(f"the cyclic collector's generation {{generation}}: {{counts[generation]}} "
              f"collections, {{cpu[generation] * 1000:.0f}} ms of CPU", file=sys.stderr)
"""


def _start(
    db: str, port: int, tokens: Path, workers: int, probed: bool, profile: Path | None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GOVGRAPH_DB": db,
        "GOVGRAPH_HOST": "127.0.0.1",
        "GOVGRAPH_PORT": str(port),
        "GOVGRAPH_TOKENS": str(tokens),
        "GOVGRAPH_MODE": "production",
        "GOVGRAPH_WORKERS": str(workers),
    }
    code = SERVE
    if probed or profile:
        code = PROBED.format(serve=SERVE, path=str(profile or ""))
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)


async def _wait_healthy(client: httpx.AsyncClient, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode})")
        try:
            if (await client.get("/healthz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("the server did not become healthy within 60 s")


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system CPU time of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def _served(before: tuple[float, float], pid: int, requests: int) -> str:
    """The server's CPU ms per request since `before`, and the system's share of it."""
    user, system = (now - then for now, then in zip(_cpu_seconds(pid), before, strict=True))
    return f"{(user + system) * 1000 / requests:.2f} ({system * 1000 / requests:.2f})"


def _memory(pid: int) -> str:
    """Resident memory of process `pid` now and at its highest (Linux /proc)."""
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    rss, hwm = (int(status[k].split()[0]) // 1024 for k in ("VmRSS", "VmHWM"))
    return f"resident {rss} MiB, at most {hwm} MiB"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _ask(client: httpx.AsyncClient, headers: dict[str, str], query: str) -> float:
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": query}, headers=headers)
    elapsed = time.perf_counter() - started
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise SystemExit(f"{query[:60]}…: {response.status_code} {body}")
    return elapsed * 1000


async def _latency(
    client: httpx.AsyncClient,
    auth: dict[str, dict[str, str]],
    queries: dict[str, tuple[str, str]],
    server: int,
) -> None:
    print(f"\nLatency, one request at a time ({RUNS} runs after 5 warm-up):\n")
    print("| query | p50 ms | p99 ms | server CPU ms/req (system's) | load |")
    print("|---|---:|---:|---:|---:|")
    for name, (who, query) in queries.items():
        for _ in range(5):
            await _ask(client, auth[who], query)
        before = _cpu_seconds(server)
        times = [await _ask(client, auth[who], query) for _ in range(RUNS)]
        print(
            f"| {name} | {statistics.median(times):.1f} | {_percentile(times, 0.99):.1f} "
            f"| {_served(before, server, RUNS)} | {os.getloadavg()[0]:.1f} |"
        )


async def _load(
    clients: list[httpx.AsyncClient],
    auth: dict[str, dict[str, str]],
    mix: list[tuple[str, str]],
    seconds: float,
) -> tuple[int, float, float, float, float]:
    """(requests, seconds, p50 ms, p99 ms, client CPU seconds) of the clients sending the
    queries of `mix` in turn for `seconds`."""
    times: list[float] = []
    stop = time.monotonic() + seconds

    async def client_loop(n: int, client: httpx.AsyncClient) -> None:
        i = n
        while time.monotonic() < stop and len(times) < LOAD_MAX_REQUESTS:
            who, query = mix[i % len(mix)]
            times.append(await _ask(client, auth[who], query))
            i += 1

    cpu, started = time.process_time(), time.monotonic()
    await asyncio.gather(*(client_loop(n, c) for n, c in enumerate(clients)))
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    return (
        len(times),
        elapsed,
        statistics.median(times),
        _percentile(times, 0.99),
        cpu,
    )


async def _throughput(
    base: str,
    auth: dict[str, dict[str, str]],
    queries: dict[str, tuple[str, str]],
    server: int,
    clients_count: int,
    seconds: float,
) -> None:
    print(f"\nThroughput, {clients_count} concurrent clients for {seconds:g} s each:\n")
    print(
        "| queries | requests/s | p50 ms | p99 ms | server CPU ms/req (system's) | clients' CPU "
        "| load |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    runs = [(name, [query]) for name, query in queries.items()]
    if len(queries) > 1:
        runs.append(("all of the above in turn", list(queries.values())))
    clients = [httpx.AsyncClient(base_url=base, timeout=60) for _ in range(clients_count)]
    try:
        for name, mix in runs:
            before = _cpu_seconds(server)
            count, elapsed, p50, p99, cpu = await _load(clients, auth, mix, seconds)
            print(
                f"| {name} | {count / elapsed:.0f} | {p50:.1f} | {p99:.1f} "
                f"| {_served(before, server, count)} | {cpu / elapsed:.0%} of a core "
                f"| {os.getloadavg()[0]:.1f} |"
            )
    finally:
        for client in clients:
            await client.aclose()


async def main(args: argparse.Namespace) -> None:
    db = os.environ.get("GOVGRAPH_DB", str(ROOT / "data" / "govgraph.lbdb"))
    if not Path(db).exists():
        raise SystemExit(f"no graph at {db}: build it with `.venv/bin/govgraph demo --no-serve`")
    queries = {
        name: query
        for name, query in QUERIES.items()
        if not args.only or any(part in name for part in args.only)
    }
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        tokens = Path(tmp) / "tokens.json"
        auth = {
            "viewer": {},
            "mediator": {"Authorization": "Bearer " + create_token(tokens, "mediator", "330421")},
            "admin": {"Authorization": "Bearer " + create_token(tokens, "admin")},
        }
        server = _start(db, port, tokens, args.workers, args.gc, args.profile)
        try:
            async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                await _wait_healthy(client, server)
                print(f"govgraph API on {base}, {args.workers} worker(s), graph {db}")
                if not args.no_latency:
                    await _latency(client, auth, queries, server.pid)
            await _throughput(base, auth, queries, server.pid, args.clients, args.seconds)
            print(f"\nThe server's memory: {_memory(server.pid)}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    if args.profile:
        print(f"\ncProfile of the server's event loop: {args.profile}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1, help="API server processes")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=LOAD_SECONDS, help="per load run")
    parser.add_argument(
        "--only", action="append", help="only the queries whose name holds this (repeatable)"
    )
    parser.add_argument("--no-latency", action="store_true", help="the load runs only")
    parser.add_argument(
        "--gc", action="store_true", help="print the cyclic collector's collections and CPU"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="run the server under cProfile (its event loop's thread's CPU), write the stats "
        "here; implies --gc",
    )
    asyncio.run(main(parser.parse_args()))
