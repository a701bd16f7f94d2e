"""Load benchmark (not a test): `make bench-load`.

Run with `python -P` (as make does) so that tests/ does not shadow the packages.
Generates the city-scale data set once (into build/city/), then loads it into a fresh embedded
store opened with GOVGRAPH_BUFFER_POOL_MB, as `govgraph load` opens it (the first load takes
the bulk COPY path, in batches of --bulk-batch-size rows), then loads the same files again
(every row an upsert, in batches of --batch-size rows), and prints rows/s, CPU time and peak
memory for each, the files that took longest and those highest at their peak. The machine's
other work shows in the wall time more than in the CPU time: compare runs on the same data,
several times. Part of the city:
`--residents N` generates a smaller one (into build/city-N/; disputes and their log shrink with
it), `--only disputes,dispute_events,logged` loads those types only (into
build/city[-N]-part.lbdb, so build/city.lbdb stays whole for the other benchmarks).

`--store-alone THREADS` measures instead what the store itself takes, the floor under any
loader: each file read by Arrow's CSV reader and cast to the schema's types (rids made as the
loader makes them), with nothing validated and no provenance, then one COPY per file (per pair
of endpoint labels) and its commit, timed alone, on a write connection of THREADS threads (the
loader's has one), the store's page pool unbounded (one COPY of a million relationships
overruns the load's pool).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import resource
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "fixtures"))

from api.opening import buffer_pool_mb  # noqa: E402
from api.settings import Settings  # noqa: E402
from graph.embedded import _ARROW_TYPES, EmbeddedBackend, rel_columns  # noqa: E402
from graph.schema import SCHEMA, NodeType  # noqa: E402
from loaders.divisions import divisions_within  # noqa: E402
from loaders.load import Loader, MemoryTable, _rid_texts  # noqa: E402
from loaders.read import type_stem  # noqa: E402


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "fixtures" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _peak_mib() -> float:
    """The process's peak resident memory since `_reset_peak` (since it started where Linux
    cannot reset it)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux 4.0 and later)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _generate(generator: Any, out: Path, residents: int | None) -> None:
    """The city's files (fixtures/generate.py), with its residents or `residents`."""
    if residents is None:
        generator.generate(out, scale="city")
        return
    files = generator.Output(out, check_keys=False)
    try:
        shared = generator.write_shared(files.sink("shared"))
        generator.gen_city.build(files, 2021, shared, residents=residents)
    finally:
        files.close()


def _load(
    db: Path, files: list[Path], county: str, batch_size: int, bulk_batch_size: int
) -> tuple[int, float, float, str, float, str]:
    """Rows read, wall and CPU seconds, the five files that took longest, the peak memory and
    the three files highest at theirs (each batch's peak counted to its file, from the end of
    the batch before: its reading, COPY and assertions)."""
    pool = buffer_pool_mb(Settings(), loading=True)  # as `govgraph load` opens it
    backend = EmbeddedBackend(db, buffer_pool_mb=pool)
    backend.init_schema()
    took: dict[str, float] = defaultdict(float)
    peaks: dict[str, float] = defaultdict(float)
    last = [time.perf_counter()]

    def progress(name: str, rows: int) -> None:  # after each batch
        now = time.perf_counter()
        took[name] += now - last[0]
        last[0] = now
        peaks[name] = max(peaks[name], _peak_mib())
        _reset_peak()

    loader = Loader(
        backend, batch_size=batch_size, bulk_batch_size=bulk_batch_size, on_progress=progress
    )
    started, cpu = time.perf_counter(), _cpu()
    chain = divisions_within(county)
    loader.load_tables(
        [
            MemoryTable("divisions", "units", chain.units),
            MemoryTable("divisions", "part_of", chain.part_of),
        ]
    )
    report = loader.load_paths(files)
    elapsed, cpu = time.perf_counter() - started, _cpu() - cpu
    backend.close()
    bad = [f.line() for f in report.files if f.rejected or f.error]
    if bad:
        raise SystemExit("the benchmark data did not load cleanly:\n" + "\n".join(bad[:10]))
    longest = sorted(took.items(), key=lambda item: -item[1])[:5]
    slowest = ", ".join(f"{name} {s:.1f} s" for name, s in longest)
    peaks["(after the last batch)"] = _peak_mib()
    highest = sorted(peaks.items(), key=lambda item: -item[1])[:3]
    where = ", ".join(f"{name} {mib:,.0f} MiB" for name, mib in highest)
    return sum(f.read for f in report.files), elapsed, cpu, slowest, highest[0][1], where


