"""Peer benchmark (not a test): `make bench-peers` (issue 15).

    .venv/bin/python -P tests/bench_peers.py                  # the demo, a few minutes
    .venv/bin/python -P tests/bench_peers.py --scale city     # 苏州市, 1.06 M people

Run with `python -P` so that tests/ does not shadow the packages. The product and its peers
(tests/peers.py: SQLite with SQL, networkx with graph walks) load the same generated files
(fixtures/generate.py, into build/peers-<scale>/) and answer the three headline questions with
the product's own rule code: only the data access differs. Steps:

1. Each system alone in a process of its own: its load (wall and CPU time, peak resident
   memory); then, in a fresh process, opened as it serves (the product as the server opens
   it, with its read model) and every subject asked once: resident memory after.
   (networkx has nothing on disk: its load and its serving are one process.)
2. One process with every system open: every peer's answer to every subject must equal the
   product's (the whole answer: steps, bodies, contacts, paths, scores) before anything is
   timed (on subjects between the timed ones, so that the product does not hold the timed
   answers' rows before they are timed); a difference stops the run. So does a SQLite
   statement whose plan (EXPLAIN QUERY PLAN, with those subjects' parameters) reads a whole
   table where an index could be searched (`peers.whole_reads`).
3. Timing, interleaved subject by subject: for each query and subject, every system once, the
   order of the systems rotating, so that the machine's other work falls on all alike.
   Garbage collection is off during the timed calls (the loaded objects frozen out of it).
   With `--writes SECONDS`, the product is timed on a copy of its store while a thread
   reports a dispute every SECONDS (`api.acting.report`, as the soak's grid worker does):
   the headline questions under a steady write load from the workflow, each question after a
   report catching up what the read model holds of the disputes. The timing starts once the
   writer's first report is made (its one-off work: the statements prepared on the write
   connection), which is shown apart from the reports made beside the questions.

Subjects as tests/bench_queries.py picks them: micro-grids for the escalation path (asked
about on 2021-12-31), disputes with a grid and a category for the referral and the expert pool
(on their report day), spread evenly over the sorted ids; `--subjects` per question (200; the
city has 4,341 micro-grids, so up to 2,170). p99 is the value at rank round(0.99 × (n − 1)):
of 200 the 3rd slowest, which one stall of the machine decides; of 1,000 the 11th (`--subjects
1000`, a few minutes at the city). Ratios are product time ÷ peer time (above 1: the peer is
faster).
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "fixtures"))
sys.path.append(str(ROOT / "tests"))  # after the packages: tests/queries is no package

import generate  # noqa: E402
import peers  # noqa: E402
from bench_queries import figures, subjects  # noqa: E402
from bench_report_list import grid_head  # noqa: E402

from api import acting  # noqa: E402
from api.opening import buffer_pool_mb  # noqa: E402
from api.settings import Settings  # noqa: E402
from graph.backend import Backend  # noqa: E402
from graph.embedded import EmbeddedBackend  # noqa: E402
from loaders.divisions import divisions_within  # noqa: E402
from loaders.load import Loader, MemoryTable  # noqa: E402
from queries.escalation import escalation_path  # noqa: E402
from queries.experts import expert_pool  # noqa: E402
from queries.referral import referral  # noqa: E402
from workflow.model import Refusal  # noqa: E402

QUESTIONS: list[tuple[str, Callable[[Any, str, date], Any], str]] = [
    ("referral", lambda b, k, day: referral(b, dispute_id=k, as_of=day), "disputes"),
    (
        "expert pool + conflict check",
        lambda b, k, day: expert_pool(b, dispute_id=k, as_of=day),
        "disputes",
    ),
    ("escalation path", lambda b, k, day: escalation_path(b, grid_id=k, as_of=day), "grids"),
]
PEERS = ("SQLite", "networkx")


class Work:
    """Where a scale's files and stores live."""

    def __init__(self, scale: str) -> None:
        self.scale = scale
        self.dir = ROOT / "build" / f"peers-{scale}"
        self.files_dir = self.dir / "files"
        self.product = self.dir / "product.lbdb"
        self.sqlite = self.dir / "peers.sqlite"
        self.subjects = self.dir / "subjects.json"

    @property
    def divisions(self) -> list[str]:
        return list(generate.DIVISIONS[self.scale])

    @property
    def files(self) -> list[Path]:
        return sorted(self.files_dir.glob("*.csv"))

    def generate(self) -> None:
        marker = self.files_dir / ".complete"
        if not marker.exists():
            shutil.rmtree(self.files_dir, ignore_errors=True)
            generate.generate(self.files_dir, scale=self.scale)
            marker.touch()


