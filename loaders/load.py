"""Loading files into the graph: every row is loaded, rejected with its reason, or counted
as a duplicate, and a rerun of the same files changes nothing.

Node files are loaded before relationship files, so that a relationship can refer to a node
from any file of the same load. Each batch is one transaction: a killed load leaves whole
batches only, and a rerun upserts the same rows again. A label or type that is empty when the
load meets it is filled through the store's bulk path (COPY); keys are de-duplicated across the
whole load first, so the bulk path never meets a key twice.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from pathlib import Path
from queue import Empty, Full, Queue
from typing import Any, Protocol, TypeVar

import numpy as np
import pyarrow as pa

from graph.backend import Backend, Row
from graph.ddl import RID, ident
from graph.errors import GraphError
from graph.places import grids_without_unit
from graph.schema import LOADED_LOGS, SCHEMA, Mask, NodeType, RelType, Schema
from loaders.chinese import Vocabulary
from loaders.columns import ColumnRows
from loaders.met import KeysMet, RidsMet
from loaders.provenance import FileLoad, Ledger, file_digest, records_digest
from loaders.read import (
    MAX_BYTES,
    MAX_ROWS,
    BadRow,
    Chunk,
    FileRejected,
    Lines,
    RawRow,
    TableFile,
    chunk_rows,
    type_stem,
)
from loaders.validate import CheckedChunk, HeaderError, RowValidator
from queries.calendar import CHINA_TIME

DEFAULT_BATCH_SIZE = 5000
CHUNK_SIZE = 10_000  # rows read and validated together, whatever the batch size
# Rows written between two times the store is asked to let go of its memory (see _let_go), or
# bulk COPYs into relationship tables: each keeps some 50–60 MiB of the store's native memory on
# a city whatever its rows (a run of its small files climbed by 500 MiB between two let-gos).
LET_GO_ROWS = 250_000
LET_GO_COPIES = 4
# On the bulk path, a batch's rows are made into the store's Arrow table (`copy_table`) a part
# of at most this many at a time, where the store makes one: a large file's batch is never held
# whole as Python rows, and still goes in one COPY (docs/benchmarks.md).
BULK_PART_ROWS = 100_000
Progress = Callable[[str, int], None]
# The keys of facts (loaders.provenance: a node's key, a relationship's rid in hex) and the
# sources asserting them
Facts = tuple[list[Any], list[str]]


class Table(Protocol):
    """What the loader reads: a named sequence of text rows (a file, or rows made in memory)."""

    name: str
    stem: str
    columns: list[str]

    def rows(self) -> Iterator[RawRow | BadRow]: ...


@dataclass
class MemoryTable:
    """Rows made in memory, such as the official division table, loaded like a file."""

    name: str
    stem: str
    records: Sequence[dict[str, str]]
    columns: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.columns and self.records:
            self.columns = list(self.records[0])

    def rows(self) -> Iterator[RawRow | BadRow]:
        for line, record in enumerate(self.records, start=2):
            yield RawRow(line, dict(record))

    def digest(self) -> str:
        return records_digest(self.records)


@dataclass(frozen=True)
class Reject:
    file: str
    line: int
    column: str
    value: str
    reason: str


@dataclass
class FileReport:
    file: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicates: int = 0
    error: str | None = None  # why the whole file was refused
    lines: Lines | None = None  # how a file's lines were used, once it is read
    stopped: bool = False  # the store failed while this file was being written

    @property
    def balanced(self) -> bool:
        """Every row read is loaded, rejected or a duplicate, and every line of the file is
        the header, blank, or part of a row read."""
        lines_used = self.lines is None or self.lines.rows == self.read
        return lines_used and self.read == self.loaded + self.rejected + self.duplicates

    def line(self) -> str:
        """`people.csv: read 4 = loaded 3 + rejected 1 + duplicates 0`, and where the file's
        lines are not simply a header and one line per row, how they were used."""
        text = (
            f"{self.file}: read {self.read} = loaded {self.loaded} + rejected {self.rejected}"
            f" + duplicates {self.duplicates}"
        )
        lines = self.lines
        if lines is not None and (lines.blank or lines.within or lines.rows != self.read):
            text += f"; {lines.total} lines = {lines.header} header + {lines.blank} blank"
            text += f" + {lines.rows + lines.within} in rows read"
            if lines.within:
                text += f" ({lines.within} inside rows whose free text spans lines)"
        if self.stopped:
            unwritten = self.read - self.loaded - self.rejected - self.duplicates
            return text + f" (stopped by the store's failure: {unwritten} rows read, not written)"
        return text + (f" (file refused: {self.error})" if self.error else "")


@dataclass
class LoadReport:
    files: list[FileReport] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # loaded, but worth a look

    @property
    def ok(self) -> bool:
        return not self.rejects and all(f.error is None for f in self.files)

    def write_rejects(self, path: Path) -> None:
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["file", "line", "column", "value", "reason"])
            for r in self.rejects:
                writer.writerow([r.file, r.line, r.column, r.value, r.reason])


def relationship_id(type_: str, from_label: str, to_label: str, row: dict[str, Any]) -> str:
    """A stable identity for one relationship: its type, endpoints and identity properties."""
    identity = SCHEMA.rel(type_).identity
    return _rid_texts(
        type_,
        from_label,
        to_label,
        [str(row["from"])],
        [str(row["to"])],
        [[row.get(name)] for name in identity],
    )[0].hex()


def _rid_texts(
    type_: str,
    from_label: str,
    to_label: str,
    froms: Sequence[str],
    tos: Sequence[str],
    identity: Sequence[Sequence[Any]],
) -> list[bytes]:
    """`relationship_id` of many rows at once, as the 12 bytes its hex digits spell."""
    head, middle = f"{type_}\x1f{from_label}\x1f", f"\x1f{to_label}\x1f"
    texts = [head + a + middle + b for a, b in zip(froms, tos, strict=True)]
    for values in identity:
        texts = [text + "\x1f" + str(v) for text, v in zip(texts, values, strict=True)]
    return [hashlib.blake2b(text.encode(), digest_size=12).digest() for text in texts]


_NOT_COMPARED = frozenset({"source", "from_type", "to_type"})


def _compared(kind: NodeType | RelType) -> list[str]:
    """What two rows with one key are compared by: every property, absent ones as empty, and
    a relationship's endpoints. `source` may differ between files, and the endpoint labels are
    part of a relationship's identity already."""
    names = [p.name for p in kind.properties if p.name not in _NOT_COMPARED]
    return ["from", "to", *names] if isinstance(kind, RelType) else names


