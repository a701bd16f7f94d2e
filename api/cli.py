"""The `govgraph` command line: init, load, demo and cypher.

Each command reads the settings when it runs, opens the backend, and closes it when done.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.settings import Settings, get_settings
from graph.backend import Backend, open_backend
from graph.errors import GraphError
from loaders.load import Loader, LoadReport, MemoryTable
from queries.library import run

app = typer.Typer(
    pretty_exceptions_show_locals=False,
    help="govgraph: a graph of the actors of grid-based social governance.",
    no_args_is_help=True,
    add_completion=False,
)
# soft_wrap: report lines and errors stay whole when stderr is a file or a pipe.
console = Console(stderr=True, soft_wrap=True)


def _version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        print(f"govgraph {version('govgraph')}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """govgraph: a graph of the actors of grid-based social governance."""


class Role(StrEnum):
    viewer = "viewer"
    mediator = "mediator"
    researcher = "researcher"
    admin = "admin"


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@contextmanager
def _backend(
    settings: Settings, *, read_only: bool = False, serving: bool = False
) -> Iterator[Backend]:
    """The backend GOVGRAPH_DB names. The query time limit applies only to commands that serve
    queries: on the embedded store it would also cut a long bulk load short."""
    try:
        backend = open_backend(
            settings.db,
            read_only=read_only,
            user=settings.neo4j_user,
            password=settings.neo4j_password.get_secret_value(),
            database=settings.neo4j_database,
            timeout_ms=settings.query_timeout_ms if serving else None,
            read_threads=settings.read_threads,
        )
    except (GraphError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    try:
        yield backend
    finally:
        backend.close()


@app.command()
def init() -> None:
    """Create the schema in the graph store (safe to run twice)."""
    settings = _settings()
    with _backend(settings) as backend:
        backend.init_schema()
    console.print(f"schema ready in {settings.db}")


def _print_report(report: LoadReport, rejects: Path) -> None:
    for f in report.files:
        style = "" if f.rejected == 0 and f.error is None else "[yellow]"
        console.print(style + f.line(), markup=bool(style), highlight=False)
    for warning in report.warnings:
        console.print(warning, style="yellow", markup=False, highlight=False)
    if report.rejects:
        report.write_rejects(rejects)
        console.print(f"{len(report.rejects)} problems written to {rejects}", highlight=False)


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"GOVGRAPH_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        console.print(f"[red]error:[/red] {problems} (see docs/settings.md)", highlight=False)
        raise typer.Exit(2) from None


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


def _load(
    backend: Backend,
    settings: Settings,
    paths: list[Path],
    within: list[str],
    traditional: bool,
    rejects: Path,
    show_progress: bool,
) -> LoadReport:
    from loaders.divisions import divisions_within

    backend.init_schema()
    with _progress(show_progress) as advance:
        loader = Loader(
            backend,
            batch_size=settings.batch_size,
            traditional=traditional,
            on_progress=advance,
            max_bytes=settings.load_max_bytes,
            max_rows=settings.load_max_rows,
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
            _store_failed(settings, exc, loader.committed)
    _print_report(report, rejects)
    return report


STORE_FAILED = 3  # the exit status of a load the store failed; 1 is rows rejected


def _store_failed(settings: Settings, exc: GraphError, committed: str | None) -> NoReturn:
    """Say what a load the store failed has left, and how to go on; exit STORE_FAILED."""
    kept = (
        f"every batch up to {committed} is committed; the rest of that file and any after it "
        "are not"
        if committed
        else "no batch was committed"
    )
    console.print(
        f"[red]error:[/red] the store failed during the load: {exc}\n{kept}. Free disk space "
        f"or make {settings.db} writable again, run `govgraph init` once (it recovers a store "
        "left mid-write), then run the same `govgraph load` again: what is in is loaded again "
        "unchanged.",
        highlight=False,
    )
    raise typer.Exit(STORE_FAILED)


@app.command()
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
    settings = _settings()
    files = [Path(p) for p in paths]
    codes = within or []
    if paths == ["divisions"]:
        if not codes:
            console.print("[red]error:[/red] give the code to load, e.g. --within 330421")
            raise typer.Exit(2)
        files = []
    elif codes:
        console.print("[red]error:[/red] --within goes with 'govgraph load divisions'")
        raise typer.Exit(2)
    with _backend(settings) as backend:
        try:
            report = _load(backend, settings, files, codes, traditional, rejects, progress)
        except ValueError as exc:  # an unknown division code, for one
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from None
    if not report.ok:
        raise typer.Exit(1)


def _fixtures_dir() -> Path:
    here = Path(__file__).resolve().parents[1] / "fixtures"
    if not (here / "generate.py").exists():
        console.print("[red]error:[/red] the demo needs a checkout of govgraph with its fixtures/")
        raise typer.Exit(2)
    return here


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Where the demo files are written.")] = Path(
        "build/demo"
    ),
    serve: Annotated[
        bool, typer.Option(help="Serve the GraphQL API over the demo graph afterwards.")
    ] = True,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Build the demo graph afresh (嘉善县, 景宁县, 吴江区 and 东营市), print what it holds, and
    serve it."""
    import importlib.util
    import shutil

    settings = _settings()
    spec = importlib.util.spec_from_file_location("generate", _fixtures_dir() / "generate.py")
    assert spec and spec.loader
    sys.path.insert(0, str(_fixtures_dir()))
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    files = generator.generate(out)
    counties = list(generator.DIVISIONS["demo"])
    console.print(f"wrote {len(files)} demo files to {out}")
    db = Path(settings.db)
    if db.exists():
        shutil.rmtree(db) if db.is_dir() else db.unlink()
    for extra in db.parent.glob(db.name + ".*"):  # its write-ahead log, ad-hoc Cypher's copies
        shutil.rmtree(extra) if extra.is_dir() else extra.unlink()
    with _backend(settings) as backend:
        report = _load(
            backend,
            settings,
            sorted(files),
            counties,
            False,
            Path("govgraph-rejects.csv"),
            progress,
        )
        if not report.ok:
            raise typer.Exit(1)
        _summarise(backend, counties)
        acting = _demo_dispatcher(backend)
    console.print(
        "\nQuery it, for example:\n"
        '  .venv/bin/govgraph cypher "MATCH (g:Grid)-[:PART_OF*1..3]->(:Unit {code: \\$county}) '
        'RETURN g.kind AS kind, count(*) AS grids ORDER BY kind" -p county=330421000000\n'
        "  .venv/bin/govgraph cypher county_summary -p county=331127000000 --format json",
        highlight=False,
    )
    if serve:
        if "GOVGRAPH_MODE" not in os.environ:  # the demo is explored in a browser: GraphiQL on
            settings = settings.model_copy(update={"mode": "development"})
        # A token to sign in to the page with at once, as a mediator of the planted dispute's
        # town (姚庄镇): one more line in the token file each run (`govgraph token list`).
        from api.auth import create_token

        token = create_token(settings.tokens, "mediator", DEMO_MEDIATOR_SCOPE, **acting)
        console.print(
            f"\nA token for a mediator of 姚庄镇 ({DEMO_MEDIATOR_SCOPE}) who dispatches for its "
            f"center ({acting['unit']}), to sign in to the page with: {token}",
            highlight=False,
        )
        _serve(settings)


