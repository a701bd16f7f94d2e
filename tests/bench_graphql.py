"""CPU per GraphQL request in process, for the read mix of tests/bench_http.py: a script, not
a test.

    .venv/bin/python -P tests/bench_graphql.py [DB] [--runs N] [--profile QUERY] [--loop asyncio]
                                               [--asgi] [--callgrind] [--garbage]

Opens the graph as the server does (timed reads, the read model attached, the heap frozen:
`api.heap`), builds the schema with production settings, and runs each query of the read
mix `--runs` times, one after another, as its caller, through `schema.execute` with a fresh
`Context` (closed after), as each HTTP request makes one. Prints, per query, the process's CPU
per request (the event loop's and the worker threads', `time.process_time`), the event loop's share
(`time.thread_time`: the rest is the store's reads) and the wall p50. With `--profile N`
(the query's number in the table, from 1): a cProfile of that query's runs instead, sorted
by own time (`--sort cumtime`: by time within). No HTTP, no JSON: what GraphQL's execution,
the resolvers and the store cost. The graph is opened read-only (DB defaults to GOVGRAPH_DB
or data/govgraph.lbdb). The event loop is uvloop's, as the server's (uvicorn's `loop="auto"`
takes it when it is installed, as requirements.lock has it); `--loop asyncio` for the standard
library's.

With `--asgi`, each request goes through the server's app instead (`api.app.create_app`,
called as uvicorn calls it, with a POST's scope and its JSON body, no socket): the CPU of
routing, the caller's token, the middlewares and the JSON both ways comes on top; the
difference from the plain run is what the HTTP layer costs, without uvicorn's parsing.

With `--callgrind`, under `valgrind --tool=callgrind --instr-atstart=no`, it prints each
query's instructions per request instead: the whole process's (the loop and the store's
threads), counted only over that query's runs (`callgrind_control` switches the counting on
and dumps it), repeatable to ~0.1% where CPU time on a shared machine moves by tens of per
cent. LadybugDB's store is opened with a 4 GiB address space (valgrind cannot map its default
8 TiB). Use `--runs 20`: each request runs ~50 times slower.

With `--garbage`, it prints instead what one request of each query leaves in reference
cycles, which only the cyclic collector frees: the objects `gc.collect()` finds unreachable
after it (the collector off during it), with their commonest types.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import functools
import gc
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import ladybug
import strawberry
import uvloop

from api import heap
from api.app import create_app
from api.auth import Caller, Role, create_token
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.opening import open_graph
from api.settings import Settings
from graph.backend import Backend
from tests.bench_http import QUERIES

ROOT = Path(__file__).resolve().parents[1]
CALLERS = {
    "viewer": Caller(Role.VIEWER),
    "mediator": Caller(Role.MEDIATOR, "330421"),
    "admin": Caller(Role.ADMIN),
}


Ask = Callable[[str, str], Awaitable[None]]


def _executing(schema: strawberry.Schema, backend: Backend) -> Ask:
    """Asks a query through `schema.execute`, with a fresh context as a request makes."""

    async def ask(who: str, query: str) -> None:
        context = Context(backend, CALLERS[who])
        try:
            result = await schema.execute(query, context_value=context)
        finally:
            context.close()  # as the app closes it (api/app.py)
        if result.errors:
            raise SystemExit(f"{query[:60]}…: {result.errors}")

    return ask


def _posting(app: Any, tokens: Path) -> Ask:
    """Asks a query as a POST /graphql through the ASGI `app`, as uvicorn hands it one."""
    bearer = {
        "mediator": create_token(tokens, "mediator", "330421"),
        "admin": create_token(tokens, "admin"),
    }
    auth = {
        "viewer": [],
        **{w: [(b"authorization", f"Bearer {t}".encode())] for w, t in bearer.items()},
    }

    async def ask(who: str, query: str) -> None:
        body = json.dumps({"query": query}).encode()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"127.0.0.1"),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *auth[who],
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        answer = b"".join(m.get("body", b"") for m in sent[1:])
        if sent[0]["status"] != 200 or b'"errors":' in answer:
            raise SystemExit(f"{query[:60]}…: {sent[0]['status']} {answer[:300]!r}")

    return ask


async def _run(ask: Ask, who: str, query: str, runs: int) -> tuple[float, float, float]:
    """(CPU ms per request, the event loop's share of it, wall p50 ms) of `runs` requests
    one after another."""
    walls = []
    cpu, loop = time.process_time(), time.thread_time()
    for _ in range(runs):
        started = time.perf_counter()
        await ask(who, query)
        walls.append((time.perf_counter() - started) * 1000)
    cpu, loop = time.process_time() - cpu, time.thread_time() - loop
    return cpu * 1000 / runs, loop * 1000 / runs, statistics.median(walls)


def _callgrind(*command: str) -> None:
    """Has callgrind, which runs this process, do `command` (its `callgrind_control` options)."""
    subprocess.run(
        ["callgrind_control", *command, str(os.getpid())], check=True, capture_output=True
    )


def _instructions_dumped() -> int:
    """The instructions counted in callgrind's latest dump of this process."""
    dumps = Path.cwd().glob(f"callgrind.out.{os.getpid()}.*")
    latest = max(dumps, key=lambda p: int(p.suffix[1:]))
    totals = next(line for line in latest.read_text().splitlines() if line.startswith("totals:"))
    latest.unlink()
    return int(totals.split()[1])


async def _count(ask: Ask, who: str, query: str, runs: int) -> float:
    """Instructions per request of `runs` requests, counted by callgrind."""
    _callgrind("--zero")
    _callgrind("--instr=on")
    await _run(ask, who, query, runs)
    _callgrind("--instr=off")
    _callgrind("--dump")
    return _instructions_dumped() / runs


def _kind(thing: object) -> str:
    """A function's own name, else its type's."""
    return getattr(thing, "__qualname__", "") if callable(thing) else type(thing).__qualname__


async def _garbage(ask: Ask, who: str, query: str) -> tuple[int, list[tuple[str, int]]]:
    """(objects, their commonest types) that one request leaves in reference cycles."""
    gc.collect()
    gc.disable()
    try:
        await ask(who, query)
        await asyncio.sleep(0)  # what the request left scheduled (a loader's batch) is run
        gc.set_debug(gc.DEBUG_SAVEALL)
        found = gc.collect()
        types = collections.Counter(_kind(o) for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    return found, types.most_common(6)


async def main(
    db: str,
    runs: int,
    profile: int | None,
    sort: str,
    asgi: bool,
    callgrind: bool,
    garbage: bool = False,
) -> None:
    if callgrind:  # valgrind cannot map the 8 TiB LadybugDB asks for by default
        ladybug.Database = functools.partial(ladybug.Database, max_db_size=4 << 30)
    tokens = Path(tempfile.mkdtemp()) / "tokens.json"
    settings = Settings(db=db, mode="production", tokens=str(tokens))
    backend = open_graph(settings, read_only=True, timed=True, modelled=True)
    schema = build_schema(settings)
    ask = _posting(create_app(settings, backend=backend), tokens) if asgi else None
    ask = ask or _executing(schema, backend)
    try:
        with heap.frozen():
            queries = list(QUERIES.items())
            for _, (who, query) in queries:  # warm: parser's cache, loaders' first reads
                await _run(ask, who, query, 3)
            if profile is not None:
                name, (who, query) = queries[profile - 1]
                profiler = cProfile.Profile()
                profiler.enable()
                await _run(ask, who, query, runs)
                profiler.disable()
                print(f"{name}, {runs} requests")
                pstats.Stats(profiler, stream=sys.stdout).sort_stats(sort).print_stats(40)
                return
            if garbage:
                print("| query | objects left in cycles by one request | the commonest |")
                print("|---|---:|---|")
                for name, (who, query) in queries:
                    found, types = await _garbage(ask, who, query)
                    common = ", ".join(f"{t} {n}" for t, n in types)
                    print(f"| {name} | {found} | {common} |")
                return
            if callgrind:
                print(f"| query | instructions per request, {runs} requests (callgrind) |")
                print("|---|---:|")
                for name, (who, query) in queries:
                    count = await _count(ask, who, query, runs)
                    print(f"| {name} | {count / 1e6:.2f} M |", flush=True)
                return
            print(
                f"{runs} requests each, one after another, on {type(asyncio.get_running_loop())}"
                f", load average "
                f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
                f"{', through the ASGI app' if asgi else ''}\n"
            )
            print("| query | CPU ms per request | of which the event loop's | wall p50 ms |")
            print("|---|---:|---:|---:|")
            for name, (who, query) in queries:
                cpu, loop, p50 = await _run(ask, who, query, runs)
                print(f"| {name} | {cpu:.2f} | {loop:.2f} | {p50:.2f} |")
    finally:
        backend.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "db", nargs="?", default=os.environ.get("GOVGRAPH_DB", str(ROOT / "data/govgraph.lbdb"))
    )
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--profile", type=int, default=None, metavar="QUERY")
    parser.add_argument("--sort", default="tottime", help="the profile's order: tottime, cumtime")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    parser.add_argument("--asgi", action="store_true", help="through the server's ASGI app")
    parser.add_argument("--callgrind", action="store_true", help="instructions, under callgrind")
    parser.add_argument(
        "--garbage", action="store_true", help="what one request leaves in reference cycles"
    )
    args = parser.parse_args()
    run = uvloop.run if args.loop == "uvloop" else asyncio.run
    run(main(args.db, args.runs, args.profile, args.sort, args.asgi, args.callgrind, args.garbage))
