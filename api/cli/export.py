"""`govgraph export`: the graph, or part of it, written out as a role may see it, or as files
for `neo4j-admin database import`."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from api.auth import Role
from api.cli.common import backend, console, fail, settings
from graph.neo4j_admin import export_neo4j_admin
from graph.pseudonym import Privacy, PseudonymKeyError, key_from_text
from loaders.export import ExportError
from loaders.export import export as export_graph

commands = typer.Typer()


class ExportFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    graphml = "graphml"


@commands.command()
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
        Role | None,
        typer.Option(
            help="Whose view of personal data: admin raw, researcher pseudonyms (default "
            "viewer; --neo4j-admin is raw, an admin's)."
        ),
    ] = None,
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
    if neo4j_admin:
        # The seed is the whole graph, raw: refuse what would ask for less and get all.
        asked = [
            f"--role {role.value}" if role not in (None, Role.ADMIN) else "",
            f"--within {within}" if within else "",
            "--type" if type_ else "",
            f"--format {format.value}" if format is not ExportFormat.csv else "",
        ]
        if any(asked):
            fail(
                f"--neo4j-admin writes the whole graph raw (an admin's export), so it takes "
                f"no {', '.join(a for a in asked if a)}; leave it out, or export without "
                "--neo4j-admin"
            )
    role = role or Role.VIEWER
    given = settings()
    with backend(given, read_only=True) as store:
        if neo4j_admin:
            command = export_neo4j_admin(
                store, out, database=given.neo4j_database, files_at=files_at
            )
            for name, count in command.counts.items():
                console.print(f"{name}: {count}", highlight=False)
            sys.stdout.write(command.text + "\n")
            return
        try:
            secret = given.pseudonym_key.get_secret_value()
            key = key_from_text(secret) if secret else None
            report = export_graph(
                store,
                out,
                format=format.value,
                within=within,
                types=type_,
                privacy=Privacy.for_role(role.value, key),
                overwrite=overwrite,
            )
        except (ExportError, PseudonymKeyError, ValueError) as exc:
            fail(str(exc))
    for line in report.lines():
        console.print(line, highlight=False)