# -- memory and time -----------------------------------------------------------------------------


def _status(field: str) -> float:
    """A /proc/self/status figure in MiB (VmRSS, VmHWM)."""
    try:
        text = Path("/proc/self/status").read_text()
        return int(text.split(f"{field}:")[1].split()[0]) / 1024
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- opening each system ------------------------------------------------------------------------


def open_product(work: Work, store: Path | None = None) -> tuple[Backend, float]:
    """The product's store (or a copy of it) opened as the server opens it (api.app:
    read-write, the settings' threads, pool and time limit, its read model read); the seconds
    from open to ready."""
    from api.app import _open  # the server's own way of opening the graph

    started = time.perf_counter()
    settings = Settings(_env_file=None, db=str(store or work.product))  # type: ignore[call-arg]
    backend = _open(settings)
    return backend, time.perf_counter() - started


def open_peer(name: str, work: Work) -> peers.Peer:
    if name == "SQLite":
        return peers.SqlitePeer(work.sqlite)
    if name == "networkx":
        return peers.GraphPeer(peers.load_networkx(work.files, work.divisions))
    raise ValueError(f"no peer named {name!r}; the peers are {', '.join(PEERS)}")


# -- the steps, each in a process of its own ----------------------------------------------------


def step_load(system: str, work: Work) -> dict[str, Any]:
    started, cpu = time.perf_counter(), _cpu()
    if system == "product":
        shutil.rmtree(work.product, ignore_errors=True)
        work.product.unlink(missing_ok=True)
        # opened and batched as `govgraph load` does (api/cli/store.py): a load's share of the
        # pool, the bulk path's batches (a Loader's default takes GOVGRAPH_BATCH_SIZE rows a COPY)
        given = Settings()
        backend = EmbeddedBackend(work.product, buffer_pool_mb=buffer_pool_mb(given, loading=True))
        backend.init_schema()
        loader = Loader(backend, batch_size=given.batch_size, bulk_batch_size=given.bulk_batch_size)
        for code in work.divisions:
            chain = divisions_within(code)
            loader.load_tables(
                [
                    MemoryTable(code, "units", chain.units),
                    MemoryTable(code, "part_of", chain.part_of),
                ]
            )
        report = loader.load_paths(work.files)
        backend.close()
        if report.rejects:
            raise SystemExit(f"the product rejected rows: {report.rejects[:5]}")
    elif system == "SQLite":
        peers.load_sqlite(work.sqlite, work.files, work.divisions)
    else:
        raise ValueError(f"{system} has no load step of its own")
    return {
        "load_s": time.perf_counter() - started,
        "load_cpu_s": _cpu() - cpu,
        "load_peak_mib": _status("VmHWM"),
    }


def step_serve(system: str, work: Work) -> dict[str, Any]:
    """Open `system` as it serves, ask every subject once; resident memory after."""
    picked = _subjects(work)
    started, cpu = time.perf_counter(), _cpu()
    out: dict[str, Any] = {}
    if system == "product":
        backend, ready = open_product(work)
        out["ready_s"] = ready
    else:
        backend = open_peer(system, work)
        out["ready_s"] = time.perf_counter() - started
        if system == "networkx":
            out.update(load_s=out["ready_s"], load_cpu_s=_cpu() - cpu)
            out["load_peak_mib"] = _status("VmHWM")
    out["open_mib"] = _status("VmRSS")
    for _, ask, kind in QUESTIONS:
        for key, day in picked[kind]:
            ask(backend, key, day)
    out["asked"] = sum(len(picked[kind]) for _, _, kind in QUESTIONS)
    out["after_mib"] = _status("VmRSS")
    backend.close()
    return out


def _subjects(work: Work, part: str = "") -> dict[str, list[tuple[str, date]]]:
    """The timed subjects by kind (grids, disputes), or with `part` " validated" the others."""
    saved = json.loads(work.subjects.read_text())
    return {
        kind: [(key, date.fromisoformat(day)) for key, day in saved[kind + part]]
        for kind in ("grids", "disputes")
    }


def _pick_subjects(work: Work, count: int) -> None:
    backend = EmbeddedBackend(work.product, read_only=True)
    try:
        both = subjects(backend, 2 * count)
    finally:
        backend.close()
    # every other one timed, the ones between validated: the product keeps what it reads, so
    # validating the timed subjects first would time answers it already holds
    as_text = {
        f"{k}{part}": [(key, _day(day).isoformat()) for key, day in v[start::2]]
        for k, v in both.items()
        for part, start in (("", 0), (" validated", 1))
    }
    work.subjects.write_text(json.dumps(as_text))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def in_process(step: str, system: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, "-P", __file__, "--scale", args.scale, "--step", step, system]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{step} {system} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- validation and timing -----------------------------------------------------------------------


