"""Provenance: who asserted each record and relationship, first and last, and what each load read.

A record keeps one `source`, the last file or system to assert it, so a reload from a second
source would otherwise lose the first. Beside the graph the loaders write:

- a `Load` per file per load: its name, the sha256 of its bytes, when, and its reconciliation
  (read = loaded + rejected + duplicates), written as the file begins (a load that never
  finishes leaves its Load without counts);
- an `Assertion` per fact, source and file (`Grid:330421001001-G01` by `jiashan.grids.csv`),
  with the Load of its first and of its last assertion (whose `at` says when).

Every row a load accepts asserts its fact, a duplicate too. A file whose bytes are those of the
last Load of the same name, when that Load and this one accept every row, asserts again every
fact that Load asserted, by definition: its Load says so (`repeats`, the Load that wrote the
assertions) and nothing is written per fact, so a rerun of unchanged files costs one Load each.
Any other file writes an Assertion for each fact new to its source and file (with the bulk COPY
path) and moves `last_load` of the others. A record and its assertions are written in separate
transactions: a load killed between them leaves a Load without counts, so the rerun of that file
is no repeat and writes every assertion again.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from graph.backend import Backend, Row
from graph.ddl import ident
from graph.schema import SCHEMA, NodeType
from loaders.columns import ColumnRows

LOAD: NodeType = SCHEMA.node("Load")
ASSERTION: NodeType = SCHEMA.node("Assertion")


# An assertion's key: its fact, this, and a digest of its source and file. The fact is held
# only there: no column of its own, whose COPY and checkpoint cost a city's first load a
# quarter of the Assertion table's memory (docs/benchmarks.md).
KEY_JOIN = "\x1f"


def node_fact(label: str, key: Any) -> str:
    return f"{label}:{key}"


def rel_fact(type_: str, rid: str) -> str:
    return f"{type_}:{rid}"


def file_digest(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def records_digest(records: Sequence[dict[str, str]]) -> str:
    """The digest of rows made in memory, as their JSON lines."""
    h = hashlib.sha256()
    for record in records:
        h.update(json.dumps(record, ensure_ascii=False, sort_keys=True).encode() + b"\n")
    return h.hexdigest()


def _short(text: str) -> str:
    """12 characters naming `text` (72 bits of its digest): a compact key, stored inline."""
    return base64.urlsafe_b64encode(hashlib.blake2b(text.encode(), digest_size=9).digest()).decode()


@dataclass(frozen=True)
class FileLoad:
    """One file's Load, as a load writes it: `repeats` is the Load whose assertions it repeats
    (the same bytes, every row accepted), when it does."""

    id: str
    file: str
    repeats: str | None


# New assertions held before they are written together, on the embedded store: each COPY into
# the Assertion table commits with a checkpoint whose cost grows with the table
# (docs/benchmarks.md), so a load writes them in a few large COPYs rather than one per batch.
PENDING_ASSERTIONS = 250_000


class Ledger:
    """The provenance one load writes: its time, and each file's Load and assertions.

    New assertions are held as Arrow columns (a fraction of the memory of Python's strings), and
    written together once `PENDING_ASSERTIONS` of them are (`write_when_full`) and as the load
    ends (`flush`): on the embedded store in one COPY. A backend without COPY (Neo4j)
    writes new nodes as one `UNWIND $rows … CREATE` that the server holds in its heap until it
    commits (250,000 at once overran the test server's 1 GiB): there they are held only up to
    `batch_size` and written in transactions of at most that many, as large as the loader's own.
    A file's Load gets its counts only once its assertions are written, so a load that stops
    before leaves its Loads without counts, and their files' rerun asserts every fact again."""

    def __init__(self, backend: Backend, at: datetime, batch_size: int) -> None:
        self.backend = backend
        self.at = at.isoformat(timespec="microseconds")
        copies = getattr(backend, "dialect", "ladybug") == "ladybug"  # as queries.library says
        self._slice = None if copies else batch_size  # the most new assertions one write takes
        self._empty = backend.is_empty(ASSERTION.label)  # none before this load: none to look up
        self._pending: list[pa.Table] = []  # new ones, not yet written
        self._held_rows = 0  # how many
        self._counted: list[dict[str, Any]] = []  # Loads' counts, to write after those

    def begin(self, file: str, digest: str | None) -> FileLoad:
        """Write the Load of a file as it begins; say whether it repeats the last Load of the
        same name (same digest, every row accepted: every assertion made then is made again)."""
        load = _short(f"{self.at}#{file}")
        last = self.backend.read(
            "MATCH (l:" + ident(LOAD.label) + " {file: $file}) WHERE l.id <> $id "
            "RETURN l.id AS id, l.digest AS digest, l.rejected AS rejected, "
            "l.repeats AS repeats ORDER BY l.at DESC LIMIT 1",
            {"file": file, "id": load},
        )
        repeats = None
        if last and digest is not None and last[0]["digest"] == digest and last[0]["rejected"] == 0:
            repeats = last[0]["repeats"] or last[0]["id"]
        row = {"id": load, "file": file, "digest": digest, "at": self.at}
        self.backend.upsert_nodes(LOAD, [row], bulk=False)
        return FileLoad(load, file, repeats)

    def asserted(
        self,
        load: FileLoad,
        name: str,
        first: tuple[Sequence[Any], list[str]],
        again: tuple[list[Any], list[str]],
    ) -> None:
        """Record that the file of `load` asserted each (key, source) of `first`, records or
        relationships of label or type `name` met for the first time in this load, and of
        `again`, repeated within it (duplicates): each fact (`node_fact`, `rel_fact`: a
        relationship's key is its rid) with its source."""
        if load.repeats:
            return
        given = _keys(first[0], again[0])
        if not len(given):
            return
        sources = pa.array(first[1] + again[1] if again[0] else first[1], pa.string())
        ids = _assertion_keys(name, given, sources, load.file)  # made by Arrow, not row by row
        rows: Sequence[int] = range(len(ids))
        held: set[str] = set()
        keys: list[str] = []
        if again[0]:  # a duplicate within the file asserts what an earlier row did
            keys = ids.to_pylist()
            rows = list({k: i for i, k in reversed(list(enumerate(keys)))}.values())
            self.flush()  # which may be among those held, not yet written
        # A fact first met in this load has no assertion of this load yet: in a store that held
        # none before, it has none at all, and the lookup is saved.
        if not self._empty or again[0]:
            keys = keys or ids.to_pylist()
            held = self._held([keys[i] for i in rows])
            rows = [i for i in rows if keys[i] not in held]
        if rows:  # held as Arrow columns, a fraction of the memory of Python's strings
            if len(rows) < len(ids):
                taken = pa.array(rows, pa.int64())
                ids, sources = ids.take(taken), sources.take(taken)
            chunk = pa.table({"id": ids, "source": sources})  # the fact: the key's first part
            first_load = pa.repeat(pa.scalar(load.id, pa.string()), len(chunk))
            self._pending.append(chunk.append_column("first_load", first_load))
            self._held_rows += len(chunk)
        if held:
            moved = {"id": list(held), "last_load": [load.id] * len(held)}
            self.backend.upsert_nodes(ASSERTION, ColumnRows(moved), bulk=False)

    def write_when_full(self) -> int:
        """Write the assertions held once there are enough for a write; say how many it wrote.
        Apart from `asserted`, so that its caller lets go of the facts' texts first (a million
        at a large batch)."""
        held = self._held_rows
        if held < (self._slice or PENDING_ASSERTIONS):
            return 0
        self.flush()
        return held

    def flush(self) -> None:
        """Write the assertions held (in slices where the backend has no COPY), then the counts
        of the Loads whose files gave them."""
        if self._pending:
            new = pa.concat_tables(self._pending)
            self._pending, self._held_rows = [], 0
            new = new.append_column("last_load", new.column("first_load"))
            if self._slice is None:  # one COPY, handed the table: none of it held here
                # through its commit, where a load's memory is highest (a city's 695,843
                # assertions of the disputes' log, about 80 MiB), once the store lets go of it
                handed = [new]
                del new
                self.backend.upsert_nodes(ASSERTION, handed.pop(), bulk=True)  # none held
            else:
                for start in range(0, len(new), self._slice):
                    part = ColumnRows(new.slice(start, self._slice).to_pydict())
                    self.backend.upsert_nodes(ASSERTION, part, bulk=True)  # none held
        if self._counted:
            self.backend.upsert_nodes(LOAD, ColumnRows(_by_column(self._counted)), bulk=False)
            self._counted = []

    def _held(self, keys: list[str]) -> set[str]:
        rows = self.backend.read(
            "UNWIND $keys AS k MATCH (a:" + ident(ASSERTION.label) + " {id: k}) RETURN a.id AS id",
            {"keys": keys},
        )
        return {r["id"] for r in rows}

    def finished(self, load: FileLoad, counts: dict[str, int]) -> None:
        """Complete the Load of one file with what became of its rows, once its assertions are
        written; it repeats the Load before only if it, too, accepted every row."""
        repeats = load.repeats if counts["rejected"] == 0 else None
        self._counted.append({"id": load.id, **counts, "repeats": repeats})
        if not self._pending:
            self.flush()


def _keys(first: Sequence[Any], again: list[Any]) -> Sequence[Any]:
    """The keys of `first` then `again`: lists, or Arrow text (a bulk batch's, held so)."""
    if not again:
        return first
    if isinstance(first, pa.Array):
        joined: Sequence[Any] = pa.concat_arrays([first, pa.array(again, pa.string())])
        return joined
    return list(first) + again


def _assertion_keys(name: str, keys: Sequence[Any], sources: pa.Array, file: str) -> pa.Array:
    """The assertions' keys: each fact (`name`:key) joined to a digest of its source and
    `file`, one digest per distinct source."""
    if isinstance(keys, pa.Array):
        given = keys
    else:
        try:
            given = pa.array(keys, pa.string())
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # a key that is not text, as node_fact says
            given = pa.array(map(str, keys), pa.string())
    coded = sources.dictionary_encode(null_encoding="encode")
    digests = [_short(f"{s}{KEY_JOIN}{file}") for s in coded.dictionary.to_pylist()]
    tags = pa.array(digests, pa.string()).take(coded.indices)
    return pc.binary_join_element_wise(f"{name}:", given, KEY_JOIN, tags, "")


def _by_column(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name in rows[0]}


def sources(backend: Backend, fact: str) -> list[Row]:
    """Every source that asserted `fact` (`node_fact`, `rel_fact`), the first first, with when
    and from which file each first and last did."""
    rows = backend.read(
        "MATCH (a:" + ident(ASSERTION.label) + ") WHERE a.id STARTS WITH $key "
        "OPTIONAL MATCH (f:Load {id: a.first_load}) "
        "OPTIONAL MATCH (l:Load {id: a.last_load}) "
        "RETURN a.id AS id, a.source AS source, f.at AS first_seen, f.file AS first_file, "
        "f.digest AS first_digest, l.id AS last, l.at AS last_seen, l.file AS last_file, "
        "l.digest AS last_digest",
        {"key": fact + KEY_JOIN},
    )
    # the fact is all before the last KEY_JOIN (the digest has none): not a longer one's prefix
    rows = [r for r in rows if r.pop("id").rpartition(KEY_JOIN)[0] == fact]
    # A Load that repeated the last one asserted the fact again, with the same bytes.
    again = {
        r["repeats"]: r["at"]
        for r in backend.read(
            "MATCH (r:Load) WHERE r.repeats IN $ids RETURN r.repeats AS repeats, max(r.at) AS at",
            {"ids": [r["last"] for r in rows]},
        )
    }
    by_source: dict[str, dict[str, Any]] = {}
    for r in rows:
        r["last_seen"] = max(r["last_seen"] or "", again.get(r.pop("last"), ""))
        kept = by_source.setdefault(r["source"], dict(r))  # one per file: the earliest first
        if r["first_seen"] < kept["first_seen"]:
            kept |= {k: r[k] for k in ("first_seen", "first_file", "first_digest")}
        if r["last_seen"] > kept["last_seen"]:
            kept |= {k: r[k] for k in ("last_seen", "last_file", "last_digest")}
    order = ("source", "first_seen", "last_seen", "first_file", "first_digest", "last_file")
    return sorted(
        ({k: s[k] for k in (*order, "last_digest")} for s in by_source.values()),
        key=lambda s: (s["first_seen"], s["source"]),
    )
