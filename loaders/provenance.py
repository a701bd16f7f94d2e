"""Provenance: who asserted each record and relationship, first and last, and what each load read.

A record keeps one `source`, the last file or system to assert it, so a reload from a second
source would otherwise lose the first. Beside the graph the loaders write:

- a `Load` per file per load: its name, the sha256 of its bytes, when, and its reconciliation
  (read = loaded + rejected + duplicates);
- an `Assertion` per fact and source (`Grid:330421001001-G01` by `jiashan.grids.csv`), with the
  Load of its first and of its last assertion (whose `at` says when).

Every row a load accepts asserts its fact, a duplicate too (the same values from another file
are that file's assertion). A rerun of the same files moves `last_load` and adds no Assertion; a
second source adds its own Assertion and keeps the first. The record and its assertions are
written in separate transactions: a load killed between them leaves a record its assertion
lacks, which the rerun (as for everything else) writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from graph.backend import Backend, Row
from graph.ddl import ident
from graph.schema import SCHEMA, NodeType

LOAD: NodeType = SCHEMA.node("Load")
ASSERTION: NodeType = SCHEMA.node("Assertion")


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


def _assertion_id(fact: str, source: str) -> str:
    return hashlib.blake2b(f"{fact}\x1f{source}".encode(), digest_size=16).hexdigest()


class Ledger:
    """The provenance one load writes: its time, and the assertions it has written so far."""

    def __init__(self, backend: Backend, at: datetime) -> None:
        self.backend = backend
        self.at = at.isoformat(timespec="microseconds")
        self._written: set[str] = set()  # assertions this load has written: never twice
        self._bulk = backend.is_empty(ASSERTION.label)  # none before it: none to look up

    def load_id(self, file: str) -> str:
        return f"{self.at}#{file}"

    def asserted(self, load: str, facts: Iterable[tuple[str, str]]) -> None:
        """Record that the file of `load` asserted each (fact, source)."""
        wanted: dict[str, tuple[str, str]] = {}
        for fact, source in facts:
            key = _assertion_id(fact, source)
            if key not in self._written:
                wanted[key] = (fact, source)
        if not wanted:
            return
        held = set() if self._bulk else self._held(list(wanted))
        new = [
            {
                "id": key,
                "fact": fact,
                "source": source,
                "first_load": load,
                "last_load": load,
            }
            for key, (fact, source) in wanted.items()
            if key not in held
        ]
        again = [{"id": key, "last_load": load} for key in held]
        self.backend.upsert_nodes(ASSERTION, new, bulk=self._bulk)
        self.backend.upsert_nodes(ASSERTION, again, bulk=False)
        self._written.update(wanted)

    def _held(self, keys: list[str]) -> set[str]:
        rows = self.backend.read(
            "UNWIND $keys AS k MATCH (a:Assertion {id: k}) RETURN a.id AS id", {"keys": keys}
        )
        return {r["id"] for r in rows}

    def loaded(self, load: str, file: str, digest: str | None, counts: dict[str, int]) -> None:
        """Record the Load of one file, with what became of its rows."""
        row = {"id": load, "file": file, "digest": digest, "at": self.at, **counts}
        self.backend.upsert_nodes(LOAD, [row], bulk=False)


def sources(backend: Backend, fact: str) -> list[Row]:
    """Every source that asserted `fact` (`node_fact`, `rel_fact`), the first first, with when
    and from which file each first and last did."""
    return backend.read(
        "MATCH (a:" + ident(ASSERTION.label) + " {fact: $fact}) "
        "OPTIONAL MATCH (f:Load {id: a.first_load}) "
        "OPTIONAL MATCH (l:Load {id: a.last_load}) "
        "RETURN a.source AS source, f.at AS first_seen, l.at AS last_seen, "
        "f.file AS first_file, f.digest AS first_digest, l.file AS last_file, "
        "l.digest AS last_digest ORDER BY first_seen, source",
        {"fact": fact},
    )