def validate(systems: dict[str, Any], picked: dict[str, list[tuple[str, date]]]) -> dict[str, int]:
    """Every peer's answer equals the product's, for every subject; how many were compared."""
    compared: dict[str, int] = {}
    for question, ask, kind in QUESTIONS:
        for key, day in picked[kind]:
            expected = ask(systems["product"], key, day)
            for name, peer in systems.items():
                if name == "product":
                    continue
                got = ask(peer, key, day)
                if got != expected:
                    raise SystemExit(
                        f"{name} answers {question} for {key} on {day} differently from the "
                        f"product:\nproduct: {expected!r:.3000}\n{name}: {got!r:.3000}"
                    )
        compared[question] = len(picked[kind])
    return compared


def timed(
    systems: dict[str, Any], picked: dict[str, list[tuple[str, date]]]
) -> dict[str, dict[str, list[float]]]:
    """For each question and subject, every system once, in an order rotating by subject."""
    names = list(systems)
    times: dict[str, dict[str, list[float]]] = {q: {n: [] for n in names} for q, _, _ in QUESTIONS}
    gc.collect()
    gc.freeze()  # the graphs and stores loaded so far: nothing for the collector to walk
    for question, ask, kind in QUESTIONS:
        for i, (key, day) in enumerate(picked[kind]):
            order = names[i % len(names) :] + names[: i % len(names)]
            gc.disable()
            for name in order:
                started = time.perf_counter()
                ask(systems[name], key, day)
                times[question][name].append((time.perf_counter() - started) * 1000)
            gc.enable()
    return times


class Writer(threading.Thread):
    """Reports a dispute every `every` seconds into `graph` until stopped, as the soak's grid
    worker does: a steady write load from the workflow beside the timed questions."""

    def __init__(self, graph: Backend, within: str, every: float) -> None:
        super().__init__(daemon=True)
        self.graph, self.every = graph, every
        self.caller, self.grid = grid_head(graph, within)  # type: ignore[arg-type]
        self.stopped = threading.Event()
        self.warm = threading.Event()  # set once the first report is made (or failed)
        self.reported: list[float] = []
        self.refused: list[str] = []

    def run(self) -> None:
        n = 0
        try:
            while not self.stopped.wait(self.every):
                n += 1
                started = time.perf_counter()
                acted = acting.report(
                    self.graph, self.caller, f"bench-peers-{time.time_ns()}-{n}",
                    kind="dispute", title="邻里噪音纠纷", place=self.grid, category="邻里纠纷",
                    channel="app", new_parties=[acting.NewParty("王小明", mobile=f"139{n:08d}")],
                )  # fmt: skip
                self.reported.append((time.perf_counter() - started) * 1000)
                if isinstance(acted.result, Refusal):
                    self.refused.append(str(acted.result))
                self.warm.set()
        finally:
            self.warm.set()  # a failed report: `stop` says so, no one waits for ever

    def warmed(self) -> None:
        """Started, and its first report made: what that one does once is not timed."""
        self.start()
        self.warm.wait()

    def stop(self) -> str:
        self.stopped.set()
        self.join()
        if self.refused:
            raise SystemExit(f"the writer's reports were refused: {self.refused[:3]}")
        if not self.reported:
            raise SystemExit("the writer made no report (see the error above)")
        first, beside = self.reported[0], self.reported[1:]
        p50, p99 = _p50_p99(beside) if beside else (0.0, 0.0)
        return (
            f"writes meanwhile: {len(beside)} reports, one every {self.every:g} s (p50 "
            f"{p50:.1f} ms, p99 {p99:.1f} ms, max {max(beside, default=0.0):.1f} ms), none "
            f"refused; the first, before the timing, {first:.1f} ms"
        )


