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
load run) is the fair measure on a shared machine; the load average is printed beside it.
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


def _start(db: str, port: int, tokens: Path, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GOVGRAPH_DB": db,
        "GOVGRAPH_HOST": "127.0.0.1",
        "GOVGRAPH_PORT": str(port),
        "GOVGRAPH_TOKENS": str(tokens),
        "GOVGRAPH_MODE": "production",
        "GOVGRAPH_WORKERS": str(workers),
    }
    code = (
        "from api.app import serve; from api.settings import get_settings; "
        "serve(get_settings(), log_level='warning', access_log=False)"
    )
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


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


async def _latency(client: httpx.AsyncClient, auth: dict[str, dict[str, str]]) -> None:
    print(f"\nLatency, one request at a time ({RUNS} runs after 5 warm-up):\n")
    print("| query | p50 ms | p99 ms |")
    print("|---|---:|---:|")
    for name, (who, query) in QUERIES.items():
        for _ in range(5):
            await _ask(client, auth[who], query)
        times = [await _ask(client, auth[who], query) for _ in range(RUNS)]
        print(f"| {name} | {statistics.median(times):.1f} | {_percentile(times, 0.99):.1f} |")


async def _load(
    clients: list[httpx.AsyncClient], auth: dict[str, dict[str, str]], mix: list[tuple[str, str]]
) -> tuple[int, float, float, float, float]:
    """(requests, seconds, p50 ms, p99 ms, client CPU seconds) of the clients sending the
    queries of `mix` in turn for LOAD_SECONDS."""
    times: list[float] = []
    stop = time.monotonic() + LOAD_SECONDS

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


async def _throughput(base: str, auth: dict[str, dict[str, str]], server: int) -> None:
    print(f"\nThroughput, {CLIENTS} concurrent clients for {LOAD_SECONDS:.0f} s each:\n")
    print("| queries | requests/s | p50 ms | p99 ms | server CPU ms/req | clients' CPU | load |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    runs = [(name, [QUERIES[name]]) for name in QUERIES]
    runs.append(("all of the above in turn", list(QUERIES.values())))
    clients = [httpx.AsyncClient(base_url=base, timeout=60) for _ in range(CLIENTS)]
    try:
        for name, mix in runs:
            served = _cpu_seconds(server)
            count, seconds, p50, p99, cpu = await _load(clients, auth, mix)
            served = _cpu_seconds(server) - served
            print(
                f"| {name} | {count / seconds:.0f} | {p50:.1f} | {p99:.1f} "
                f"| {served * 1000 / count:.2f} | {cpu / seconds:.0%} of a core "
                f"| {os.getloadavg()[0]:.1f} |"
            )
    finally:
        for client in clients:
            await client.aclose()


async def main(workers: int) -> None:
    db = os.environ.get("GOVGRAPH_DB", str(ROOT / "data" / "govgraph.lbdb"))
    if not Path(db).exists():
        raise SystemExit(f"no graph at {db}: build it with `.venv/bin/govgraph demo --no-serve`")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        tokens = Path(tmp) / "tokens.json"
        auth = {
            "viewer": {},
            "mediator": {"Authorization": "Bearer " + create_token(tokens, "mediator", "330421")},
            "admin": {"Authorization": "Bearer " + create_token(tokens, "admin")},
        }
        server = _start(db, port, tokens, workers)
        try:
            async with httpx.AsyncClient(base_url=base, timeout=60) as client:
                await _wait_healthy(client, server)
                print(f"govgraph API on {base}, {workers} worker(s), graph {db}")
                await _latency(client, auth)
            await _throughput(base, auth, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1, help="API server processes")
    asyncio.run(main(parser.parse_args().workers))
