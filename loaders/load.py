"""Loading files into the graph: every row is loaded, rejected with its reason, or counted
as a duplicate, and a rerun of the same files changes nothing.

Node files are loaded before relationship files, so that a relationship can refer to a node
from any file of the same load. Each batch is one transaction: a killed load leaves whole
batches only, and a rerun upserts the same rows again. A label or type that is empty when the
load meets it is filled through the store's bulk path (COPY); keys are de-duplicated across the
whole load first, so the bulk path never meets a key twice.
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from graph.backend import Backend
from graph.ddl import RID, ident
from graph.schema import SCHEMA, NodeType, RelType, Schema
from loaders.read import BadRow, FileRejected, RawRow, TableFile, type_stem
from loaders.validate import HeaderError, RowValidator

DEFAULT_BATCH_SIZE = 5000
Progress = Callable[[str, int], None]


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

    @property
    def balanced(self) -> bool:
        return self.read == self.loaded + self.rejected + self.duplicates

    def line(self) -> str:
        text = (
            f"{self.file}: read {self.read} = loaded {self.loaded} + rejected {self.rejected}"
            f" + duplicates {self.duplicates}"
        )
        return text + (f" (file refused: {self.error})" if self.error else "")


@dataclass
class LoadReport:
    files: list[FileReport] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

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
    parts = [type_, from_label, str(row["from"]), to_label, str(row["to"])]
    parts += [str(row.get(name)) for name in identity]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()


_NOT_COMPARED = frozenset({"source", "from_type", "to_type"})


def _digest(values: dict[str, Any]) -> int:
    """What two rows with one key are compared by. `source` may differ between files, and the
    endpoint labels are part of a relationship's identity already."""
    return hash(tuple(sorted((k, v) for k, v in values.items() if k not in _NOT_COMPARED)))


_Row = tuple[int, dict[str, Any], int]  # line, values, digest


@dataclass
class _Seen:
    where: str
    digest: int