DEMO_MEDIATOR_SCOPE = "330421111"  # 姚庄镇, where the planted dispute 330421-D900001 is


def _demo_dispatcher(backend: Backend) -> dict[str, str]:
    """Who the demo's token acts as: the first mediator of a committee in 姚庄镇, dispatching
    for the town's center (the workflow's person, unit and role; docs/api.md)."""
    town = {"code": DEMO_MEDIATOR_SCOPE + "000"}
    [center] = backend.read(
        "MATCH (c:Center)-[:JURISDICTION]->(:Unit {code: $code}) RETURN c.id AS id "
        "ORDER BY id LIMIT 1",
        town,
    )
    [person] = backend.read(
        "MATCH (p:Person)-[:MEDIATES_IN]->(:MediationOrg)-[:LOCATED_IN]->(:Unit {code: $code}) "
        "RETURN p.id AS id ORDER BY id LIMIT 1",
        town,
    )
    return {
        "person": person["id"],
        "unit": "Center:" + center["id"],
        "workflow_role": "dispatcher",
    }


def _summarise(backend: Backend, counties: list[str]) -> None:
    _print_rows(run(backend, "counts_by_label"), Format.table, "Nodes by type")
    summaries = [run(backend, "county_summary", county=code.ljust(12, "0"))[0] for code in counties]
    # One row per figure and a column per county: the table stays narrow.
    rows = [{"": key, **{s["county"]: s[key] for s in summaries}} for key in summaries[0]]
    _print_rows(rows[1:], Format.table, "Per place (county_summary)")


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _print_rows(
    rows: list[dict[str, Any]], fmt: Format, title: str | None = None, *, bom: bool = False
) -> None:
    """Rows on stdout as a table, JSON or CSV (with `bom`, led by a UTF-8 byte-order mark, so
    that Excel opens Chinese text as UTF-8). An empty answer also says `0 rows` on stderr."""
    # A pipe or a file has no width: give tables room rather than rich's 80 columns.
    out = Console() if sys.stdout.isatty() else Console(width=200)
    if not rows:
        console.print("0 rows", highlight=False)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(_plain(rows), ensure_ascii=False, indent=2) + "\n")
        return
    columns = list(rows[0]) if rows else []
    if fmt is Format.csv:
        buffer = io.StringIO("\ufeff" if bom else "")
        buffer.seek(0, io.SEEK_END)
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows([_plain(r[c]) for c in columns] for r in rows)
        sys.stdout.write(buffer.getvalue())
        return
    table = Table(*columns, title=title)
    for r in rows:
        table.add_row(*("" if r[c] is None else str(_plain(r[c])) for c in columns))
    out.print(table)


