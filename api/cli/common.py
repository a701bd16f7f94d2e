"""What every command shares: the console, the one error exit, the settings, the graph opened
from them, and rows printed as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from api.opening import open_graph
from api.settings import Settings, get_settings
from graph.backend import Backend
from graph.errors import GraphError

# soft_wrap: report lines and errors stay whole when stderr is a file or a pipe.
console = Console(stderr=True, soft_wrap=True)


def fail(message: str, status: int = 2) -> NoReturn:
    """Say what went wrong on stderr and end the command with `status` (2: the command cannot
    run as asked; the commands document the others)."""
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(status)


def settings() -> Settings:
    """The GOVGRAPH_* settings, read when a command runs; a bad one ends it, naming each."""
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"GOVGRAPH_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        fail(f"{problems} (see docs/settings.md)")


@contextmanager
def backend(
    settings: Settings, *, read_only: bool = False, serving: bool = False, upgrading: bool = False
) -> Iterator[Backend]:
    """The graph GOVGRAPH_DB names, closed when done. The query time limit applies only to
    commands that serve queries: on the embedded store it would also cut a long bulk load
    short. `upgrading`: a store lacking part of the schema is opened, to be brought up to it
    (`init`, `load`); any other command is refused on one (`api.opening.open_graph`)."""
    try:
        opened = open_graph(settings, read_only=read_only, timed=serving, upgrading=upgrading)
    except (GraphError, ValueError) as exc:
        fail(str(exc))
    try:
        yield opened
    finally:
        opened.close()


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[Format, typer.Option(help="Output format.")]


def plain(value: Any) -> Any:
    """A value as JSON and CSV write it: dates as ISO text, private keys (`_…`) left out, a rules
    model (a time limit) as its fields."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return plain(value.model_dump())
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if not k.startswith("_")}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(plain(value), ensure_ascii=False, indent=2) + "\n")


def print_rows(
    rows: list[dict[str, Any]], fmt: Format, title: str | None = None, *, bom: bool = False
) -> None:
    """Rows on stdout as a table, JSON or CSV (with `bom`, led by a UTF-8 byte-order mark, so
    that Excel opens Chinese text as UTF-8). An empty answer also says `0 rows` on stderr."""
    # A pipe or a file has no width: give tables room rather than rich's 80 columns.
    out = Console() if sys.stdout.isatty() else Console(width=200)
    if not rows:
        console.print("0 rows", highlight=False)
    if fmt is Format.json:
        print_json(rows)
        return
    columns = list(rows[0]) if rows else []
    if fmt is Format.csv:
        buffer = io.StringIO("\ufeff" if bom else "")
        buffer.seek(0, io.SEEK_END)
        writer = csv.writer(buffer)
        writer.writerow(columns)
        writer.writerows([plain(r[c]) for c in columns] for r in rows)
        sys.stdout.write(buffer.getvalue())
        return
    table = Table(*columns, title=title)
    for r in rows:
        table.add_row(*("" if r[c] is None else str(plain(r[c])) for c in columns))
    out.print(table)
