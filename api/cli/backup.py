"""`govgraph backup` and `govgraph restore`: a consistent copy of the embedded store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.common import console, fail, settings
from loaders.backup import BackupError
from loaders.backup import backup as make_backup
from loaders.backup import restore as restore_backup

commands = typer.Typer()


@commands.command()
def backup(
    out: Annotated[Path, typer.Argument(help="A new folder to write the backup into.")],
) -> None:
    """Back up GOVGRAPH_DB into a new folder: a consistent copy, made while the server runs.

    A masked `govgraph export` is not a backup; this copy holds every property unmasked.
    """
    db = _embedded_db("backup")
    try:
        manifest = make_backup(db, out)
    except BackupError as exc:
        fail(str(exc))
    console.print(f"backed up {manifest.total()} nodes and relationships of {db} to {out}")


@commands.command()
def restore(
    backup_dir: Annotated[Path, typer.Argument(help="A folder `govgraph backup` wrote.")],
) -> None:
    """Restore a backup as a new store at GOVGRAPH_DB, which must not exist yet."""
    db = _embedded_db("restore")
    try:
        manifest = restore_backup(backup_dir, db)
    except BackupError as exc:
        fail(str(exc))
    console.print(
        f"restored {manifest.total()} nodes and relationships (backed up {manifest.made}) to {db}"
    )


def _embedded_db(what: str) -> Path:
    db = settings().db
    if "://" in db:
        fail(
            f"govgraph {what} is for the embedded store; back a Neo4j database up with "
            "`neo4j-admin database dump` (docs/neo4j.md)"
        )
    return Path(db)
