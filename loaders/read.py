"""Reading CSV, XLSX and JSON Lines files as rows of text, with the line each came from.

Every cell is read as text: pandas and Excel turn mobile numbers into integers and 18-digit ID
numbers into floats. Where a spreadsheet or JSON value was a number, the row says so, so that
validation can explain what Excel did to an ID number.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
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
        self._rows: Iterator[RawRow | BadRow]
        if suffix == ".csv":
            self.columns, self._rows = _read_csv(path)
        elif suffix == ".xlsx":
            self.columns, self._rows = _read_xlsx(path)
        else:
            self.columns, self._rows = _read_jsonl(path)

    def rows(self) -> Iterator[RawRow | BadRow]:
        return self._rows


def _read_csv(path: Path) -> tuple[list[str], Iterator[RawRow | BadRow]]:
    reader = csv.reader(io.StringIO(decode(_read_bytes(path)), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise FileRejected(f"{path.name}: the file holds no header row") from None
    except csv.Error as exc:
        raise FileRejected(f"{path.name}: no readable header row ({exc})") from None
    columns = [h.strip() for h in header]
    if not any(columns):
        raise FileRejected(f"{path.name}: the first line is empty; it must be the header row")

    def rows() -> Iterator[RawRow | BadRow]:
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
            if len(cells) != len(columns):
                yield BadRow(start, f"the row has {len(cells)} cells, the header {len(columns)}")
                continue
            yield RawRow(start, dict(zip(columns, cells, strict=True)))

    return columns, rows()


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