def _p50_p99(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[round(0.99 * (len(ordered) - 1))]


def report(
    times: dict[str, dict[str, list[float]]],
    setup: dict[str, dict[str, Any]],
    compared: dict[str, int],
) -> None:
    names = list(next(iter(times.values())))
    peer_names = [n for n in names if n != "product"]
    print("\nValidated before timing (every answer equal to the product's, whole):")
    for question, n in compared.items():
        print(f"- {question}: {n} subjects × {', '.join(peer_names)}")
    head = " | ".join(f"{n} p50 / p99" for n in names)
    ratios = " | ".join(f"product ÷ {n} p50 / p99" for n in peer_names)
    print(f"\n| query | {head} | {ratios} |")
    print("|---|" + "---:|" * (len(names) + len(peer_names)))
    for question, by_system in times.items():
        product = _p50_p99(by_system["product"])
        cells = [figures(by_system[n]).strip().replace("  ", " ") for n in names]
        shares = []
        for n in peer_names:
            p50, p99 = _p50_p99(by_system[n])
            shares.append(f"{product[0] / p50:.2f} / {product[1] / p99:.2f}")
        print(f"| {question} | {' | '.join(cells)} | {' | '.join(shares)} |")
    counts = sorted({len(by_system["product"]) for by_system in times.values()})
    slowest = [(n, n - round(0.99 * (n - 1))) for n in counts]
    print("\np99: " + ", ".join(f"of {n} timed, the slowest but {k - 1}" for n, k in slowest))
    print(
        "\n| system | load s (CPU s) | load peak RSS MiB | open to ready s | resident after "
        "the questions MiB |"
    )
    print("|---|---:|---:|---:|---:|")
    for name in names:
        s = setup.get(name)
        if not s:
            continue
        loaded = (  # none with --reuse: the store a previous run loaded
            f"{s['load_s']:.1f} ({s['load_cpu_s']:.1f}) | {s['load_peak_mib']:,.0f}"
            if "load_s" in s
            else "(reused) | (reused)"
        )
        print(
            f"| {name} | {loaded} | {s['ready_s']:.1f} | {s['after_mib']:,.0f} "
            f"(after {s['asked']} questions) |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=generate.SCALES, default="demo")
    parser.add_argument("--subjects", type=int, default=200, help="subjects per question")
    parser.add_argument("--systems", default=",".join(PEERS), help="the peers, comma-separated")
    parser.add_argument(
        "--reuse", action="store_true", help="use the stores a previous run left, if any"
    )
    parser.add_argument(
        "--writes",
        type=float,
        metavar="SECONDS",
        help="time the product on a copy of its store while a dispute is reported every SECONDS",
    )
    parser.add_argument("--step", nargs=2, metavar=("STEP", "SYSTEM"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = Work(args.scale)
    if args.step:
        step, system = args.step
        out = step_load(system, work) if step == "load" else step_serve(system, work)
        print(json.dumps(out))
        return
    chosen = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(chosen) - set(PEERS)
    if unknown:
        raise SystemExit(f"unknown peers {sorted(unknown)}; the peers are {', '.join(PEERS)}")
    started = time.perf_counter()
    work.generate()
    files = work.files
    size = sum(p.stat().st_size for p in files) / 2**20
    print(f"{args.scale}: {len(files)} files, {size:.0f} MiB, divisions {work.divisions}")
    setup: dict[str, dict[str, Any]] = {}
    for system in ["product", *chosen]:
        if system == "networkx":
            continue  # nothing on disk: loaded where it serves
        store = work.product if system == "product" else work.sqlite
        if not (args.reuse and store.exists()):
            setup[system] = in_process("load", system, args)
    _pick_subjects(work, args.subjects)
    for system in ["product", *chosen]:
        served = in_process("serve", system, args)
        setup[system] = {**setup.get(system, {}), **served}
        print(f"{system}: {json.dumps(setup[system])}")
    picked = _subjects(work)
    systems: dict[str, Any] = {}
    scratch = tempfile.TemporaryDirectory()  # the copy the writes go to, never the store
    copy = Path(scratch.name) / "product.lbdb"
    if args.writes:
        shutil.copyfile(work.product, copy)
    systems["product"], _ = open_product(work, copy if args.writes else None)
    for name in chosen:
        systems[name] = open_peer(name, work)
    compared = validate(systems, _subjects(work, " validated"))
    if "SQLite" in systems:  # its plans, with the parameters of the subjects just validated
        plans = systems["SQLite"].plans()
        wasted = peers.whole_reads(plans)
        if wasted:
            raise SystemExit(f"SQLite reads whole tables it could search: {wasted}")
        print(f"SQLite: none of its {len(plans)} statements reads a table it could search")
    asked = {n: dict(s.asked) for n, s in systems.items() if isinstance(s, peers.Peer)}
    print(f"named queries the questions read, per peer: {json.dumps(asked)}")
    print("(the peers have no read model: every read is a read of their data)")
    writer = Writer(systems["product"], work.divisions[0], args.writes) if args.writes else None
    if writer:
        writer.warmed()
    times = timed(systems, picked)
    writes = writer.stop() if writer else "no writes meanwhile"
    report(times, setup, compared)
    print(f"\n{writes}")
    for backend in systems.values():
        backend.close()
    scratch.cleanup()
    print(f"\n{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