def _digest(values: dict[str, Any], compared: list[str]) -> int:
    """What a row's values are compared by (see `_compared`): the hash of their tuple, as the
    loader takes it for a chunk's rows at once; keys that are neither compared nor columns
    (a row made in memory may have them) are compared too."""
    row = tuple(values.get(name) for name in compared)
    known = {*compared, *_NOT_COMPARED}
    others = sorted((k, v) for k, v in values.items() if k not in known)
    return hash((*row, tuple(others))) if others else hash(row)


# What the load remembers of each key it has seen (loaders.met): the comparison digest, and
# where: the file (an index into Loader._names) and the line, packed in one int64.
_LINE_BITS = 40


@dataclass
class _Rows:
    """Rows that passed validation, column by column: a chunk's, or a batch's to be written."""

    lines: list[int]
    digests: list[int]
    columns: dict[str, list[Any]]

    @classmethod
    def empty(cls, names: Iterable[str]) -> _Rows:
        return cls([], [], {name: [] for name in names})

    def __len__(self) -> int:
        return len(self.lines)

    def clear(self) -> None:
        """Let go of the rows, keeping the columns' names (a written batch, emptied in place)."""
        self.lines.clear()
        self.digests.clear()
        for values in self.columns.values():
            values.clear()

    def extend(self, other: _Rows, start: int, stop: int) -> None:
        self.lines.extend(other.lines[start:stop])
        self.digests.extend(other.digests[start:stop])
        for name, values in self.columns.items():
            values.extend(other.columns[name][start:stop])


@dataclass
class _Open:
    """A bulk batch made a part at a time: its parts' Arrow tables (by endpoint pair for a
    relationship, under None for a record), the rows batched and to be loaded so far, where
    the last part ended, and the parts' facts, asserted once the batch is written as one
    batch's are."""

    kind: NodeType | RelType
    tables: dict[tuple[str, str] | None, list[pa.Table]] = field(default_factory=dict)
    rows: int = 0
    loaded: int = 0
    line: int = 0
    facts: list[tuple[Facts, Facts]] = field(default_factory=lambda: [(([], []), ([], []))])