def _arrow_rows(path: Path) -> Any:
    """A file's rows as Arrow text columns (empty cells null), read by Arrow's CSV reader."""
    with path.open(encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    convert = pcsv.ConvertOptions(
        strings_can_be_null=True, column_types={name: pa.string() for name in header}
    )
    return pcsv.read_csv(path, convert_options=convert)


def _typed(table: Any, columns: Any) -> Any:
    """`table` with the schema's `columns` in their types (absent ones empty), as COPY takes."""
    arrays = {}
    for p in columns:
        given = p.name in table.column_names
        kind = _ARROW_TYPES[p.type]
        arrays[p.name] = table[p.name].cast(kind) if given else pa.nulls(len(table), kind)
    return pa.table(arrays)


def _store_alone(db: Path, files: list[Path], county: str, threads: int) -> None:
    """What the store takes to COPY `files` with nothing else done (the module's doc)."""
    backend = EmbeddedBackend(db)  # the pool unbounded
    backend.init_schema()
    chain = divisions_within(county)
    Loader(backend).load_tables(
        [
            MemoryTable("divisions", "units", chain.units),
            MemoryTable("divisions", "part_of", chain.part_of),
        ]
    )
    backend._conn.set_max_threads_for_exec(threads)  # the loader's connection takes one
    order = {name: i for i, name in enumerate(SCHEMA.loaded_files)}
    known = sorted((p for p in files if type_stem(p) in order), key=lambda p: order[type_stem(p)])
    rows, wall, cpu = 0, 0.0, 0.0
    for path in known:
        kind = SCHEMA.by_file(type_stem(path))
        table = _arrow_rows(path)
        if isinstance(kind, NodeType):
            table = _typed(table, kind.properties)
            started, used = time.perf_counter(), _cpu()
            backend.upsert_nodes(kind, table, bulk=True)
        else:
            assert kind is not None
            for end, label in zip(("from_type", "to_type"), kind.endpoints[0], strict=True):
                if end not in table.column_names:  # the type's own labels, as the loader's
                    table = table.append_column(end, pa.repeat(pa.scalar(label), len(table)))
            pairs = pc.binary_join_element_wise(table["from_type"], table["to_type"], "\x1f")
            groups = {}
            for pair in pc.unique(pairs).to_pylist():
                part = table.filter(pc.equal(pairs, pair))
                a, b = pair.split("\x1f")
                rids = _rid_texts(
                    kind.type,
                    a,
                    b,
                    part["from"].to_pylist(),
                    part["to"].to_pylist(),
                    [part[name].to_pylist() for name in kind.identity],
                )
                part = part.append_column("rid", pa.array([r.hex() for r in rids]))
                groups[(a, b)] = _typed(part, rel_columns(kind))
            started, used = time.perf_counter(), _cpu()
            backend.upsert_rels(kind, groups, bulk=True)
        wall += time.perf_counter() - started
        cpu += _cpu() - used
        rows += len(table)
    backend.close()
    print(
        f"the store alone, {threads} thread(s): {rows} rows COPYed and committed in "
        f"{wall:.1f} s = {rows / wall:,.0f} rows/s ({cpu:.1f} s CPU); "
        f"peak memory {_peak_mib():,.0f} MiB (the files' tables held too)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "city")
    parser.add_argument("--batch-size", type=int, default=50_000, help="rows per upsert batch")
    parser.add_argument(
        "--bulk-batch-size",
        type=int,
        default=1_000_000,
        help="rows per batch while a type is filled by COPY (the first load)",
    )
    parser.add_argument("--skip-reload", action="store_true")
    parser.add_argument("--residents", type=int, help="a smaller city (default: 900,000)")
    parser.add_argument("--only", help="the file types to load, e.g. dispute_events,logged")
    parser.add_argument(
        "--store-alone", type=int, metavar="THREADS", help="the store's COPYs alone (module doc)"
    )
    args = parser.parse_args()
    generator = _generator()
    if args.residents is not None and args.out == parser.get_default("out"):
        args.out = args.out.with_name(f"city-{args.residents}")
    marker = args.out / ".complete"
    if not marker.exists():
        started = time.perf_counter()
        shutil.rmtree(args.out, ignore_errors=True)
        _generate(generator, args.out, args.residents)
        marker.touch()
        print(f"generated city-scale files in {time.perf_counter() - started:.1f} s")
    files = sorted(p for p in args.out.glob("*.csv"))
    if args.only:
        files = [p for p in files if p.name.split(".")[-2] in args.only.split(",")]
    county = generator.DIVISIONS["city"][0]
    size = sum(p.stat().st_size for p in files) / 2**20
    print(f"{len(files)} files, {size:.0f} MiB, division code {county}")
    db = args.out.parent / f"{args.out.name}{'-part' if args.only else ''}.lbdb"
    shutil.rmtree(db, ignore_errors=True)
    db.unlink(missing_ok=True)
    if args.store_alone:
        _store_alone(db, files, county, args.store_alone)
        return
    sizes = (db, files, county, args.batch_size, args.bulk_batch_size)
    rows, seconds, cpu, slowest, peak, where = _load(*sizes)
    print(
        f"first load: {rows} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s "
        f"(bulk COPY path; {cpu:.1f} s CPU); peak memory {peak:,.0f} MiB\n  {slowest}\n"
        f"  highest: {where}"
    )
    if not args.skip_reload:
        _reset_peak()
        rows, seconds, cpu, slowest, peak, where = _load(*sizes)
        print(
            f"re-load:    {rows} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s "
            f"(upsert path; {cpu:.1f} s CPU); peak memory {peak:,.0f} MiB\n  {slowest}\n"
            f"  highest: {where}"
        )


if __name__ == "__main__":
    main()
