"""Seeding a large Neo4j database: the graph as `neo4j-admin database import` CSV files.

Loading a city through the driver takes hours (one `UNWIND … MERGE` transaction per batch);
the offline importer writes the store files directly. The export reads the graph from any
backend, so the data in the files is what the loaders validated, and writes:

    nodes/<Label>.csv                     code:ID(Unit),name,level,…
    relationships/<TYPE>.<From>.<To>.csv  :START_ID(Person),:END_ID(Grid),:TYPE,rid,role,…
    import.sh                             the command to run on the Neo4j server

One relationship file per endpoint pair, since each end names its label's ID space. Empty
fields are nulls (no property); the loaders store no empty strings.
"""

from __future__ import annotations

import csv
import shlex
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any

from graph.backend import Backend, Row
from graph.ddl import RID, ident
from graph.schema import SCHEMA, Property, Schema, Type

PAGE_SIZE = 50_000

# How the importer's header names each schema type; STRING is its default.
_HEADER_TYPES = {Type.INT64: "long", Type.DOUBLE: "double", Type.BOOL: "boolean", Type.DATE: "date"}


@dataclass(frozen=True)
class ImportCommand:
    """What `govgraph export --neo4j-admin DIR` wrote, and the command that imports it."""

    argv: tuple[str, ...]
    database: str
    files: tuple[Path, ...]
    counts: dict[str, int] = field(default_factory=dict)  # rows per label and per type

    @property
    def text(self) -> str:
        """The command as one shell line."""
        return shlex.join(self.argv)

    @property
    def script(self) -> str:
        """`import.sh`: the command, with what to do before and after it."""
        head = shlex.join(self.argv[:6])
        options = "".join(f" \\\n  {shlex.quote(a)}" for a in self.argv[6:])
        return (
            "#!/bin/sh\n"
            "# Written by `govgraph export --neo4j-admin`. Run it on the Neo4j server, with the\n"
            f"# DBMS stopped (Community) or the database {self.database} absent or stopped;\n"
            "# add --overwrite-destination=true to replace an existing store.\n"
            "set -e\n" + head + options + "\n"
            "# Then start Neo4j (Enterprise: CREATE DATABASE " + self.database + ") and run\n"
            "# `govgraph init` against it: the importer creates no constraints or indexes.\n"
        )


def export_neo4j_admin(
    backend: Backend,
    out_dir: Path,
    *,
    database: str = "neo4j",
    files_at: str | None = None,
    schema: Schema = SCHEMA,
    page_size: int = PAGE_SIZE,
) -> ImportCommand:
    """Write every node and relationship in `backend` to `out_dir` in the importer's format.

    `files_at` is where `out_dir` will be on the Neo4j server (for the Docker image, the
    folder mounted at `/import`, say); by default `out_dir` itself. Returns the command.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    where = PurePosixPath(files_at) if files_at else PurePosixPath(out_dir.resolve().as_posix())
    files: list[Path] = []
    counts: dict[str, int] = {}
    options: list[str] = []
    multiline = False

    for n in schema.nodes:
        if n.property(n.key).type is not Type.STRING:
            raise ValueError(f"{n.label}.{n.key}: only text keys can be paged and imported")
        header = [_column(p, key_of=n.label if p.name == n.key else None) for p in n.properties]
        columns = ", ".join("n." + ident(p.name) + " AS " + p.name for p in n.properties)
        query = (
            "MATCH (n:" + ident(n.label) + ") WHERE n." + ident(n.key) + " > $after "
            "RETURN " + columns + " ORDER BY n." + ident(n.key) + " LIMIT $page"
        )
        names = [p.name for p in n.properties]
        rows = _pages(backend, query, n.key, page_size)
        path = out_dir / "nodes" / f"{n.label}.csv"
        written, has_newline = _write(path, header, names, rows, {p.name: p for p in n.properties})
        counts[n.label] = written
        multiline |= has_newline
        if written:
            files.append(path)
            options.append(f"--nodes={n.label}={where / 'nodes' / path.name}")

    for r in schema.rels:
        counts[r.type] = 0
        for a, b in r.endpoints:
            header = [f":START_ID({a})", f":END_ID({b})", ":TYPE", RID]
            header += [_column(p) for p in r.properties]
            columns = ", ".join(
                [
                    "a." + ident(schema.node(a).key) + " AS `from`",
                    "b." + ident(schema.node(b).key) + " AS `to`",
                    "e." + RID + " AS " + RID,
                ]
                + ["e." + ident(p.name) + " AS " + p.name for p in r.properties]
            )
            query = (
                "MATCH (a:" + ident(a) + ")-[e:" + ident(r.type) + "]->(b:" + ident(b) + ") "
                "WHERE e." + RID + " > $after "
                "RETURN " + columns + " ORDER BY e." + RID + " LIMIT $page"
            )
            names = ["from", "to", "type", RID, *(p.name for p in r.properties)]
            rows = ({**row, "type": r.type} for row in _pages(backend, query, RID, page_size))
            path = out_dir / "relationships" / f"{r.type}.{a}.{b}.csv"
            typed = {p.name: p for p in r.properties}
            written, has_newline = _write(path, header, names, rows, typed)
            counts[r.type] += written
            multiline |= has_newline
            if written:
                files.append(path)
                options.append(f"--relationships={where / 'relationships' / path.name}")

    argv = ["neo4j-admin", "database", "import", "full", database, "--id-type=string"]
    if multiline:
        argv.append("--multiline-fields=true")
    command = ImportCommand((*argv, *options), database, tuple(files), counts)
    script = out_dir / "import.sh"
    script.write_text(command.script, encoding="utf-8")
    script.chmod(0o755)
    return command


def _column(p: Property, key_of: str | None = None) -> str:
    if key_of:
        return f"{p.name}:ID({key_of})"
    suffix = _HEADER_TYPES.get(p.type)
    return f"{p.name}:{suffix}" if suffix else p.name


def _pages(backend: Backend, query: str, key: str, page_size: int) -> Iterator[Row]:
    """All rows of `query`, a page at a time, each page after the last key of the one before:
    memory stays bounded by a page however large the graph."""
    after = ""
    while True:
        page = backend.read(query, {"after": after, "page": page_size})
        yield from page
        if len(page) < page_size:
            return
        after = page[-1][key]


def _write(
    path: Path,
    header: Sequence[str],
    names: Sequence[str],
    rows: Iterator[Row],
    typed: dict[str, Property],
) -> tuple[int, bool]:
    """Write one file; return its row count and whether any value spans lines. A file with no
    rows is removed again, so the command names only files with data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count, multiline = 0, False
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            cells = [_cell(row[name], typed.get(name)) for name in names]
            multiline |= any("\n" in c or "\r" in c for c in cells)
            writer.writerow(cells)
            count += 1
    if not count:
        path.unlink()
    return count, multiline


def _cell(value: Any, p: Property | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if p is not None and p.type is Type.DOUBLE:
        return repr(float(value))
    return str(value)