class Loader:
    def __init__(
        self,
        backend: Backend,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        bulk_batch_size: int | None = None,
        traditional: bool = False,
        on_progress: Progress | None = None,
        schema: Schema = SCHEMA,
        max_bytes: int = MAX_BYTES,
        max_rows: int = MAX_ROWS,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """`batch_size` rows make one transaction; `bulk_batch_size` (by default the same) while
        a type is filled through the store's bulk path, where fewer, larger COPYs are much
        faster than many small ones. A file of more than `max_bytes` or `max_rows` lines is
        refused whole. `now` gives the time the provenance records (loaders.provenance)."""
        if batch_size < 1 or (bulk_batch_size is not None and bulk_batch_size < 1):
            raise ValueError("batch_size must be at least 1")
        self.backend = backend
        self.batch_size = batch_size
        self.bulk_batch_size = batch_size if bulk_batch_size is None else bulk_batch_size
        self.traditional = traditional
        self.on_progress = on_progress
        self.schema = schema
        self.max_bytes, self.max_rows = max_bytes, max_rows
        self.report = LoadReport()
        # Where the last batch written ended: should the store fail, all before it is in.
        self.committed: str | None = None
        # Every key this load has seen, per label (the node's key) and for all relationships
        # (the 12 bytes of its rid), each with its digest and place (see _LINE_BITS).
        self._nodes: dict[str, KeysMet] = defaultdict(KeysMet)
        self._rejected_nodes: dict[str, dict[Any, str]] = defaultdict(dict)
        self._in_graph: dict[str, set[Any]] = defaultdict(set)
        self._rels = RidsMet()
        self._bulk: dict[str, bool] = {}
        self._names: list[str] = []  # the tables' names, as the packed places refer to them
        self._name_ids: dict[str, int] = {}
        # Categories and places by name, read from the graph when a row first names one (after
        # the load's node files, so it knows their units and domains too); once per load call.
        self._vocabulary: Vocabulary | None = None
        self._now = now or (lambda: datetime.now(CHINA_TIME))
        self._ledger: Ledger | None = None
        self._file_load = FileLoad("", "", None)  # the Load of the file being loaded
        self._unreleased = 0  # rows written since the store last let go of its memory
        self._copies = 0  # and bulk COPYs into relationship tables
        self._open: _Open | None = None  # a bulk batch being made a part at a time
        self._bulk_rows = self.bulk_batch_size  # of the file's bulk batches (_bulk_batch_rows)

    @property
    def ledger(self) -> Ledger:
        """The provenance of this load, begun when it first writes."""
        if self._ledger is None:
            self._ledger = Ledger(self.backend, self._now(), self.batch_size)
        return self._ledger

    def vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            self._vocabulary = Vocabulary.from_graph(self.backend)
        return self._vocabulary

    # -- entry points ---------------------------------------------------------------------

    def load_paths(self, paths: Iterable[Path]) -> LoadReport:
        tables: list[Table] = []
        for path in paths:
            kind = self.schema.by_file(type_stem(path))
            free_text = [p.name for p in kind.properties if p.mask is Mask.TEXT] if kind else []
            try:
                tables.append(_FileTable(path, free_text, self.max_bytes, self.max_rows))
            except FileRejected as exc:
                self._refuse(path.name, str(exc))
        return self.load_tables(tables)

    def load_tables(self, tables: Iterable[Table]) -> LoadReport:
        order = {name: i for i, name in enumerate(self.schema.loaded_files)}
        known = [t for t in tables if self._known(t)]
        self._vocabulary = None
        for table in sorted(known, key=lambda t: order[t.stem]):
            kind = self.schema.by_file(table.stem)
            assert kind is not None
            try:
                self._load_table(table, kind)
            except GraphError:  # the store failed (a full disk): this file's report says so
                self.report.files[-1].stopped = True
                raise
        if self._ledger is not None:
            self._ledger.flush()
        self._warn_of_grids_without_unit()
        return self.report

    def _let_go(self, written: int) -> None:
        """After every `LET_GO_ROWS` rows written (records, relationships or assertions), the
        store asked to give back the memory it keeps (`Backend.drop_cached_pages`): an embedded
        store closed and opened again in a fraction of a second. LadybugDB's native memory
        grows with each COPY and is given back only on closing: a city's first load held 3.2
        GiB at its end and 1.1 GiB once the store was closed. It comes after a write has committed,
        so it changes nothing a killed load leaves. After every `LET_GO_COPIES` COPYs into
        relationship tables too, however few their rows."""
        self._unreleased += written
        if self._unreleased >= LET_GO_ROWS or self._copies >= LET_GO_COPIES:
            self.backend.drop_cached_pages()
            self._unreleased = self._copies = 0

    def _warn_of_grids_without_unit(self) -> None:
        """A grid of this load that reaches no unit up PART_OF (directly or through its parent
        grids) lies in no place: no filter, jurisdiction or ladder finds it (graph.places)."""
        grids = [k for k in self._nodes.get("Grid", ()) if k is not None]
        lost = grids_without_unit(self.backend.read, grids) if grids else []
        if lost:
            shown = ", ".join(map(str, lost[:20])) + (" …" if len(lost) > 20 else "")
            self.report.warnings.append(
                f"warning: {len(lost)} grids reach no unit up PART_OF, so they lie in no place "
                f"(no within filter, jurisdiction or ladder finds them): {shown}; give each a "
                "PART_OF row to its village (or to a parent grid that has one)"
            )

    # -- one table ------------------------------------------------------------------------

    def _known(self, table: Table) -> bool:
        if table.stem in self.schema.loaded_files:
            return True
        import difflib

        close = difflib.get_close_matches(table.stem, self.schema.files, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        self._refuse(
            table.name,
            f"{table.stem!r} is not a type the loader knows{hint} "
            f"(name files <anything>.<type>.csv, one of: {', '.join(self.schema.files)})",
        )
        return False

    def _refuse(self, name: str, reason: str) -> None:
        self.report.files.append(FileReport(name, error=reason))
        self.report.rejects.append(Reject(name, 0, "", "", reason))

    def _refused_late(self, report: FileReport, exc: FileRejected) -> None:
        """A file refused when its rows were wanted, before any was read: it changed (or went
        away) since the load first read it."""
        report.error, report.lines = str(exc), None  # none of its lines was read
        self.report.rejects.append(Reject(report.file, 0, "", "", str(exc)))

    def _load_table(self, table: Table, kind: NodeType | RelType) -> None:
        report = FileReport(table.name, lines=getattr(table, "lines", None))
        self.report.files.append(report)
        try:
            validator = RowValidator(
                kind, table.columns, traditional=self.traditional, names=self.vocabulary
            )
        except HeaderError as exc:
            # Every row still has to be accounted for: each is rejected for the header's fault.
            try:
                for raw in table.rows():
                    report.read += 1
                    self._reject(report, raw.line, exc.column, "", f"file refused: {exc}")
            except FileRejected as gone:  # the file changed since it was first read
                return self._refused_late(report, gone)
            report.error = str(exc)
            if report.read == 0:
                self.report.rejects.append(Reject(table.name, 1, exc.column, "", str(exc)))
            return
        chunks = getattr(table, "chunks", None)
        try:  # a file is read again here (loaders.read._read_csv)
            source = (
                chunks(CHUNK_SIZE)
                if chunks
                else chunk_rows(table.columns, table.rows(), CHUNK_SIZE)
            )
        except FileRejected as exc:
            return self._refused_late(report, exc)
        self._file_load = self.ledger.begin(table.name, _digest_of(table))
        # Only the columns the file has: a file of ids and names must not erase the mobile
        # numbers another file loaded. (A node's key is a required column.)
        names = [*table.columns, *([] if "source" in table.columns else ["source"])]
        compared = _compared(kind)
        batch = _Rows.empty(names)
        size = self.bulk_batch_size if self._is_bulk(kind) else self.batch_size
        self._bulk_rows = self.bulk_batch_size
        if self._in_parts(kind):  # a batch made a part at a time, written whole (`_flush`)
            size = min(size, BULK_PART_ROWS)
            self._bulk_rows = _bulk_batch_rows(self.bulk_batch_size, getattr(table, "lines", None))

        def prepared() -> Iterator[tuple[Chunk, CheckedChunk, _Rows]]:
            for chunk in source:
                checked = validator.validate_chunk(chunk)
                yield chunk, checked, self._good_rows(table.name, chunk, checked, names, compared)

        try:
            self._load_chunks(table.name, kind, _read_ahead(prepared()), batch, size, report)
        finally:
            self._open = None  # a batch not written: nothing of it is in the store
        counts = {
            "read": report.read,
            "loaded": report.loaded,
            "rejected": report.rejected,
            "duplicates": report.duplicates,
        }
        self.ledger.finished(self._file_load, counts)

    def _load_chunks(
        self,
        name: str,
        kind: NodeType | RelType,
        chunks: Iterator[tuple[Chunk, CheckedChunk, _Rows]],
        batch: _Rows,
        size: int,
        report: FileReport,
    ) -> None:
        """A file's chunks, validated, each row rejected or batched; batches of `size` rows
        written as they fill, and the last as the file ends."""
        for chunk, checked, rows in chunks:
            report.read += len(chunk) + len(chunk.bad)
            # The rows in the file's order: bad ones rejected, good ones batched.
            events = [(before, 0, k) for k, (before, _) in enumerate(chunk.bad)]
            events += [(i, 1, i) for i in checked.problems]
            events.sort()
            start = 0
            for at, what, ref in events:
                batch = self._batch(name, kind, rows, start, at, batch, size, report)
                if what == 0:
                    bad = chunk.bad[ref][1]
                    self._reject(report, bad.line, bad.column, "", bad.reason)
                    start = at
                else:
                    self._reject_row(name, kind, chunk.lines[at], *checked.problems[at])
                    report.rejected += 1
                    start = at + 1
            batch = self._batch(name, kind, rows, start, len(chunk), batch, size, report)
        if batch:
            self._flush(name, kind, batch, report)
        self._commit(name, report)

    def _good_rows(
        self,
        name: str,
        chunk: Chunk,
        checked: CheckedChunk,
        names: list[str],
        compared: list[str],
    ) -> _Rows:
        """A chunk's values as the batch takes them; rows with problems hold placeholders."""
        values = checked.values
        for i, row_values in checked.whole.items():
            for column, cells in values.items():
                cells[i] = row_values.get(column)
        columns = {column: values[column] for column in chunk.columns}
        source = columns.get("source")
        if source is None:
            columns["source"] = [name] * len(chunk)
        elif None in source:
            columns["source"] = [name if v is None else v for v in source]
        for i, row_values in checked.whole.items():
            given = row_values.get("source")
            columns["source"][i] = name if given is None else given
        # The key (a node's) or the endpoints (a relationship's) are columns of every file.
        digests = list(
            map(hash, zip(*(values.get(c, repeat(None)) for c in compared), strict=False))
        )
        for i, row_values in checked.whole.items():
            digests[i] = _digest(row_values, compared)
        return _Rows(list(chunk.lines), digests, {n: columns[n] for n in names})

    def _batch(
        self,
        name: str,
        kind: NodeType | RelType,
        rows: _Rows,
        start: int,
        stop: int,
        batch: _Rows,
        size: int,
        report: FileReport,
    ) -> _Rows:
        """Good rows start…stop - 1 added to the batch, written (and emptied) whenever it holds
        `size` rows, or a part of an open batch the rows it lacks."""
        while start < stop:
            full = size if self._open is None else min(size, self._bulk_rows - self._open.rows)
            take = min(stop - start, full - len(batch))
            batch.extend(rows, start, start + take)
            start += take
            if len(batch) >= full:
                self._flush(name, kind, batch, report)
        return batch

    def _reject_row(
        self,
        name: str,
        kind: NodeType | RelType,
        line: int,
        values: dict[str, Any],
        problems: list[Any],
    ) -> None:
        for p in problems:
            self.report.rejects.append(Reject(name, line, p.column, p.value, p.reason))
        if isinstance(kind, NodeType) and values.get(kind.key) is not None:
            self._rejected_nodes[kind.label][values[kind.key]] = f"{name}:{line}"

    def _reject(self, report: FileReport, line: int, column: str, value: str, reason: str) -> None:
        report.rejected += 1
        self.report.rejects.append(Reject(report.file, line, column, value, reason))

    def _flush(
        self,
        name: str,
        kind: NodeType | RelType,
        batch: _Rows,
        report: FileReport,
    ) -> None:
        """Write the batch, or, on the bulk path where the store makes its tables, add it to the
        open batch as a part (`BULK_PART_ROWS`), which is written once it holds
        `bulk_batch_size` rows or its file ends (`_commit`)."""
        if self._open is None and self._in_parts(kind):
            self._open = _Open(kind)
        loaded = report.loaded
        if isinstance(kind, NodeType):
            first, again = self._flush_nodes(name, kind, batch, report)
        else:
            first, again = self._flush_rels(name, kind, batch, report)
        line, size = batch.lines[-1], len(batch)
        # Written (or made into the open batch's table): its rows go before its assertions are
        # made, which take as much memory again.
        batch.clear()
        open_ = self._open
        if open_ is None:
            facts = [(first, again)]
            del first, again
            return self._committed(name, kind, line, size, facts)
        # Loaded once written; the parts' facts, in the batch's order, as one batch's are.
        open_.loaded += report.loaded - loaded
        report.loaded = loaded
        open_.rows, open_.line = open_.rows + size, line
        for held, given in zip(open_.facts[0], (first, again), strict=True):
            held[0].append(_compact(given[0]))
            held[1].extend(given[1])
        del first, again
        if open_.rows >= self._bulk_rows:
            self._commit(name, report)

    def _commit(self, name: str, report: FileReport) -> None:
        """Write the batch made of parts, if one is open: its tables handed to the store's
        COPY, none of them held here through its commit."""
        open_, self._open = self._open, None
        if open_ is None:
            return
        tables = {pair: pa.concat_tables(parts) for pair, parts in open_.tables.items()}
        open_.tables.clear()
        if isinstance(open_.kind, NodeType):
            if tables:
                self.backend.upsert_nodes(open_.kind, tables.pop(None), bulk=True)
        else:
            self._copies += len(tables)
            handed = [tables]
            del tables
            self.backend.upsert_rels(open_.kind, handed.pop(), bulk=True)  # type: ignore[arg-type]
        report.loaded += open_.loaded
        facts = [tuple((_joined(keys), sources) for keys, sources in open_.facts.pop())]
        self._committed(name, open_.kind, open_.line, open_.rows, facts)  # type: ignore[arg-type]

    def _committed(
        self,
        name: str,
        kind: NodeType | RelType,
        line: int,
        size: int,
        facts: list[tuple[Facts, Facts]],
    ) -> None:
        """A batch of `size` rows of `kind` ending at `line` is in: its facts (taken from
        `facts`, so that none is held once the ledger has them) asserted, the store let go."""
        fact_name = kind.label if isinstance(kind, NodeType) else kind.type
        self.committed = f"{name} line {line}"
        # After the batch, held and written with others in a transaction of their own: should
        # the store fail first, the batch is in, the file's Load has no counts, and the rerun
        # asserts it again.
        self._let_go(size)
        first, again = facts.pop()
        self.ledger.asserted(self._file_load, fact_name, first, again)
        del first, again  # held by the ledger as Arrow now: its write goes without their texts
        self._let_go(self.ledger.write_when_full())
        if self.on_progress:
            self.on_progress(name, size)

    def _in_parts(self, kind: NodeType | RelType) -> bool:
        """Whether the type's batches are made a part at a time: on the bulk path, where the
        store makes the tables its COPY takes."""
        return self._is_bulk(kind) and hasattr(self.backend, "copy_table")

    def _write_nodes(self, kind: NodeType, rows: ColumnRows) -> None:
        """Write a batch's new records, or add them to the open batch as a part."""
        if self._open is None:
            self.backend.upsert_nodes(kind, rows, bulk=self._is_bulk(kind))
        elif len(rows):
            table = self.backend.copy_table(kind, rows)  # type: ignore[attr-defined]
            self._open.tables.setdefault(None, []).append(table)

    def _write_rels(self, kind: RelType, groups: dict[tuple[str, str], ColumnRows]) -> None:
        """Write a batch's new relationships, or add them to the open batch as a part."""
        if self._open is None:
            self.backend.upsert_rels(kind, groups, bulk=self._is_bulk(kind))
            return
        for pair, rows in groups.items():
            table = self.backend.copy_table(kind, rows)  # type: ignore[attr-defined]
            self._open.tables.setdefault(pair, []).append(table)

    def _is_bulk(self, kind: NodeType | RelType) -> bool:
        """Whether the type goes through the store's bulk path in this load: it was empty when
        the load met it, and the load never gives a key twice."""
        name = kind.label if isinstance(kind, NodeType) else kind.type
        if name not in self._bulk:
            self._bulk[name] = self.backend.is_empty(name)
        return self._bulk[name]

    def _packed(self, name: str, batch: _Rows, rows: Sequence[int]) -> tuple[Any, Any]:
        """The digests and places of `rows` of the batch (ascending), as `_nodes` and `_rels`
        keep them."""
        if name not in self._name_ids:
            self._name_ids[name] = len(self._names)
            self._names.append(name)
        digests = np.array(_take(batch.digests, list(rows)), dtype=np.int64)
        places = np.array(_take(batch.lines, list(rows)), dtype=np.int64)
        return digests, places | (self._name_ids[name] << _LINE_BITS)

    def _where(self, place: int) -> str:
        return f"{self._names[place >> _LINE_BITS]}:{place & ((1 << _LINE_BITS) - 1)}"

    # -- nodes ----------------------------------------------------------------------------

    def _flush_nodes(
        self, name: str, kind: NodeType, batch: _Rows, report: FileReport
    ) -> tuple[Facts, Facts]:
        """Write the batch's new records; return the facts and sources the accepted rows assert,
        those first met in this load and those met before (`_facts`)."""
        seen = self._nodes[kind.label]
        keys = batch.columns[kind.key]
        new = list(range(len(batch)))
        repeated: list[int] = []  # duplicates: their files assert the record too
        digests, places = self._packed(name, batch, new)
        earlier = seen.meet(keys, digests, places)
        if (earlier >= 0).any():
            new = []
            same = seen.same(earlier, digests).tolist()
            for i, (key, met) in enumerate(zip(keys, earlier.tolist(), strict=True)):
                if met < 0:
                    new.append(i)
                elif same[i]:
                    report.duplicates += 1
                    repeated.append(i)
                else:
                    self._reject(
                        report,
                        batch.lines[i],
                        kind.key,
                        str(key),
                        f"{kind.label} {key!r} was already given at "
                        f"{self._where(seen.place(met))} with other values",
                    )
        new, held = self._appended_only(kind, batch, new, report)
        self._write_nodes(kind, _select(batch.columns, new))
        report.loaded += len(new)
        again = sorted(repeated + held)
        return self._facts(keys, batch, new, again)

    def _facts(
        self, keys: Sequence[Any], batch: _Rows, first: list[int], again: list[int]
    ) -> tuple[Facts, Facts]:
        """The keys (a node's, or a relationship's rid in hex) and sources of rows `first` and
        `again`, whose facts the ledger makes (`Ledger.asserted`). None when the file's Load
        repeats the last one, which asserted them all."""
        if self._file_load.repeats:
            return ([], []), ([], [])
        sources = batch.columns["source"]
        # copies: the batch's columns are emptied once it is written
        return (_copied(keys, first), _copied(sources, first)), (
            _copied(keys, again),
            _copied(sources, again),
        )

    def _appended_only(
        self, kind: NodeType, batch: _Rows, new: list[int], report: FileReport
    ) -> tuple[list[int], list[int]]:
        """Rows `new` to write, and those that repeat what the store holds. A log is appended
        to, never changed: an event the store holds already is a duplicate when the row says
        the same (its source aside), and is rejected when it says anything else, rather than
        overwritten as other records are. On the bulk path the store held none of the log
        when the load met it, and the load never gives a key twice."""
        if kind.label not in LOADED_LOGS or not new or self._is_bulk(kind):
            return new, []
        names = [p.name for p in kind.properties if p.name != "source" and p.name in batch.columns]
        keys = [batch.columns[kind.key][i] for i in new]
        stored = self._stored(kind.label, keys, names)
        given = [batch.columns[n] for n in names]
        kept, same = [], []
        for i, key in zip(new, keys, strict=True):
            found = stored.get(key)
            if found is None:
                kept.append(i)
                continue
            changed = [n for n, values in zip(names, given, strict=True) if found[n] != values[i]]
            if not changed:
                report.duplicates += 1
                same.append(i)
                continue
            self._reject(
                report,
                batch.lines[i],
                changed[0],
                str(batch.columns[changed[0]][i]),
                f"{kind.label} {key!r} is in the log already with other values "
                f"({', '.join(changed)}): a log is appended to, never changed",
            )
        return kept, same

    def _stored(self, label: str, keys: list[Any], names: Sequence[str] = ()) -> dict[Any, Row]:
        """The records of `label` the graph holds of `keys`, by key, with their key and
        properties `names`. Each key is looked up in the store's key index: `WHERE n.key IN
        $keys` would test every record of the label against the whole list, a time that grows
        as the label times the keys (a re-load of a log of N events took N² of it)."""
        key = self.schema.node(label).key
        columns = [key, *(n for n in names if n != key)]
        match = "UNWIND $keys AS k MATCH (n:" + ident(label) + " {" + ident(key) + ": k}) "
        returned = ", ".join("n." + ident(n) + " AS " + ident(n) for n in columns)
        rows = self.backend.read(match + "RETURN " + returned, {"keys": keys})
        return {r[key]: r for r in rows}

    # -- relationships --------------------------------------------------------------------

    def _endpoints(self, kind: RelType, values: dict[str, Any]) -> tuple[str, str] | str:
        """The (from, to) labels of a row, or why they are wrong."""
        from_label = values.get("from_type") or kind.endpoints[0][0]
        to_label = values.get("to_type") or kind.endpoints[0][1]
        if (from_label, to_label) not in kind.endpoints:
            pairs = ", ".join(f"{a}→{b}" for a, b in kind.endpoints)
            return f"{kind.type} does not join {from_label}→{to_label}; it joins {pairs}"
        return from_label, to_label

    def _labelled(
        self, kind: RelType, batch: _Rows, report: FileReport
    ) -> dict[tuple[str, str], list[int]]:
        """The batch's rows by their (from, to) labels, each in the batch's order; rows whose
        labels the type does not join are rejected."""
        absent = [None] * len(batch)
        from_types = batch.columns.get("from_type", absent)
        to_types = batch.columns.get("to_type", absent)
        if len(set(from_types)) == 1 and len(set(to_types)) == 1:  # one pair, as files have
            only = self._endpoints(kind, {"from_type": from_types[0], "to_type": to_types[0]})
            if not isinstance(only, str):
                return {only: list(range(len(batch)))}
        pairs = list(zip(from_types, to_types, strict=True))
        labels = {
            pair: self._endpoints(kind, {"from_type": pair[0], "to_type": pair[1]})
            for pair in set(pairs)
        }
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        known_from = {a for a, _ in kind.endpoints}
        for i, pair in enumerate(pairs):
            found = labels[pair]
            if not isinstance(found, str):
                groups[found].append(i)
                continue
            values = {"from_type": pair[0], "to_type": pair[1]}
            column = "to_type" if values.get("from_type") in known_from else "from_type"
            if values.get(column) is None:
                column = "from_type" if column == "to_type" else "to_type"
            self._reject(report, batch.lines[i], column, str(values.get(column) or ""), found)
        return groups

    def _flush_rels(
        self, name: str, kind: RelType, batch: _Rows, report: FileReport
    ) -> tuple[Facts, Facts]:
        """Write the batch's new relationships; return the facts and sources the accepted rows
        assert, as `_flush_nodes` does."""
        groups = self._labelled(kind, batch, report)
        columns = batch.columns
        froms, tos = columns["from"], columns["to"]
        ends = {pair: (_take(froms, rows), _take(tos, rows)) for pair, rows in groups.items()}
        unknown = self._look_up_in_graph(
            [(a, keys[0]) for (a, _), keys in ends.items()]
            + [(b, keys[1]) for (_, b), keys in ends.items()]
        )
        rids, every = [b""] * len(batch), False
        for (a, b), rows in groups.items():
            identity = [
                _take(columns[n], rows) if n in columns else [None] * len(rows)
                for n in kind.identity
            ]
            found = _rid_texts(kind.type, a, b, *ends[(a, b)], identity)
            if len(rows) == len(batch):  # one pair, every row: as files have
                rids, every = found, True
                break
            for i, rid in zip(rows, found, strict=True):
                rids[i] = rid
        if every:
            labelled, keys = next(iter(groups.values())), rids
        else:
            labelled = sorted(i for rows in groups.values() for i in rows)
            keys = [rids[i] for i in labelled]
        new: dict[tuple[str, str], list[int]]
        repeated: list[int] = []  # duplicates: their files assert the relationship too
        pair_of = {i: pair for pair, rows in groups.items() for i in rows} if unknown else {}
        problems: dict[int, tuple[str, str]] = {}  # an endpoint neither met nor in the graph
        for i in labelled if unknown else ():
            a, b = pair_of[i]
            problem = self._unresolved(a, froms[i], "from", unknown) or self._unresolved(
                b, tos[i], "to", unknown
            )
            if problem:
                problems[i] = problem
        digests, places = self._packed(name, batch, labelled)
        earlier = np.full(len(labelled), -1, dtype=np.int64)
        if problems:
            met = [j for j, i in enumerate(labelled) if i not in problems]
            earlier[met] = self._rels.meet([keys[j] for j in met], digests[met], places[met])
        else:
            earlier = self._rels.meet(keys, digests, places)
        if not problems and not (earlier >= 0).any():
            new = groups
        else:
            new = defaultdict(list)
            pair_of = pair_of or {i: pair for pair, rows in groups.items() for i in rows}
            same = self._rels.same(earlier, digests).tolist()
            for j, (i, entry) in enumerate(zip(labelled, earlier.tolist(), strict=True)):
                problem = problems.get(i)
                if problem:
                    column, reason = problem
                    self._reject(report, batch.lines[i], column, str(columns[column][i]), reason)
                elif entry < 0:
                    new[pair_of[i]].append(i)
                elif same[j]:
                    report.duplicates += 1
                    repeated.append(i)
                else:
                    self._reject(
                        report,
                        batch.lines[i],
                        "",
                        "",
                        f"the same {kind.type} was already given at "
                        f"{self._where(self._rels.place(entry))} with other values",
                    )
        properties = [p.name for p in kind.properties if p.name in columns]
        hexes = list(map(bytes.hex, rids))
        writes = {
            pair: ColumnRows(
                {
                    "from": _take(froms, rows),
                    "to": _take(tos, rows),
                    RID: _take(hexes, rows),
                    **{p: _take(columns[p], rows) for p in properties},
                }
            )
            for pair, rows in new.items()
            if rows
        }
        self._write_rels(kind, writes)
        report.loaded += sum(len(rows) for rows in writes.values())
        first = labelled if new is groups else sorted(i for rows in new.values() for i in rows)
        return self._facts(hexes, batch, first, repeated)

    def _look_up_in_graph(self, ends: list[tuple[str, list[Any]]]) -> dict[str, set[Any]]:
        """Ask the graph, one query per label, for endpoint keys this load has not seen; the
        keys still unknown after that, by label (none: an empty dict)."""
        wanted: dict[str, set[Any]] = {}
        for label, keys in ends:
            missing = self._nodes[label].missing(list(set(keys)))
            if missing:
                missing = missing.difference(self._in_graph[label])
            if missing:
                wanted.setdefault(label, set()).update(missing)
        for label, asked in wanted.items():
            self._in_graph[label].update(self._stored(label, sorted(asked)))
        unknown = {label: asked - self._in_graph[label] for label, asked in wanted.items()}
        return {label: keys for label, keys in unknown.items() if keys}

    def _unresolved(
        self, label: str, key: Any, column: str, unknown: dict[str, set[Any]]
    ) -> tuple[str, str] | None:
        """Why a row's endpoint `key` is wrong, when it is one of the `unknown` keys."""
        if key not in unknown.get(label, ()):
            return None
        rejected_at = self._rejected_nodes[label].get(key)
        if rejected_at:
            return column, f"refers to {label} {key!r}, which was rejected at {rejected_at}"
        return column, f"refers to {label} {key!r}, which is neither in this load nor in the graph"


_T = TypeVar("_T")


def _read_ahead(items: Iterator[_T], depth: int = 2) -> Iterator[_T]:
    """`items`, made by a thread of their own up to `depth` ahead: files are read and rows
    validated while the store writes the batch before (it lets go of the interpreter)."""
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def make() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        queue.put((True, item), timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put((False, None))
        except BaseException as exc:  # handed to the reader, who raises it in turn
            queue.put((False, exc))

    thread = threading.Thread(target=make, name="loader-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            more, item = queue.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(Empty):
                queue.get_nowait()
            thread.join(timeout=0.1)


def _take(values: Sequence[Any], rows: list[int]) -> list[Any]:
    """values[i] for each i in `rows`."""
    if len(rows) == len(values):  # rows are ascending and distinct: that is all of them
        return values if isinstance(values, list) else list(values)
    return [values[i] for i in rows]


def _bulk_batch_rows(bulk_batch_size: int, lines: Lines | None) -> int:
    """The rows of a file's batches on the bulk path, made a part at a time: `bulk_batch_size`,
    or every row of a file of at most a quarter more (its line count an upper bound), in one
    COPY into the empty table. A second COPY, into a table no longer empty, costs LadybugDB
    far more a row: the last 61,245 of the city's people and of its `lives_in` after a million
    each took 2.7 s of CPU, more than a tenth of what their millions took
    (docs/benchmarks.md)."""
    if lines is None or lines.rows > bulk_batch_size + bulk_batch_size // 4:
        return bulk_batch_size
    return max(bulk_batch_size, lines.rows)


_KEYS_POOL = pa.system_memory_pool()  # malloc, as the rows' tables (graph.embedded._ROWS_POOL)


def _compact(keys: list[Any]) -> pa.Array | list[Any]:
    """A part's keys held as Arrow text until its batch is written, where they can be: a
    million relationships' rids took some 85 MiB as Python strings, 34 as Arrow, through the
    batch's COPY (the city's peak, `lives_in`'s)."""
    try:
        return pa.array(keys, pa.string(), memory_pool=_KEYS_POOL)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # keys that are not text, kept as they are
        return keys


def _joined(parts: list[pa.Array | list[Any]]) -> pa.Array | list[Any]:
    """The parts' keys (`_compact`) as one sequence."""
    if parts and all(isinstance(p, pa.Array) for p in parts):
        return pa.concat_arrays(parts, memory_pool=_KEYS_POOL)
    return [k for p in parts for k in (p.to_pylist() if isinstance(p, pa.Array) else p)]


def _copied(values: Sequence[Any], rows: list[int]) -> list[Any]:
    """values[i] for each i in `rows`, as a list of their own."""
    if len(rows) == len(values):  # rows are ascending and distinct: that is all of them
        return list(values)
    return [values[i] for i in rows]


def _select(columns: dict[str, list[Any]], rows: list[int]) -> ColumnRows:
    return ColumnRows({name: _take(values, rows) for name, values in columns.items()})


def _digest_of(table: Table) -> str | None:
    """The sha256 of a file's bytes, or of a table's rows made in memory."""
    digest = getattr(table, "digest", None)
    if digest is not None:
        return str(digest())
    path = getattr(table, "path", None)
    return file_digest(path) if path is not None else None


class _FileTable:
    def __init__(self, path: Path, free_text: list[str], max_bytes: int, max_rows: int) -> None:
        self._file = TableFile(path, free_text=free_text, max_bytes=max_bytes, max_rows=max_rows)
        self.path = path
        self.name = path.name
        self.stem = type_stem(path)
        self.columns = self._file.columns
        self.lines = self._file.lines

    def rows(self) -> Iterator[RawRow | BadRow]:
        return self._file.rows()

    def chunks(self, size: int) -> Iterator[Chunk]:
        return self._file.chunks(size)

    def digest(self) -> str:
        return self._file.digest()


def load(
    backend: Backend,
    paths: Iterable[Path],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    bulk_batch_size: int | None = None,
    traditional: bool = False,
    on_progress: Progress | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    now: Callable[[], datetime] | None = None,
) -> LoadReport:
    """Load files into the graph. Returns the per-file reconciliation and every reject."""
    loader = Loader(
        backend,
        batch_size=batch_size,
        bulk_batch_size=bulk_batch_size,
        traditional=traditional,
        on_progress=on_progress,
        max_bytes=max_bytes,
        max_rows=max_rows,
        now=now,
    )
    return loader.load_paths(paths)