class Loader:
    def __init__(
        self,
        backend: Backend,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        traditional: bool = False,
        on_progress: Progress | None = None,
        schema: Schema = SCHEMA,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.backend = backend
        self.batch_size = batch_size
        self.traditional = traditional
        self.on_progress = on_progress
        self.schema = schema
        self.report = LoadReport()
        self._nodes: dict[str, dict[Any, _Seen]] = defaultdict(dict)
        self._rejected_nodes: dict[str, dict[Any, str]] = defaultdict(dict)
        self._in_graph: dict[str, set[Any]] = defaultdict(set)
        self._rels: dict[str, _Seen] = {}
        self._bulk: dict[str, bool] = {}

    # -- entry points ---------------------------------------------------------------------

    def load_paths(self, paths: Iterable[Path]) -> LoadReport:
        tables: list[Table] = []
        for path in paths:
            try:
                tables.append(_FileTable(path))
            except FileRejected as exc:
                self._refuse(path.name, str(exc))
        return self.load_tables(tables)

    def load_tables(self, tables: Iterable[Table]) -> LoadReport:
        order = {name: i for i, name in enumerate(self.schema.files)}
        known = [t for t in tables if self._known(t)]
        for table in sorted(known, key=lambda t: order[t.stem]):
            kind = self.schema.by_file(table.stem)
            assert kind is not None
            self._load_table(table, kind)
        return self.report

    # -- one table ------------------------------------------------------------------------

    def _known(self, table: Table) -> bool:
        if self.schema.by_file(table.stem) is not None:
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

    def _load_table(self, table: Table, kind: NodeType | RelType) -> None:
        report = FileReport(table.name)
        self.report.files.append(report)
        try:
            validator = RowValidator(kind, table.columns, traditional=self.traditional)
        except HeaderError as exc:
            # Every row still has to be accounted for: each is rejected for the header's fault.
            for raw in table.rows():
                report.read += 1
                self._reject(report, raw.line, exc.column, "", f"file refused: {exc}")
            report.error = str(exc)
            if report.read == 0:
                self.report.rejects.append(Reject(table.name, 1, exc.column, "", str(exc)))
            return
        present = {*table.columns, "source"}
        if isinstance(kind, NodeType):
            present.add(kind.key)
        batch: list[_Row] = []
        for raw in table.rows():
            report.read += 1
            if isinstance(raw, BadRow):
                self._reject(report, raw.line, "", "", raw.reason)
                continue
            values, problems = validator.validate(raw)
            if problems:
                report.rejected += 1
                for p in problems:
                    self.report.rejects.append(
                        Reject(table.name, raw.line, p.column, p.value, p.reason)
                    )
                if isinstance(kind, NodeType) and values.get(kind.key) is not None:
                    self._rejected_nodes[kind.label][values[kind.key]] = f"{table.name}:{raw.line}"
                continue
            # Only the columns the file has: a file of ids and names must not erase the
            # mobile numbers another file loaded.
            digest = _digest(values)  # over every property, absent ones as empty
            values = {k: v for k, v in values.items() if k in present}
            if values.get("source") is None:
                values["source"] = table.name
            batch.append((raw.line, values, digest))
            if len(batch) >= self.batch_size:
                self._flush(table.name, kind, batch, report)
                batch = []
        if batch:
            self._flush(table.name, kind, batch, report)

    def _reject(self, report: FileReport, line: int, column: str, value: str, reason: str) -> None:
        report.rejected += 1
        self.report.rejects.append(Reject(report.file, line, column, value, reason))

    def _flush(
        self,
        name: str,
        kind: NodeType | RelType,
        batch: list[_Row],
        report: FileReport,
    ) -> None:
        if isinstance(kind, NodeType):
            self._flush_nodes(name, kind, batch, report)
        else:
            self._flush_rels(name, kind, batch, report)
        if self.on_progress:
            self.on_progress(name, len(batch))

    # -- nodes ----------------------------------------------------------------------------

    def _flush_nodes(
        self, name: str, kind: NodeType, batch: list[_Row], report: FileReport
    ) -> None:
        seen = self._nodes[kind.label]
        rows = []
        for line, values, digest in batch:
            key = values[kind.key]
            earlier = seen.get(key)
            if earlier is None:
                seen[key] = _Seen(f"{name}:{line}", digest)
                rows.append(values)
            elif earlier.digest == digest:
                report.duplicates += 1
            else:
                self._reject(
                    report,
                    line,
                    kind.key,
                    str(key),
                    f"{kind.label} {key!r} was already given at {earlier.where} with other values",
                )
        if kind.label not in self._bulk:
            self._bulk[kind.label] = self.backend.is_empty(kind.label)
        self.backend.upsert_nodes(kind, rows, bulk=self._bulk[kind.label])
        report.loaded += len(rows)

    # -- relationships --------------------------------------------------------------------

    def _endpoints(self, kind: RelType, values: dict[str, Any]) -> tuple[str, str] | str:
        """The (from, to) labels of a row, or why they are wrong."""
        from_label = values.get("from_type") or kind.endpoints[0][0]
        to_label = values.get("to_type") or kind.endpoints[0][1]
        if (from_label, to_label) not in kind.endpoints:
            pairs = ", ".join(f"{a}→{b}" for a, b in kind.endpoints)
            return f"{kind.type} does not join {from_label}→{to_label}; it joins {pairs}"
        return from_label, to_label

    def _flush_rels(self, name: str, kind: RelType, batch: list[_Row], report: FileReport) -> None:
        labelled = []
        for line, values, digest in batch:
            labels = self._endpoints(kind, values)
            if isinstance(labels, str):
                known_from = {a for a, _ in kind.endpoints}
                column = "to_type" if values.get("from_type") in known_from else "from_type"
                if values.get(column) is None:
                    column = "from_type" if column == "to_type" else "to_type"
                self._reject(report, line, column, str(values.get(column) or ""), labels)
            else:
                labelled.append((line, values, labels, digest))
        self._look_up_in_graph(labelled)
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for line, values, (a, b), digest in labelled:
            problem = self._unresolved(a, values["from"], "from") or self._unresolved(
                b, values["to"], "to"
            )
            if problem:
                column, reason = problem
                self._reject(report, line, column, str(values[column]), reason)
                continue
            rid = relationship_id(kind.type, a, b, values)
            earlier = self._rels.get(rid)
            if earlier is None:
                self._rels[rid] = _Seen(f"{name}:{line}", digest)
                row = {"from": values["from"], "to": values["to"], RID: rid}
                row.update((p.name, values[p.name]) for p in kind.properties if p.name in values)
                groups[(a, b)].append(row)
            elif earlier.digest == digest:
                report.duplicates += 1
            else:
                self._reject(
                    report,
                    line,
                    "",
                    "",
                    f"the same {kind.type} was already given at {earlier.where} with other values",
                )
        if kind.type not in self._bulk:
            self._bulk[kind.type] = self.backend.is_empty(kind.type)
        self.backend.upsert_rels(kind, groups, bulk=self._bulk[kind.type])
        report.loaded += sum(len(rows) for rows in groups.values())

    def _look_up_in_graph(
        self, labelled: list[tuple[int, dict[str, Any], tuple[str, str], int]]
    ) -> None:
        """Ask the graph, one query per label, for endpoint keys this load has not seen."""
        wanted: dict[str, set[Any]] = defaultdict(set)
        for _, values, (a, b), _ in labelled:
            for label, key in ((a, values["from"]), (b, values["to"])):
                if key not in self._nodes[label] and key not in self._in_graph[label]:
                    wanted[label].add(key)
        for label, keys in wanted.items():
            key_name = ident(self.schema.node(label).key)
            query = (
                "UNWIND $keys AS k MATCH (n:" + ident(label) + " {" + key_name + ": k}) "
                "RETURN n." + key_name + " AS key"
            )
            found = self.backend.read(query, {"keys": sorted(keys)})
            self._in_graph[label].update(r["key"] for r in found)

    def _unresolved(self, label: str, key: Any, column: str) -> tuple[str, str] | None:
        if key in self._nodes[label] or key in self._in_graph[label]:
            return None
        rejected_at = self._rejected_nodes[label].get(key)
        if rejected_at:
            return column, f"refers to {label} {key!r}, which was rejected at {rejected_at}"
        return column, f"refers to {label} {key!r}, which is neither in this load nor in the graph"


class _FileTable:
    def __init__(self, path: Path) -> None:
        self._file = TableFile(path)
        self.name = path.name
        self.stem = type_stem(path)
        self.columns = self._file.columns

    def rows(self) -> Iterator[RawRow | BadRow]:
        return self._file.rows()


def load(
    backend: Backend,
    paths: Iterable[Path],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    traditional: bool = False,
    on_progress: Progress | None = None,
) -> LoadReport:
    """Load files into the graph. Returns the per-file reconciliation and every reject."""
    loader = Loader(
        backend, batch_size=batch_size, traditional=traditional, on_progress=on_progress
    )
    return loader.load_paths(paths)
