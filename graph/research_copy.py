"""Copies of the graph for ad-hoc Cypher: de-identified for researchers (PIPL 去标识化).

A copy has the main store's structure, nodes and relationships, with every property the
schema marks personal replaced as `Privacy.apply` shows it to the role: the researcher's
keyed pseudonym (the same as GraphQL and exports give, so results join), masked values
without a key, withheld free text, and mobile or ID numbers typed into other text scrubbed.
A query on the copy cannot reveal a real value, whatever its text does: the value is not
there. `WHERE p.name = '张三'` compares against pseudonyms and confirms no guess.

A copy lives in `root/<fingerprint>/graph.lbdb`. The fingerprint is the copy's lineage (the
view, the main store's path, and which key, by an HMAC of a constant, never the key itself)
and the main store's state: its version within this process (moved on by every write) and the
size and modification time of its files. A copy whose fingerprint matches is reused; so is one
of the same lineage built less than `max_age` seconds ago, because the server now writes
(every dispute action moves the version) and a rebuild reads the whole graph: researchers read
the graph as of at most `max_age` ago.
Otherwise the copy is rebuilt (read every node and relationship, apply the policy, COPY into a
fresh store; docs/research.md has the cost) in a temporary folder and renamed into place, and
older copies are removed.

The store is locked to the process that opened it, so the reading is the server's; the
writing is not: the policy's rows go to Arrow files beside the new store, and a process of its
own (`python -m graph.research_copy STORE`) COPYs them in and exits. A store opened and
written in the server would leave its memory there (its buffer pool, COPY's key index: a few
hundred MiB at each rebuild, every `GOVGRAPH_RESEARCH_REFRESH_SECONDS` under writes; the soak
in docs/benchmarks.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from graph.backend import Backend
from graph.ddl import RID, ident
from graph.embedded import EmbeddedBackend, arrow_table, rel_columns
from graph.pseudonym import Privacy
from graph.schema import SCHEMA, Schema

STORE = "graph.lbdb"
BUILT = "built-at"  # the copy's time of building, in seconds since the epoch
TABLES = "tables"  # beside a copy being built: its tables as Arrow files, and their manifest
MANIFEST = "tables.json"
_building = threading.Lock()


class CopyUnavailable(ValueError):
    """No copy can be made from this backend; the message says why and what to use."""


def fingerprint(main: Backend, privacy: Privacy) -> str:
    """What a copy must have been made from to serve `privacy` over `main` as it is now:
    `lineage(…)`, then a digest of the store's state."""
    path = getattr(main, "path", None)
    version = getattr(main, "version", None)
    if path is None or version is None or not isinstance(main, EmbeddedBackend):
        raise CopyUnavailable(
            "ad-hoc Cypher runs on a copy of the embedded store, and this backend (Neo4j) has "
            "neither a file nor a version to tell when a copy is stale; use GraphQL, the named "
            "queries or a pseudonymised export (docs/research.md)"
        )
    parts = [str(version)]
    for file in sorted(Path(path).parent.glob(Path(path).name + "*")):
        if not file.is_file():
            continue  # the copies' own folder sits beside the store: it is not the graph
        stat = file.stat()
        parts += [file.name, str(stat.st_size), str(stat.st_mtime_ns)]
    state = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]
    return lineage(Path(path), privacy) + "-" + state


def lineage(path: Path, privacy: Privacy) -> str:
    """`view-store-key`: the copies that may stand in for one another while young
    (`max_age`). Without the store and the key in it, a copy of another store sharing
    GOVGRAPH_RESEARCH_COPIES, or made under a rotated key, was read as this one's."""
    store = hashlib.sha256(str(path.resolve()).encode("utf-8")).hexdigest()[:12]
    key = "nokey"
    if privacy.key is not None:
        key = hmac.new(privacy.key, b"research copy", hashlib.sha256).hexdigest()[:12]
    return privacy.view.value + "-" + store + "-" + key