def _parse_param(text: str) -> tuple[str, Any]:
    """`name=text` passes text; `name:=json` passes a JSON value (a number, list, true…)."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise typer.BadParameter(f"{text!r}: give parameters as name=text or name:=json")
    if not name.endswith(":"):
        return name, value
    try:
        return name[:-1], json.loads(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r}: the value after := is not JSON ({exc})") from None


@app.command()
def cypher(
    query: Annotated[str, typer.Argument(help="A read query, or the name of a library query.")],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="A $parameter: name=text, or name:=json for numbers, lists, booleans.",
        ),
    ] = None,
    format: Annotated[Format, typer.Option(help="Output format.")] = Format.table,
    role: Annotated[
        Role,
        typer.Option(help="Whose view of personal data: admin raw, researcher pseudonyms."),
    ] = Role.viewer,
    bom: Annotated[
        bool, typer.Option(help="With --format csv: start with a BOM, so Excel reads UTF-8.")
    ] = False,
) -> None:
    """Run a read query on the graph (opened read-only) and print its rows.

    The query runs through the same path as POST /cypher (api.adhoc): checked, on a copy of
    the graph made for ROLE's view (de-identified for researchers, masked for viewers and
    mediators, raw for admins), in a confined process; at most GOVGRAPH_CYPHER_ROW_CAP rows are
    printed (a note says when more matched), and the audit log records it before and after.
    """
    import getpass

    from api.adhoc import Refused, ask, close_all
    from api.audit import AuditLog

    settings = _settings()
    params = dict(_parse_param(p) for p in param or [])
    who = f"cli:{getpass.getuser()}:{role.value}"
    with _backend(settings, read_only=True, serving=True) as backend:
        try:
            result = ask(
                backend,
                settings,
                AuditLog(Path(settings.audit_log)),
                who=who,
                role=role.value,
                query=query,
                params=params,
                named=" " not in query.strip(),
            )
        except Refused as exc:
            console.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(2) from None
        finally:
            close_all()
    _print_rows(result.rows, format, bom=bom)
    if result.truncated:
        console.print(
            f"truncated: more than {len(result.rows)} rows matched, {len(result.rows)} shown "
            "(GOVGRAPH_CYPHER_ROW_CAP)",
            highlight=False,
        )


class ExportFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    graphml = "graphml"


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="The folder to write into.")],
    format: Annotated[ExportFormat, typer.Option(help="File format.")] = ExportFormat.csv,
    within: Annotated[
        str | None, typer.Option(help="Only what lies inside this division code.")
    ] = None,
    type_: Annotated[
        list[str] | None, typer.Option("--type", help="Only these node types (repeatable).")
    ] = None,
    role: Annotated[
        Role,
        typer.Option(help="Whose view of personal data: admin raw, researcher pseudonyms."),
    ] = Role.viewer,
    overwrite: Annotated[bool, typer.Option(help="Replace an earlier export there.")] = False,
    neo4j_admin: Annotated[
        bool, typer.Option("--neo4j-admin", help="Write `neo4j-admin database import` files.")
    ] = False,
    files_at: Annotated[
        str | None,
        typer.Option(help="With --neo4j-admin: where OUT will be on the Neo4j server."),
    ] = None,
) -> None:
    """Export the graph, or part of it, with personal data shown as ROLE may see it.

    CSV files are in the loader's format: a raw (admin) export loads back into an empty store
    as the same graph. With --neo4j-admin, writes the files and the command that seeds a Neo4j
    database with `neo4j-admin database import` (raw data: keep it safe).
    """
    from graph.neo4j_admin import export_neo4j_admin
    from graph.pseudonym import Privacy, PseudonymKeyError, key_from_text
    from loaders.export import ExportError
    from loaders.export import export as export_graph

    settings = _settings()
    with _backend(settings, read_only=True) as backend:
        if neo4j_admin:
            command = export_neo4j_admin(
                backend, out, database=settings.neo4j_database, files_at=files_at
            )
            for name, count in command.counts.items():
                console.print(f"{name}: {count}", highlight=False)
            sys.stdout.write(command.text + "\n")
            return
        try:
            secret = settings.pseudonym_key.get_secret_value()
            key = key_from_text(secret) if secret else None
            privacy = Privacy.for_role(role.value, key)
            report = export_graph(
                backend,
                out,
                format=format.value,
                within=within,
                types=type_,
                privacy=privacy,
                overwrite=overwrite,
            )
        except (ExportError, PseudonymKeyError, ValueError) as exc:
            console.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(2) from None
    for line in report.lines():
        console.print(line, highlight=False)


def _embedded_db(settings: Settings, what: str) -> Path:
    if "://" in settings.db:
        console.print(
            f"[red]error:[/red] govgraph {what} is for the embedded store; back a Neo4j "
            "database up with `neo4j-admin database dump` (docs/neo4j.md)",
            highlight=False,
        )
        raise typer.Exit(2)
    return Path(settings.db)


@app.command()
def backup(
    out: Annotated[Path, typer.Argument(help="A new folder to write the backup into.")],
) -> None:
    """Back up GOVGRAPH_DB into a new folder: a consistent copy, made while the server runs.

    A masked `govgraph export` is not a backup; this copy holds every property unmasked.
    """
    from loaders.backup import BackupError
    from loaders.backup import backup as make_backup

    db = _embedded_db(_settings(), "backup")
    try:
        manifest = make_backup(db, out)
    except BackupError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    console.print(f"backed up {manifest.total()} nodes and relationships of {db} to {out}")


@app.command()
def restore(
    backup_dir: Annotated[Path, typer.Argument(help="A folder `govgraph backup` wrote.")],
) -> None:
    """Restore a backup as a new store at GOVGRAPH_DB, which must not exist yet."""
    from loaders.backup import BackupError
    from loaders.backup import restore as restore_backup

    db = _embedded_db(_settings(), "restore")
    try:
        manifest = restore_backup(backup_dir, db)
    except BackupError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    console.print(
        f"restored {manifest.total()} nodes and relationships (backed up {manifest.made}) to {db}"
    )


def _check_store(settings: Settings) -> None:
    """Before serving: the store opens, and no load is writing it (a server started then
    would serve what was there before the load, and a server's workers would fail one by
    one). Each refusal says what to do; exit status 2."""
    from graph.embedded import held_for_writing

    if "://" not in settings.db and held_for_writing(Path(settings.db)):
        console.print(
            f"[red]error:[/red] another process has {settings.db} open for writing (a `govgraph "
            "load` under way?); start the server when it has ended",
            highlight=False,
        )
        raise typer.Exit(2)
    with _backend(settings, read_only=True):
        pass


def _serve(settings: Settings) -> None:
    from api.app import serve as serve_app

    if "://" not in settings.db and not Path(settings.db).exists():
        console.print(
            f"[red]error:[/red] there is no graph at {settings.db} (GOVGRAPH_DB): build the demo "
            "with `govgraph demo`, or your own with `govgraph init` and `govgraph load FILE…`",
            highlight=False,
        )
        raise typer.Exit(2)
    _check_store(settings)
    where = f"http://{settings.host}:{settings.port}"
    explore = (
        f"GraphiQL at {where}/graphql"
        if settings.mode == "development"
        else "GraphiQL is off in production mode (GOVGRAPH_MODE=development turns it on)"
    )
    console.print(
        f"\nServing the 调解工作台 at {where}/ (sign in with a token, or browse as a viewer) and "
        f"GraphQL at {where}/graphql (health at {where}/healthz; mode {settings.mode}): open "
        f"{where}/ in a browser; {explore}. Stop with Ctrl-C.",
        highlight=False,
    )
    try:
        serve_app(settings, log_level="warning")
    except GraphError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None


@app.command()
def serve() -> None:
    """Serve the GraphQL API (at /graphql) and a health check (at /healthz).

    Host, port, mode and limits come from the settings (docs/settings.md); GraphiQL and
    introspection are on only with GOVGRAPH_MODE=development.
    """
    _serve(_settings())


token_app = typer.Typer(help="Bearer tokens: each carries a role and, for mediators, a scope.")
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="The role the token carries.")],
    scope: Annotated[
        str | None,
        typer.Option(help="For a mediator: the division code of their jurisdiction."),
    ] = None,
    person: Annotated[
        str | None, typer.Option(help="To act in the workflow: the person's key.")
    ] = None,
    unit: Annotated[
        str | None,
        typer.Option(help="The unit they act for, Label:key (e.g. Center:center-330421)."),
    ] = None,
    workflow_role: Annotated[
        str | None,
        typer.Option(help="Their workflow role: grid_worker, dispatcher, department, mediator…"),
    ] = None,
) -> None:
    """Create a token and print it once; only its hash is stored (GOVGRAPH_TOKENS)."""
    from api.auth import TokenError, create_token, token_id

    settings = _settings()
    try:
        token = create_token(
            settings.tokens,
            role.value,
            scope,
            person=person,
            unit=unit,
            workflow_role=workflow_role,
        )
    except TokenError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    sys.stdout.write(token + "\n")
    console.print(
        f"stored its hash in {settings.tokens} (token id {token_id(token)}); "
        "the token is not shown again",
        highlight=False,
    )


@token_app.command("list")
def token_list() -> None:
    """List the tokens issued (their ids, roles, scopes and dates; never the tokens)."""
    from api.auth import TokenError, list_tokens

    settings = _settings()
    try:
        issued = list_tokens(settings.tokens)
    except (TokenError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    table = Table("id", "role", "scope", "created", "acts as")
    for t in issued:
        acts = f"{t.person} ({t.workflow_role}" + (f", {t.unit})" if t.unit else ")")
        table.add_row(t.id, t.role.value, t.scope or "", t.created, acts if t.person else "")
    console.print(table)
    console.print(f"{len(issued)} token(s) in {settings.tokens}", highlight=False)


@token_app.command("revoke")
def token_revoke(
    token: Annotated[
        str, typer.Argument(help="The token's id (12 hex digits), as `govgraph token list` shows.")
    ],
) -> None:
    """Revoke a token: a running server refuses it from its next request on."""
    from api.auth import TokenError, revoke_token

    settings = _settings()
    try:
        gone = revoke_token(settings.tokens, token)
    except TokenError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None
    scope = f" for {gone.scope}" if gone.scope else ""
    console.print(
        f"revoked token {gone.id} ({gone.role.value}{scope}, created {gone.created})",
        highlight=False,
    )


# -- the three headline queries ---------------------------------------------------------------


def _shown(result: Any, role: Role) -> Any:
    """The result as `role` may see it: admins raw, everyone else masked."""
    from queries.explain import masked

    return result if role is Role.admin else masked(result)


def _contacts(contacts: Any) -> str:
    return "\n".join(
        f"{c.person.name} {c.post}" + (f" {c.mobile}" if c.mobile else "") for c in contacts
    )


def _as_date(value: datetime | None) -> date | None:
    return value.date() if value else None


def _emit(result: Any, fmt: Format, tables: list[tuple[str, list[dict[str, Any]]]]) -> None:
    if fmt is Format.json:
        import dataclasses

        sys.stdout.write(
            json.dumps(_plain(dataclasses.asdict(result)), ensure_ascii=False, indent=2) + "\n"
        )
        return
    for title, rows in tables:
        if rows:
            _print_rows(rows, fmt, title)


def _run_query(settings: Settings, function: Any, **arguments: Any) -> Any:
    from queries.explain import NotFound

    with _backend(settings, read_only=True, serving=True) as backend:
        try:
            return function(backend, **arguments)
        except (NotFound, ValueError, GraphError) as exc:
            console.print(f"[red]error:[/red] {exc}", highlight=False)
            raise typer.Exit(2) from None


AsOf = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="Use the posts and memberships valid on this day."),
]
RoleOption = Annotated[Role, typer.Option(help="admin shows personal data; others see it masked.")]
FormatOption = Annotated[Format, typer.Option(help="Output format.")]


@app.command()
def referral(
    dispute: Annotated[str | None, typer.Option(help="A dispute in the graph.")] = None,
    place: Annotated[
        str | None, typer.Option(help="Or describe one: a grid id, village code or enterprise.")
    ] = None,
    category: Annotated[str | None, typer.Option(help="Its domain, e.g. wages.")] = None,
    item: Annotated[str | None, typer.Option(help="Its responsibility-list item id.")] = None,
    parties: Annotated[int, typer.Option(help="How many parties.")] = 2,
    as_of: AsOf = None,
    role: RoleOption = Role.viewer,
    format: FormatOption = Format.table,
) -> None:
    """Who is responsible for a dispute, in order, with time limits and contacts."""
    from queries.referral import DisputeDescription
    from queries.referral import referral as referral_of

    if (dispute is None) == (place is None):
        console.print("[red]error:[/red] give --dispute ID, or --place with --category or --item")
        raise typer.Exit(2)
    description = (
        DisputeDescription(place, category=category, list_item=item, parties=parties)
        if place
        else None
    )
    result = _shown(
        _run_query(
            _settings(),
            referral_of,
            dispute_id=dispute,
            description=description,
            as_of=_as_date(as_of),
        ),
        role,
    )
    rows = [
        {"#": s.order, "part": s.part, "level": s.level, "actor": f"{s.actor.name} ({s.actor.key})",
         "days": s.time_limit_days, "due": s.due, "contacts": _contacts(s.contacts), "rule": s.rule}
        for s in result.steps
    ]  # fmt: skip
    _emit(result, format, [(f"Referral of {result.dispute or result.grid}", rows)])


@app.command()
def experts(
    domain: Annotated[list[str] | None, typer.Option(help="Expertise domain (repeatable).")] = None,
    dispute: Annotated[str | None, typer.Option(help="Or a dispute: its domains.")] = None,
    place: Annotated[
        str | None, typer.Option(help="Where help is needed (a code or grid).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="How many to rank.")] = None,
    shared: Annotated[bool, typer.Option(help="Include shared pools.")] = True,
    as_of: AsOf = None,
    role: RoleOption = Role.viewer,
    format: FormatOption = Format.table,
) -> None:
    """Experts who can help, ranked with the parts of their score, and who is excluded and why."""
    from queries.experts import expert_pool

    result = _shown(
        _run_query(
            _settings(),
            expert_pool,
            domains=tuple(domain or ()),
            dispute_id=dispute,
            place=place,
            limit=limit,
            as_of=_as_date(as_of),
            include_shared=shared,
        ),
        role,
    )
    ranked = [
        {"rank": e.rank, "expert": f"{e.expert.name} ({e.expert.key})", "score": e.score,
         "parts": ", ".join(f"{p.name} {p.value:g}" for p in e.parts),
         "pools": ", ".join(p.name for p in e.pools)}
        for e in result.ranked
    ]  # fmt: skip
    excluded = [
        {"expert": f"{x.expert.name} ({x.expert.key})", "rule": x.rule, "why": str(x.path)}
        for x in result.excluded
    ]
    _emit(result, format, [("Ranked", ranked), (f"Excluded ({len(excluded)})", excluded)])


@app.command()
def escalation(
    grid: Annotated[str | None, typer.Option(help="A grid id.")] = None,
    dispute: Annotated[str | None, typer.Option(help="Or a dispute: its grid.")] = None,
    as_of: AsOf = None,
    role: RoleOption = Role.viewer,
    format: FormatOption = Format.table,
) -> None:
    """Where a matter goes if it is not settled here: the ladder and the party line beside it."""
    from queries.escalation import escalation_path

    result = _shown(
        _run_query(
            _settings(),
            escalation_path,
            grid_id=grid,
            dispute_id=dispute,
            as_of=_as_date(as_of),
        ),
        role,
    )
    ladder = [
        {"#": s.order, "level": s.level, "place": s.place.name, "days": s.time_limit_days,
         "due": s.due, "bodies": "; ".join(f"{b.node.name} ({b.role})" for b in s.bodies),
         "rule": s.rule}
        for s in result.ladder
    ]  # fmt: skip
    party = [
        {"#": p.order, "organisation": p.org.name, "level": p.level,
         "leaders": _contacts(p.leaders)}
        for p in result.party_line
    ]  # fmt: skip
    _emit(result, format, [("Escalation ladder", ladder), ("Party line", party)])


from api import cli_workflow  # noqa: E402  (it builds on the helpers above)

cli_workflow.register(app)  # report, act, queue, tick
