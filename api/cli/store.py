"""`govgraph init` and `govgraph load`: the schema, and files or official divisions loaded
into the store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from api.cli.common import backend, console, fail, settings
from api.opening import buffer_pool_mb
from api.settings import Settings
from graph.backend import Backend
from graph.embedded import EmbeddedBackend
from graph.errors import GraphError
from loaders.divisions import divisions_within
from loaders.load import Loader, LoadReport, MemoryTable

commands = typer.Typer()

STORE_FAILED = 3  # the exit status of a load the store failed; 1 is rows rejected


@commands.command()
def init() -> None:
    """Create the schema in the graph store (safe to run twice)."""
    given = settings()
    with backend(given, upgrading=True) as store:
        try:
            store.init_schema()
        except GraphError as exc:  # a store no addition brings up to the schema
            fail(str(exc))
    console.print(f"schema ready in {given.db}")


@commands.command()
def load(
    paths: Annotated[list[str], typer.Argument(help="Files to load, or the word 'divisions'.")],
    within: Annotated[
        list[str] | None,
        typer.Option(help="With 'divisions': load the official units inside this code."),
    ] = None,
    traditional: Annotated[
        bool, typer.Option(help="The files are in traditional characters: convert them.")
    ] = False,
    rejects: Annotated[Path, typer.Option(help="Where the rejected rows are written.")] = Path(
        "govgraph-rejects.csv"
    ),
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Load CSV, XLSX or JSON Lines files, or the official divisions inside a code.

    Each file holds one type, named by the last part of its name: 330421.people.csv holds
    people. Exits with status 1 when any row was rejected, 3 when the store failed mid-load
    (a full disk, a read-only file system): the report so far, what is committed, and what to
    run then.
    """
    given = settings()
    files = [Path(p) for p in paths]
    codes = within or []
    if paths == ["divisions"]:
        if not codes:
            fail("give the code to load, e.g. --within 330421")
        files = []
    elif codes:
        fail("--within goes with 'govgraph load divisions'")
    with backend(given, upgrading=True) as store:
        try:
            report = load_into(store, given, files, codes, traditional, rejects, progress)
        except ValueError as exc:  # an unknown division code, for one
            fail(str(exc))
    if not report.ok:
        raise typer.Exit(1)


def load_into(
    store: Backend,
    given: Settings,
    paths: list[Path],
    within: list[str],
    traditional: bool,
    rejects: Path,
    show_progress: bool,
) -> LoadReport:
    """Load the official divisions inside each code of `within`, then `paths`; print the
    report and write the rejected rows to `rejects`. A store failing mid-load ends the command
    with STORE_FAILED."""
    store.init_schema()
    with _progress(show_progress) as advance:
        loader = Loader(
            store,
            batch_size=given.batch_size,
            # Neo4j holds a transaction's rows in its heap: its batches stay small
            bulk_batch_size=given.bulk_batch_size if isinstance(store, EmbeddedBackend) else None,
            traditional=traditional,
            on_progress=advance,
            max_bytes=given.load_max_bytes,
            max_rows=given.load_max_rows,
        )
        tables = []
        for code in within:
            chain = divisions_within(code)
            tables.append(MemoryTable(f"divisions:{code}", "units", chain.units))
            tables.append(MemoryTable(f"divisions:{code}", "part_of", chain.part_of))
        try:
            loader.load_tables(tables)
            report = loader.load_paths(paths)
        except GraphError as exc:  # the store failed: a full disk, a read-only file system
            _print_report(loader.report, rejects)
            _store_failed(given, exc, loader.committed)
    _print_report(report, rejects)
    return report


def _print_report(report: LoadReport, rejects: Path) -> None:
    for f in report.files:
        style = "" if f.rejected == 0 and f.error is None else "[yellow]"
        console.print(style + f.line(), markup=bool(style), highlight=False)
    for warning in report.warnings:
        console.print(warning, style="yellow", markup=False, highlight=False)
    if report.rejects:
        report.write_rejects(rejects)
        console.print(f"{len(report.rejects)} problems written to {rejects}", highlight=False)


def _store_failed(given: Settings, exc: GraphError, committed: str | None) -> NoReturn:
    """Say what a load the store failed has left, and how to go on; exit STORE_FAILED."""
    kept = (
        f"every batch up to {committed} is committed; the rest of that file and any after it "
        "are not"
        if committed
        else "no batch was committed"
    )
    remedy = f"Free disk space or make {given.db} writable again"
    if "buffer pool is full" in str(exc):  # a COPY needed more than the store may take
        pool = buffer_pool_mb(given, loading=True)
        bound = "BUFFER_POOL_MB" if pool == given.buffer_pool_mb else "LOAD_BUFFER_POOL_MB"
        remedy = f"Raise GOVGRAPH_{bound} ({pool} MiB now)"
    fail(
        f"the store failed during the load: {exc}\n{kept}. {remedy}, run `govgraph init` once "
        "(it recovers a store left mid-write), then run the same `govgraph load` again: what "
        "is in is loaded again unchanged.",
        STORE_FAILED,
    )


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    if not enabled or not console.is_terminal:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        tasks: dict[str, Any] = {}

        def advance(name: str, rows: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(name, total=None)
            progress.advance(tasks[name], rows)

        yield advance
