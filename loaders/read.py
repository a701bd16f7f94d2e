"""Reading CSV, XLSX and JSON Lines files as rows of text, with the line each came from.

Every cell is read as text: pandas and Excel turn mobile numbers into integers and 18-digit ID
numbers into floats. Where a spreadsheet or JSON value was a number, the row says so, so that
validation can explain what Excel did to an ID number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import repeat
from pathlib import Path
from typing import Any

FORMATS = (".csv", ".xlsx", ".jsonl")


class FileRejected(Exception):
    """The whole file cannot be read; the message says why and how to fix it."""


@dataclass
class RawRow:
    line: int
    cells: dict[str, str]
    numeric: set[str] = field(default_factory=set)  # columns whose value was a number


@dataclass
class BadRow:
    line: int
    reason: str


@dataclass
class Chunk:
    """Consecutive rows of one table, column by column: what the loader validates and writes.

    `cells[j][i]` is the text of column `columns[j]` in row i, which starts at line `lines[i]`.
    `bad` holds the rows that could not be read, each after the number of rows before it in the
    chunk, so that the file's order is kept. `numeric`, when given, says per row which columns
    held a number (XLSX, JSON). `raw`, when given, holds each row as it was read; `irregular`
    names the rows whose cells are not exactly the columns, to be validated as they were read.
    """

    columns: list[str]
    lines: Sequence[int]
    cells: list[list[str]]
    bad: list[tuple[int, BadRow]] = field(default_factory=list)
    numeric: list[set[str]] | None = None
    raw: list[RawRow] | None = None
    irregular: set[int] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.lines)

    def row(self, i: int) -> RawRow:
        """Row i as `TableFile.rows` gives it."""
        if self.raw is not None:
            return self.raw[i]
        cells = {column: cells[i] for column, cells in zip(self.columns, self.cells, strict=True)}
        return RawRow(self.lines[i], cells, self.numeric[i] if self.numeric else set())


def chunk_rows(columns: list[str], rows: Iterable[RawRow | BadRow], size: int) -> Iterator[Chunk]:
    """Rows read one at a time, gathered into chunks of up to `size` rows."""
    keys = dict.fromkeys(columns).keys()
    raw: list[RawRow] = []
    bad: list[tuple[int, BadRow]] = []
    irregular: set[int] = set()

    def chunk() -> Chunk:
        cells = [[r.cells.get(column, "") for r in raw] for column in columns]
        numeric = [r.numeric for r in raw] if any(r.numeric for r in raw) else None
        return Chunk(columns, [r.line for r in raw], cells, bad, numeric, raw, irregular)

    for row in rows:
        if isinstance(row, BadRow):
            bad.append((len(raw), row))
            continue
        if row.cells.keys() != keys:
            irregular.add(len(raw))
        raw.append(row)
        if len(raw) >= size:
            yield chunk()
            raw, bad, irregular = [], [], set()
    if raw or bad:
        yield chunk()


def type_stem(path: Path) -> str:
    """The type a file holds: the last dot-separated part of its name before the extension.

    `330421.people.csv` and `people.csv` both hold `people`.
    """
    return path.name[: -len(path.suffix)].rsplit(".", 1)[-1] if path.suffix else path.name


def decode(data: bytes) -> str:
    """Strict UTF-8 (with or without BOM), then strict GB18030; anything else is refused.

    The order matters: UTF-8 bytes decoded as GBK give mojibake without any error.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise FileRejected(
                f"the file is neither UTF-8 nor GB18030 (byte 0x{data[utf8_error.start]:02x} "
                f"at offset {utf8_error.start}); save it as UTF-8"
            ) from None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:  # no permission, a file that went away, a disk error
        raise FileRejected(f"{path}: cannot be read ({exc.strerror or exc})") from None


class TableFile:
    """One file of rows: its header and, one at a time, its rows or the reason one is bad."""

    def __init__(self, path: Path) -> None:
        self.path = path
        suffix = path.suffix.lower()
        if suffix not in FORMATS:
            raise FileRejected(
                f"{path.name}: {suffix or 'no extension'} is not a format the loader reads; "
                f"use one of {', '.join(FORMATS)}"
            )
        if not path.exists():
            raise FileRejected(f"{path}: no such file")
        if not path.is_file():
            raise FileRejected(f"{path}: not a file")
        if path.stat().st_size == 0:
            raise FileRejected(f"{path.name}: the file is empty; it needs at least a header row")
        self.columns: list[str]
        self._chunks: Callable[[int], Iterator[Chunk]] | None = None
        if suffix == ".csv":
            self.columns, self._chunks = _read_csv(path)
        else:
            read = _read_xlsx if suffix == ".xlsx" else _read_jsonl
            self.columns, rows = read(path)
            self._chunks = lambda size: chunk_rows(self.columns, rows, size)

    def rows(self) -> Iterator[RawRow | BadRow]:
        """The rows one at a time, in the file's order, each good one or why it is bad."""
        for chunk in self.chunks(4096):
            at = 0
            for before, bad in chunk.bad:
                yield from map(chunk.row, range(at, before))
                yield bad
                at = before
            yield from map(chunk.row, range(at, len(chunk)))

    def chunks(self, size: int) -> Iterator[Chunk]:
        """The rows in chunks of up to `size` rows. The file is read once: use `rows` or this."""
        chunks, self._chunks = self._chunks, None
        return iter(()) if chunks is None else chunks(size)


