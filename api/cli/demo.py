"""`govgraph demo`: the demo graph built afresh from fixtures/, summarised and served."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer

from api.auth import Role, create_token
from api.cli.common import Format, backend, console, fail, print_rows, settings
from api.cli.serving import serve_until_stopped
from api.cli.store import load_into
from graph.backend import Backend
from queries.library import run

commands = typer.Typer()

DEMO_MEDIATOR_SCOPE = "330421111"  # 姚庄镇, where the planted dispute 330421-D900001 is


@commands.command()
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
    given = settings()
    generator = _generator()
    files = generator.generate(out)
    counties = list(generator.DIVISIONS["demo"])
    console.print(f"wrote {len(files)} demo files to {out}")
    db = Path(given.db)
    if db.exists():
        shutil.rmtree(db) if db.is_dir() else db.unlink()
    for extra in db.parent.glob(db.name + ".*"):  # its write-ahead log, ad-hoc Cypher's copies
        shutil.rmtree(extra) if extra.is_dir() else extra.unlink()
    with backend(given, upgrading=True) as store:
        report = load_into(
            store, given, sorted(files), counties, False, Path("govgraph-rejects.csv"), progress
        )
        if not report.ok:
            raise typer.Exit(1)
        _summarise(store, counties)
        acting = demo_dispatcher(store)
    console.print(
        "\nQuery it, for example:\n"
        '  .venv/bin/govgraph cypher "MATCH (g:Grid)-[:PART_OF*1..3]->(:Unit {code: \\$county}) '
        'RETURN g.kind AS kind, count(*) AS grids ORDER BY kind" -p county=330421000000\n'
        "  .venv/bin/govgraph cypher county_summary -p county=331127000000 --format json",
        highlight=False,
    )
    if serve:
        if "GOVGRAPH_MODE" not in os.environ:  # the demo is explored in a browser: GraphiQL on
            given = given.model_copy(update={"mode": "development"})
        # A token to sign in to the page with at once, as a mediator of the planted dispute's
        # town (姚庄镇): one more line in the token file each run (`govgraph token list`).
        token = create_token(given.tokens, Role.MEDIATOR, DEMO_MEDIATOR_SCOPE, **acting)
        console.print(
            f"\nA token for a mediator of 姚庄镇 ({DEMO_MEDIATOR_SCOPE}) who dispatches for its "
            f"center ({acting['unit']}), to sign in to the page with: {token}",
            highlight=False,
        )
        serve_until_stopped(given)


def _generator() -> ModuleType:
    """fixtures/generate.py, which a checkout of govgraph has beside api/."""
    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    if not (fixtures / "generate.py").exists():
        fail("the demo needs a checkout of govgraph with its fixtures/")
    spec = importlib.util.spec_from_file_location("generate", fixtures / "generate.py")
    assert spec and spec.loader
    sys.path.insert(0, str(fixtures))
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    return generator


def demo_dispatcher(store: Backend) -> dict[str, str]:
    """Who the demo's token acts as: the first mediator of a committee in 姚庄镇, dispatching
    for the town's center (the workflow's person, unit and role; docs/api.md)."""
    town = {"code": DEMO_MEDIATOR_SCOPE + "000"}
    [center] = store.read(
        "MATCH (c:Center)-[:JURISDICTION]->(:Unit {code: $code}) RETURN c.id AS id "
        "ORDER BY id LIMIT 1",
        town,
    )
    [person] = store.read(
        "MATCH (p:Person)-[:MEDIATES_IN]->(:MediationOrg)-[:LOCATED_IN]->(:Unit {code: $code}) "
        "RETURN p.id AS id ORDER BY id LIMIT 1",
        town,
    )
    return {
        "person": person["id"],
        "unit": "Center:" + center["id"],
        "workflow_role": "dispatcher",
    }


def _summarise(store: Backend, counties: list[str]) -> None:
    print_rows(run(store, "counts_by_label"), Format.table, "Nodes by type")
    summaries = [run(store, "county_summary", county=code.ljust(12, "0"))[0] for code in counties]
    # One row per figure and a column per county: the table stays narrow.
    rows = [{"": key, **{s["county"]: s[key] for s in summaries}} for key in summaries[0]]
    print_rows(rows[1:], Format.table, "Per place (county_summary)")
