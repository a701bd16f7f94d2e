"""`govgraph cypher`: a read query or a library query, through the one ad-hoc path
(api.adhoc: check, run, cap, privacy) that POST /cypher and the notebook API also take."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from api.adhoc import Refused, ask, close_all, is_named
from api.audit import AuditLog
from api.auth import Role
from api.cli.common import Format, backend, console, fail, print_rows, settings

commands = typer.Typer()

ViewOption = Annotated[
    Role,
    typer.Option(help="Whose view of personal data: admin raw, researcher pseudonyms."),
]


@commands.command()
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
    role: ViewOption = Role.VIEWER,
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
    given = settings()
    params = dict(_parse_param(p) for p in param or [])
    who = f"cli:{getpass.getuser()}:{role.value}"
    with backend(given, read_only=True, serving=True) as store:
        try:
            result = ask(
                store,
                given,
                AuditLog(Path(given.audit_log)),
                who=who,
                role=role.value,
                query=query.strip(),
                params=params,
                named=is_named(query),
            )
        except Refused as exc:
            fail(str(exc))
        finally:
            close_all()
    print_rows(result.rows, format, bom=bom)
    if result.truncated:
        console.print(
            f"truncated: more than {len(result.rows)} rows matched, {len(result.rows)} shown "
            "(GOVGRAPH_CYPHER_ROW_CAP)",
            highlight=False,
        )


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