# Characters that end a line for str.splitlines() but not for the csv module.
_OTHER_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_PLAIN_PART = 1 << 20  # characters of a quote-free CSV text split into lines at a time


def _read_csv(path: Path) -> tuple[list[str], Callable[[int], Iterator[Chunk]]]:
    """The header, and a function giving the rows in chunks (to be called once)."""
    text = decode(_read_bytes(path))
    # Without a quote anywhere, every line is one row and every comma ends a cell: the rows can
    # be split without the csv module, a part of the text at a time.
    plain = '"' not in text and not any(ch in text for ch in _OTHER_LINE_BREAKS)
    if plain:
        body = _line_end(text, 0)
        reader = csv.reader([text[:body]] if text else [])
    else:
        reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise FileRejected(f"{path.name}: the file holds no header row") from None
    except csv.Error as exc:
        raise FileRejected(f"{path.name}: no readable header row ({exc})") from None
    columns = [h.strip() for h in header]
    if not any(columns):
        raise FileRejected(f"{path.name}: the first line is empty; it must be the header row")
    if plain:
        return columns, lambda size: _plain_chunks(columns, text, body, size)
    return columns, lambda size: _record_chunks(columns, _csv_records(reader, len(columns)), size)


def _line_end(text: str, start: int) -> int:
    """Where the line that starts at `start` ends, after its line break (\\n, \\r\\n or \\r)."""
    newline = text.find("\n", start)
    cr = text.find("\r", start, None if newline < 0 else newline)
    if cr >= 0:
        return cr + 2 if text.startswith("\n", cr + 1) else cr + 1
    return len(text) if newline < 0 else newline + 1


def _csv_records(reader: Any, width: int) -> Iterator[tuple[int, list[str]] | BadRow]:
    """Each row's first line and cells, or why it cannot be read; blank lines are skipped."""
    line = reader.line_num
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            yield BadRow(start, f"unreadable CSV: {exc}")
            continue
        line = reader.line_num
        if not cells:  # a blank line
            continue
        if len(cells) != width:
            yield BadRow(start, f"the row has {len(cells)} cells, the header {width}")
            continue
        yield start, cells


def _record_chunks(
    columns: list[str], records: Iterator[tuple[int, list[str]] | BadRow], size: int
) -> Iterator[Chunk]:
    lines: list[int] = []
    rows: list[list[str]] = []
    bad: list[tuple[int, BadRow]] = []
    for record in records:
        if isinstance(record, BadRow):
            bad.append((len(rows), record))
            continue
        lines.append(record[0])
        rows.append(record[1])
        if len(rows) >= size:
            yield Chunk(columns, lines, _transpose(rows, len(columns)), bad)
            lines, rows, bad = [], [], []
    if rows or bad:
        yield Chunk(columns, lines, _transpose(rows, len(columns)), bad)


def _transpose(rows: list[list[str]], width: int) -> list[list[str]]:
    return [[row[j] for row in rows] for j in range(width)]


def _plain_chunks(columns: list[str], text: str, start: int, size: int) -> Iterator[Chunk]:
    """The rows of a CSV text that holds no quote, as the csv module reads them, from `start`
    (the beginning of line 2) on: each part of the text is split into lines at once, and
    where every line has as many cells as the header, into cells at once too."""
    width = len(columns)
    line = 2
    while start < len(text):
        end = text.find("\n", start + _PLAIN_PART)
        end = len(text) if end < 0 else end + 1  # a part ends after a \n: at the end of a line
        lines = text[start:end].splitlines()
        start = end
        for at in range(0, len(lines), size):
            yield _plain_chunk(columns, lines[at : at + size], line + at, width)
        line += len(lines)