def ensure(
    main: Backend, root: Path, privacy: Privacy, schema: Schema = SCHEMA, max_age: float = 0
) -> Path:
    """The store of a copy of `main` as `privacy` shows it, made now if none is current or
    younger than `max_age` seconds."""
    with _building:
        # Read while no write of this process is under way (the version is even then).
        while getattr(main, "version", 0) % 2:
            threading.Event().wait(0.05)
        name = fingerprint(main, privacy)
        store = root / name / STORE
        if store.exists():
            return store
        assert isinstance(main, EmbeddedBackend)  # `fingerprint` refused every other backend
        line = lineage(Path(main.path), privacy)
        recent = _recent(root, line + "-", max_age)
        if recent is not None:
            return recent
        root.mkdir(parents=True, exist_ok=True)
        os.chmod(root, 0o700)
        building = root / (name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir()
        try:
            build(main, building / STORE, privacy, schema)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        (building / BUILT).write_text(repr(time.time()), encoding="ascii")
        building.rename(root / name)
        for old in root.iterdir():
            # this store's older copies in this view, under any key (a rotated one's too)
            if old.name != name and old.name.startswith(line.rsplit("-", 1)[0] + "-"):
                shutil.rmtree(old, ignore_errors=True)
        return store


def _recent(root: Path, prefix: str, max_age: float) -> Path | None:
    """The store of a finished copy named `prefix…` built less than `max_age` seconds ago."""
    if max_age <= 0 or not root.is_dir():
        return None
    for folder in root.iterdir():
        built = folder / BUILT
        if folder.name.startswith(prefix) and built.is_file() and (folder / STORE).exists():
            try:
                age = time.time() - float(built.read_text(encoding="ascii"))
            except ValueError:
                continue
            if 0 <= age < max_age:
                return folder / STORE
    return None


def build(main: EmbeddedBackend, store: Path, privacy: Privacy, schema: Schema = SCHEMA) -> None:
    """Write a copy of `main`, as `privacy` shows it, into a new store at `store`.

    Every label and type is read in one snapshot: the server's writes go on meanwhile, and a
    dispute reported between reading the people and reading who is party to what would
    otherwise give a relationship whose person the copy does not hold. One table at a time is
    held here, as Arrow columns (a Python dict per row, for a city's million people, left the
    server's heaps larger after every rebuild): read, the policy applied column by column,
    written to its Arrow file and let go."""
    tables = store.parent / TABLES
    tables.mkdir()
    written: list[dict[str, str]] = []

    def keep(table: pa.Table, **what: str) -> None:
        file = tables / f"{len(written)}.arrow"
        with pa.OSFile(str(file), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
            out.write_table(table)
        written.append({**what, "file": file.name})

    with main.table_snapshot() as read:
        for node in schema.nodes:
            columns = ", ".join(
                "n." + ident(p.name) + " AS " + ident(p.name) for p in node.properties
            )
            table = read("MATCH (n:" + ident(node.label) + ") RETURN " + columns)
            if table.num_rows:
                applied = privacy.apply_table(node.label, table)
                keep(arrow_table(applied, node.properties), node=node.label)
        for rel in schema.rels:
            for a, b in rel.endpoints:
                table = read(_rel_query(rel.type, a, b, schema, [p.name for p in rel.properties]))
                if table.num_rows:
                    applied = privacy.apply_table(rel.type, table)
                    keep(arrow_table(applied, rel_columns(rel)), rel=rel.type, a=a, b=b)
    (tables / MANIFEST).write_text(json.dumps(written), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "graph.research_copy", str(store)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"the researchers' copy could not be written into {store} "
            f"(exit {done.returncode}): {done.stderr.strip()[-2000:]}"
        )
    shutil.rmtree(tables)


def write(store: Path, schema: Schema = SCHEMA) -> None:
    """Create the store at `store` and COPY into it the tables `build` left beside it (laid
    out by `schema`: the writing process is started with the package's own)."""
    tables = store.parent / TABLES
    written = json.loads((tables / MANIFEST).read_text(encoding="utf-8"))
    copy = EmbeddedBackend(store, buffer_pool_mb=256)  # not 80% of RAM, the store's default
    try:
        copy.init_schema()
        for entry in written:
            table = pa.ipc.open_file(pa.memory_map(str(tables / entry["file"]))).read_all()
            if "node" in entry:
                copy.upsert_nodes(schema.node(entry["node"]), table, bulk=True)
            else:
                rel = schema.rel(entry["rel"])
                copy.upsert_rels(rel, {(entry["a"], entry["b"]): table}, bulk=True)
    finally:
        copy.close()


def _rel_query(rel: str, a: str, b: str, schema: Schema, properties: list[str]) -> str:
    columns: list[Any] = [
        "x." + ident(schema.node(a).key) + " AS `from`",
        "y." + ident(schema.node(b).key) + " AS `to`",
        "e." + RID + " AS " + RID,
        *("e." + ident(p) + " AS " + ident(p) for p in properties),
    ]
    return (
        "MATCH (x:"
        + ident(a)
        + ")-[e:"
        + ident(rel)
        + "]->(y:"
        + ident(b)
        + ") RETURN "
        + ", ".join(columns)
    )


if (
    __name__ == "__main__"
):  # the writing process `build` starts: python -m graph.research_copy STORE
    write(Path(sys.argv[1]))