def _plain_chunk(columns: list[str], part: list[str], first: int, width: int) -> Chunk:
    """Lines `first`, `first` + 1, … of a quote-free CSV text as a chunk of rows."""
    commas = width - 1
    limit = csv.field_size_limit()
    if (
        "" not in part
        and max(map(len, part)) <= limit
        and set(map(str.count, part, repeat(","))) == {commas}
    ):
        cells = ",".join(part).split(",")
        return Chunk(
            columns, range(first, first + len(part)), [cells[j::width] for j in range(width)]
        )
    lines: list[int] = []
    rows: list[list[str]] = []
    bad: list[tuple[int, BadRow]] = []
    for line, text in enumerate(part, start=first):
        if not text:  # a blank line
            continue
        if len(text) <= limit and text.count(",") == commas:
            row = text.split(",")
        else:  # the csv module says what is wrong with the line, as it would have
            try:
                row = next(csv.reader([text]))
            except csv.Error as exc:
                bad.append((len(rows), BadRow(line, f"unreadable CSV: {exc}")))
                continue
            if len(row) != width:
                reason = f"the row has {len(row)} cells, the header {width}"
                bad.append((len(rows), BadRow(line, reason)))
                continue
        lines.append(line)
        rows.append(row)
    return Chunk(columns, lines, _transpose(rows, width), bad)


def _text(value: Any) -> tuple[str, bool]:
    """A spreadsheet or JSON value as text, and whether it was a number."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("true" if value else "false"), False
    if isinstance(value, int):
        return str(value), True
    if isinstance(value, float):
        return (str(int(value)) if value.is_integer() else repr(value)), True
    if isinstance(value, datetime):
        return value.date().isoformat(), False
    if isinstance(value, date):
        return value.isoformat(), False
    return str(value), False


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[RawRow | BadRow]]:
    from openpyxl import load_workbook

    # The whole sheet is read here, before any row is loaded: a workbook that breaks half-way
    # (a damaged sheet's XML, a truncated zip member) is refused whole, not loaded in part, and
    # the file is closed whatever the caller does with the rows.
    try:
        # Opened here, not by openpyxl: a sheet that fails to parse leaves its zip member open
        # inside openpyxl, and only closing the file itself releases it.
        with path.open("rb") as file:
            book = load_workbook(file, read_only=True, data_only=True)
            try:
                sheet = book.worksheets[0]
                # Read-only mode trusts the sheet's recorded size (<dimension ref="A1:C3"/>),
                # which some writers get wrong ("A1"): openpyxl would then give one column of
                # one row, and the rest of the sheet would vanish without an error.
                sheet.reset_dimensions()
                sheet_rows = list(sheet.iter_rows(values_only=True))
            finally:
                book.close()
    except Exception as exc:  # zipfile, zlib, XML and openpyxl's own errors alike
        reason = str(exc) or type(exc).__name__
        raise FileRejected(f"{path.name}: not a readable XLSX workbook ({reason})") from None
    values = iter(sheet_rows)
    header = next(values, None)
    if header is None:
        raise FileRejected(f"{path.name}: the first sheet is empty; it needs a header row")
    columns = [_text(h)[0].strip() for h in header]
    while columns and not columns[-1]:
        columns.pop()

    def rows() -> Iterator[RawRow | BadRow]:
        for line, row in enumerate(values, start=2):
            cells: dict[str, str] = {}
            numeric: set[str] = set()
            extra = [v for v in row[len(columns) :] if v not in (None, "")]
            if extra:
                yield BadRow(line, f"the row has values beyond the header's {len(columns)} columns")
                continue
            for name, value in zip(columns, row, strict=False):
                cells[name], was_number = _text(value)
                if was_number:
                    numeric.add(name)
            if not any(cells.values()):
                continue
            for name in columns[len(row) :]:
                cells[name] = ""
            yield RawRow(line, cells, numeric)

    return columns, rows()


def _read_jsonl(path: Path) -> tuple[list[str], Iterator[RawRow | BadRow]]:
    """The columns are every field any record has, in the order they first appear: a record
    may leave out fields it has no value for, as JSON writers commonly do with nulls."""
    # Records end at "\n" (or "\r\n") only: str.splitlines() would also split at U+2028, U+0085
    # and other characters that JSON allows unescaped inside a string.
    lines = [text.removesuffix("\r") for text in decode(_read_bytes(path)).split("\n")]
    records: list[tuple[int, Any]] = []  # (line, the parsed value or the ValueError)
    fields: dict[str, None] = {}
    for line, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except ValueError as exc:
            records.append((line, exc))
            continue
        if isinstance(record, dict):
            fields.update(dict.fromkeys(record))
        records.append((line, record))
    columns = list(fields)

    def rows() -> Iterator[RawRow | BadRow]:
        for line, record in records:
            if isinstance(record, ValueError):
                yield BadRow(line, f"not valid JSON: {record}")
                continue
            if not isinstance(record, dict):
                yield BadRow(line, "each line must be one JSON object")
                continue
            nested = [k for k, v in record.items() if isinstance(v, dict | list)]
            if nested:
                yield BadRow(line, f"fields {nested} hold objects or lists; give plain values")
                continue
            cells, numeric = {}, set()
            for name in columns:
                cells[name], was_number = _text(record.get(name))
                if was_number:
                    numeric.add(name)
            yield RawRow(line, cells, numeric)

    return columns, rows()
