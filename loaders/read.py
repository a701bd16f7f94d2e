"""Reading CSV, XLSX and JSON Lines files as rows of text, with the line each came from.

Every cell is read as text: pandas and Excel turn mobile numbers into integers and 18-digit ID
numbers into floats. Where a spreadsheet or JSON value was a number, the row says so, so that
validation can explain what Excel did to an ID number.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import repeat
from pathlib import Path
from typing import Any, BinaryIO

FORMATS = (".csv", ".xlsx", ".jsonl")


class FileRejected(Exception):
    """The whole file cannot be read; the message says why and how to fix it."""


@dataclass
class RawRow:
    line: int
    cells: dict[str, str]
    numeric: set[str] = field(default_factory=set)  # columns whose value was a number
    decimal: set[str] = field(default_factory=set)  # … a decimal number, such as 1001.0


@dataclass
class BadRow:
    line: int
    reason: str
    column: str = ""  # the column at fault, when one is


@dataclass
class Lines:
    """How a file's physical lines were used (XLSX: its sheet's rows): every line is the
    header, blank, the first line of a row read, or a further line of a row whose free text
    spans lines. A record spanning lines that is not free text is rejected line by line, each
    line a row read."""

    total: int = 0
    header: int = 1
    blank: int = 0
    within: int = 0  # lines after the first of rows that span lines

    @property
    def rows(self) -> int:
        """The rows read, as the lines say."""
        return self.total - self.header - self.blank - self.within


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


_CHINESE = re.compile(r"[\u3400-\u9fff]")


def decode(data: bytes) -> str:
    """UTF-16 with its byte-order mark (Excel's "Unicode text"), strict UTF-8 (with or without
    BOM), then strict GB18030; anything else is refused.

    The order matters: UTF-8 bytes decoded as GBK give mojibake without any error, and so do
    Big5 bytes (traditional Chinese) decoded as GB18030: those are told by what they give,
    mostly characters outside GB2312's 6,763 common ones, and refused, as the encoding cannot
    be known.
    """
    return _decoded(data)[0]


def _decoded(data: bytes) -> tuple[str, str]:
    """`decode`'s text, and the codec that gave it."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise FileRejected(
                f"the file starts with a UTF-16 byte-order mark but is not UTF-16 (at byte "
                f"{exc.start}); save it as UTF-8"
            ) from None
    try:
        return data.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise FileRejected(
                f"the file is neither UTF-8 nor GB18030 (byte 0x{data[utf8_error.start]:02x} "
                f"at offset {utf8_error.start}); save it as UTF-8"
            ) from None
    if _maybe_big5(data, text):
        raise FileRejected(
            "the file is not UTF-8, and read as GB18030 (GBK) it gives mostly rare characters "
            f"({text_sample(text)}): it is probably Big5 (traditional Chinese), an encoding "
            "that cannot be told apart from GBK for sure; save it as UTF-8"
        )
    return text, "gb18030"


def _maybe_big5(data: bytes, text: str) -> bool:
    """Whether GB18030 `text` is more likely Big5 `data` misread: the bytes are Big5 too, and
    fewer than 80% of the Chinese characters read are in GB2312 (genuine GBK text has above
    90% even with rare names in it; misread Big5 about 60%)."""
    chinese = _CHINESE.findall(text)
    if not chinese:
        return False
    try:
        data.decode("big5")
    except UnicodeDecodeError:
        return False
    common = sum(1 for ch in chinese if _in_gb2312(ch))
    return common < 0.8 * len(chinese)


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def text_sample(text: str) -> str:
    """The first few Chinese characters of `text`, to show what a reading gave."""
    return "".join(_CHINESE.findall(text)[:8])


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:  # no permission, a file that went away, a disk error
        raise FileRejected(f"{path}: cannot be read ({exc.strerror or exc})") from None


MAX_BYTES = 1 << 30  # the largest file the loader reads by default: 1 GiB
MAX_ROWS = 10_000_000  # the most lines (sheet rows) of one file by default


class TableFile:
    """One file of rows: its header and, one at a time, its rows or the reason one is bad.

    `free_text` names the columns whose cells may span lines (a quoted CSV cell with a line
    break); anywhere else a record spanning lines is a misplaced quote that would merge rows,
    and each of its lines is rejected. `lines` accounts for every line once the rows are read.
    A file larger than `max_bytes`, or of more than `max_rows` lines, is refused whole.
    """

    def __init__(
        self,
        path: Path,
        *,
        free_text: Collection[str] = (),
        max_bytes: int = MAX_BYTES,
        max_rows: int = MAX_ROWS,
    ) -> None:
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
        size = path.stat().st_size
        if size == 0:
            raise FileRejected(f"{path.name}: the file is empty; it needs at least a header row")
        if size > max_bytes:
            raise FileRejected(
                f"{path.name}: {size:,} bytes, more than the {max_bytes:,} a file may have "
                "(GOVGRAPH_LOAD_MAX_BYTES); split it into several files of the same type"
            )
        self.columns: list[str]
        self.lines = Lines()
        self._chunks: Callable[[int], Iterator[Chunk]] | None = None
        self._digest: str | None = None
        if suffix == ".csv":
            self.columns, self._digest, self._chunks = _read_csv(path, set(free_text), self.lines)
        else:
            read = _read_xlsx if suffix == ".xlsx" else _read_jsonl
            self.columns, rows = read(path, self.lines)
            self._chunks = lambda size: chunk_rows(self.columns, rows, size)
        if self.lines.total - self.lines.header > max_rows:
            raise FileRejected(
                f"{path.name}: {self.lines.total - self.lines.header:,} lines after the header, "
                f"more than the {max_rows:,} a file may have (GOVGRAPH_LOAD_MAX_ROWS); split it "
                "into several files of the same type"
            )

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
        """The rows in chunks of up to `size` rows. The file is read once: use `rows` or this.
        A CSV file is read again here, and refused (FileRejected) if it changed since."""
        chunks, self._chunks = self._chunks, None
        return iter(()) if chunks is None else chunks(size)

    def digest(self) -> str:
        """The sha256 of the file's bytes, as they were read."""
        if self._digest is None:
            with self.path.open("rb") as f:
                self._digest = hashlib.file_digest(f, "sha256").hexdigest()
        return self._digest


# Characters that end a line for str.splitlines() but not for the csv module.
_OTHER_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_PART_BYTES = 1 << 20  # bytes of a file decoded at a time, as its rows are read


def _read_csv(
    path: Path, free_text: set[str], lines: Lines
) -> tuple[list[str], str, Callable[[int], Iterator[Chunk]]]:
    """The header, the sha256 of the file's bytes, and a function giving the rows in chunks
    (to be called once).

    The file is read through here, to be refused before any row is loaded if it must be, and
    again by that function when its rows are wanted: a load reads every file first, and
    keeping each text from then on would hold all of them in memory until the load reached
    the last. Both readings take its bytes a part at a time (`_blocks`), decoded as they come
    (`_parts`): neither holds the file's bytes or text whole (the city's log of 243 MiB is 480
    MiB of text; its bytes, held while its rows were read, were a quarter of a first load's
    peak), but for the first reading of a file that is not UTF-8, read and decoded whole. The
    rows' reading takes the file's digest before its first row and again as it reads: a file
    written over in place meanwhile is refused at its end (FileRejected)."""
    found = _scanned(path)
    if found is None:  # not UTF-8 (or an unreadable part of it): told from the whole text
        data = _read_bytes(path)
        text, codec = _decoded(data)
        found = _Scan(hashlib.sha256(data).hexdigest(), codec)
        found.look(text)
        # UTF-8 and GB18030 never use the bytes of \n and \r within a character: their bytes
        # are counted, faster than the text's characters once one is Chinese
        found.total = _count_lines(text) if codec == "utf-16" else _count_byte_lines(data)
        del text, data
    digest, codec = found.digest, found.codec
    # Without a quote anywhere, every line is one row and every comma ends a cell: the rows can
    # be split without the csv module, a part of the text at a time.
    breaks, plain, escaped = found.breaks, not found.quote and not found.breaks, found.apostrophe
    lines.total = found.total
    with path.open("rb") as stream:
        columns, _ = _csv_header(path, _parts(_blocks(stream, path), codec), plain)

    def chunks(size: int) -> Iterator[Chunk]:
        try:
            stream = path.open("rb")
            changed = hashlib.file_digest(stream, "sha256").hexdigest() != digest
            stream.seek(0)
        except OSError as exc:  # gone, no longer readable
            raise FileRejected(f"{path}: cannot be read ({exc.strerror or exc})") from None
        if changed:
            stream.close()
            raise FileRejected(
                f"{path.name}: the file changed while the load was reading it; load it again"
            )
        _, body = _csv_header(path, _parts(_blocks(stream, path, digest), codec), plain)
        if plain:
            read = _plain_chunks(columns, body, size, lines)
        else:
            split = _split_lines if breaks else _splitlines
            read = _quoted_chunks(columns, body, size, free_text, lines, split)
        return map(_unescaped, read) if escaped else read

    return columns, digest, chunks


@dataclass
class _Scan:
    """What the first reading of a CSV file found: its digest and codec, its lines, and
    whether its text holds a quote, an apostrophe, or a line break the csv module does not
    take for one."""

    digest: str
    codec: str
    total: int = 0
    quote: bool = False
    apostrophe: bool = False
    breaks: bool = False

    def look(self, text: str) -> None:
        self.quote = self.quote or '"' in text
        self.apostrophe = self.apostrophe or "'" in text
        self.breaks = self.breaks or any(ch in text for ch in _OTHER_LINE_BREAKS)


def _scanned(path: Path) -> _Scan | None:
    """The first reading of a UTF-8 file, a part of its bytes at a time; None when it is not
    UTF-8 (a UTF-16 byte-order mark is not either), to be read whole."""
    hasher = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    found = _Scan("", "utf-8-sig")
    ends = 0  # line breaks: each \n, each \r not followed by \n
    last = b""
    try:
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(_PART_BYTES), b""):
                hasher.update(block)
                found.look(decoder.decode(block))
                ends += block.count(b"\n") + block.count(b"\r") - block.count(b"\r\n")
                if last == b"\r" and block.startswith(b"\n"):  # a \r\n across two parts
                    ends -= 1
                last = block[-1:]
            decoder.decode(b"", True)
    except UnicodeDecodeError:
        return None
    except OSError as exc:  # no permission, a file that went away, a disk error
        raise FileRejected(f"{path}: cannot be read ({exc.strerror or exc})") from None
    found.digest = hasher.hexdigest()
    found.total = ends + (0 if last in (b"\n", b"\r") else 1)
    return found


def _blocks(stream: BinaryIO, path: Path, digest: str | None = None) -> Iterator[bytes]:
    """The bytes of an open file a part at a time, the file closed when they end; with a
    `digest`, the file refused (FileRejected) at its end if what was read is not what it
    names: it changed while its rows were read."""
    hasher = hashlib.sha256()
    with stream:
        try:
            for block in iter(lambda: stream.read(_PART_BYTES), b""):
                hasher.update(block)
                yield block
        except OSError as exc:
            raise FileRejected(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if digest is not None and hasher.hexdigest() != digest:
        raise FileRejected(
            f"{path.name}: the file changed while the load was reading it; load it again"
        )


def _parts(blocks: Iterable[bytes], codec: str) -> Iterator[str]:
    """The text of the bytes `blocks` give, a part at a time, each part ending after a line
    break (the last at the end of the text): no line, and no \\r\\n, is split between two."""
    decoder = codecs.getincrementaldecoder(codec)()
    pending: list[str] = []
    for block in itertools.chain(blocks, [b""]):
        text = decoder.decode(block, not block)
        # after the last \n, or the last \r that is not the text's last character (which the
        # next part's \n may follow)
        end = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1
        if end:
            pending.append(text[:end])
            yield "".join(pending)
            pending = [text[end:]]
        else:
            pending.append(text)
    rest = "".join(pending)
    if rest:
        yield rest


def _csv_header(path: Path, parts: Iterator[str], plain: bool) -> tuple[list[str], Iterator[str]]:
    """The columns of a CSV text given in `parts`, and the text's parts from line 2 on."""
    first = next(parts, "")
    body = _line_end(first, 0)
    if plain:
        reader = csv.reader([first[:body]] if first else [])
    else:
        # strict: a quote closed before the cell ends (`"王"五`) is an error, not `王五`. A quote
        # left open at the first line's end takes in the lines after it, which refuses the file;
        # otherwise the reader takes the first part alone.
        reader = csv.reader(_lines(itertools.chain([first], parts)), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise FileRejected(f"{path.name}: the file holds no header row") from None
    except csv.Error as exc:
        raise FileRejected(f"{path.name}: no readable header row ({exc})") from None
    if reader.line_num > 1:
        raise FileRejected(
            f"{path.name}: the header spans lines 1–{reader.line_num}; a quote in it is "
            "misplaced, or a column name holds a line break"
        )
    columns = [h.strip() for h in header]
    if not any(columns):
        raise FileRejected(f"{path.name}: the first line is empty; it must be the header row")
    return columns, itertools.chain([first[body:]], parts)


def _lines(parts: Iterable[str]) -> Iterator[str]:
    """The lines of a CSV text given in parts that each end after a line break, as a csv reader
    meets them in `io.StringIO(text, newline="")` (each with its \\n, \\r\\n or \\r), a part at a
    time: a StringIO of the whole text holds it at four bytes a character (+960 MiB for the
    city's log, for as long as its rows were read)."""
    for part in parts:
        yield from io.StringIO(part, newline="")


# An apostrophe before text that starts like a formula: Excel's mark of text, and what
# govgraph's CSV export writes there (loaders.export._cell). One apostrophe is taken off.
_ESCAPED = re.compile(r"''*[=+\-@\t\r]")


def _unescaped(chunk: Chunk) -> Chunk:
    for j, cells in enumerate(chunk.cells):
        if any(cell.startswith("'") for cell in cells):
            chunk.cells[j] = [cell[1:] if _ESCAPED.match(cell) else cell for cell in cells]
    return chunk


def _count_lines(text: str) -> int:
    """The lines of a CSV text as the csv module meets them: each ends at \n, \r\n or \r."""
    ends = text.count("\n") + text.count("\r") - text.count("\r\n")
    return ends + (0 if text.endswith(("\n", "\r")) else 1)


def _count_byte_lines(data: bytes) -> int:
    """`_count_lines` of a text's bytes, in UTF-8 or GB18030."""
    ends = data.count(b"\n")
    if b"\r" in data:
        ends += data.count(b"\r") - data.count(b"\r\n")
    return ends + (0 if data.endswith((b"\n", b"\r")) else 1)


def _line_end(text: str, start: int) -> int:
    """Where the line that starts at `start` ends, after its line break (\\n, \\r\\n or \\r)."""
    newline = text.find("\n", start)
    cr = text.find("\r", start, None if newline < 0 else newline)
    if cr >= 0:
        return cr + 2 if text.startswith("\n", cr + 1) else cr + 1
    return len(text) if newline < 0 else newline + 1


def _csv_records(
    reader: Any, columns: list[str], free_text: set[str], lines: Lines, before: int
) -> Iterator[tuple[int, list[str]] | BadRow]:
    """Each row's first line and cells, or why it cannot be read; blank lines are counted and
    skipped. A record that spans lines is a row only when every cell holding a line break is
    free text; otherwise each of its lines is rejected, and so counted, on its own. `reader`
    reads the text after its line `before`."""
    width = len(columns)
    line = before + reader.line_num
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = before + reader.line_num
            yield from _spanned(start, line, f"unreadable CSV: {exc}")
            continue
        line = before + reader.line_num
        if not cells:  # a blank line
            lines.blank += 1
            continue
        if len(cells) != width:
            yield from _spanned(start, line, f"the row has {len(cells)} cells, the header {width}")
            continue
        if line > start:
            broken = [
                c for c, cell in zip(columns, cells, strict=True) if "\n" in cell or "\r" in cell
            ]
            fixed = [c for c in broken if c not in free_text]
            if fixed:
                free = f" (only free text may: {', '.join(sorted(free_text))})" if free_text else ""
                reason = f"the {fixed[0]} cell holds a line break{free}"
                yield from _spanned(start, line, reason, fixed[0])
                continue
            lines.within += line - start
        yield start, cells


def _spanned(start: int, end: int, reason: str, column: str = "") -> Iterator[BadRow]:
    """A record that cannot be read, rejected once for each line it covers."""
    if start == end:
        yield BadRow(start, reason, column)
        return
    why = (
        f"lines {start}–{end} read as one record: {reason}; a quote on line {start} is "
        'probably missing, extra or not doubled (write "" for a quote inside a quoted cell)'
    )
    for line in range(start, end + 1):
        yield BadRow(line, why, column)


def _split_lines(text: str) -> list[str]:
    """The lines of a CSV text as the csv module meets them, each with its line break."""
    return list(io.StringIO(text, newline=""))


def _splitlines(text: str) -> list[str]:
    """`_split_lines` of a text that holds none of `_OTHER_LINE_BREAKS`, faster."""
    return text.splitlines(keepends=True)


def _quoted_chunks(
    columns: list[str],
    parts: Iterable[str],
    size: int,
    free_text: set[str],
    lines: Lines,
    split: Callable[[str], list[str]],
) -> Iterator[Chunk]:
    """The rows of a CSV text that holds quotes, given in parts from line 2 on (each ending
    after a line break), each split into its lines by `split`. A part is read by one csv reader
    at once where every line of it is a record of its own (a quoted cell holds no line break,
    none is unreadable); from the first part that is not, the rest of the text a record at a
    time (`_csv_records`), as the csv module reads it either way."""
    width = len(columns)
    line = 2
    gathered = _Gathered(columns, size)
    parts = iter(parts)
    for text in parts:
        part = split(text)
        try:
            records = list(csv.reader(part, strict=True))
        except csv.Error:
            records = []
        if len(records) != len(part):
            rest = csv.reader(_lines(itertools.chain([text], parts)), strict=True)
            for record in _csv_records(rest, columns, free_text, lines, line - 1):
                if isinstance(record, BadRow):
                    gathered.bad.append((len(gathered.rows), record))
                else:
                    gathered.lines.append(record[0])
                    gathered.rows.append(record[1])
                    if len(gathered.rows) >= size:
                        yield gathered.chunk()
            break
        if set(map(len, records)) == {width}:
            gathered.lines.extend(range(line, line + len(records)))
            gathered.rows.extend(records)
        else:  # blank lines, rows of other widths
            for at, cells in enumerate(records, start=line):
                if not cells:
                    lines.blank += 1
                elif len(cells) != width:
                    reason = f"the row has {len(cells)} cells, the header {width}"
                    gathered.bad.append((len(gathered.rows), BadRow(at, reason)))
                else:
                    gathered.lines.append(at)
                    gathered.rows.append(cells)
        line += len(records)
        while len(gathered.rows) >= size:
            yield gathered.chunk()
    if gathered.rows or gathered.bad:
        yield gathered.chunk(last=True)


class _Gathered:
    """Rows gathered for chunks of up to `size` rows: each row's line and cells, and the bad
    rows each after the number of rows before it."""

    def __init__(self, columns: list[str], size: int) -> None:
        self.columns, self.size = columns, size
        self.lines: list[int] = []
        self.rows: list[list[str]] = []
        self.bad: list[tuple[int, BadRow]] = []

    def chunk(self, last: bool = False) -> Chunk:
        """A chunk of the first `size` rows gathered and the bad rows before the next, or
        (`last`) of all that is gathered; what it holds is let go."""
        size = self.size
        bad = self.bad if last else [(before, row) for before, row in self.bad if before < size]
        self.bad = [(before - size, row) for before, row in self.bad[len(bad) :]]
        rows, self.rows = self.rows[:size], self.rows[size:]
        lines, self.lines = self.lines[:size], self.lines[size:]
        return Chunk(self.columns, lines, _transpose(rows, len(self.columns)), bad)


def _transpose(rows: list[list[str]], width: int) -> list[list[str]]:
    return [[row[j] for row in rows] for j in range(width)]


def _plain_chunks(
    columns: list[str], parts: Iterable[str], size: int, lines: Lines
) -> Iterator[Chunk]:
    """The rows of a CSV text that holds no quote, as the csv module reads them, given in
    parts from line 2 on (each ending after a \n): each part is split into lines at once, and
    where every line has as many cells as the header, into cells at once too."""
    width = len(columns)
    line = 2
    for text in parts:
        part = text.splitlines()
        lines.blank += part.count("")
        for at in range(0, len(part), size):
            yield _plain_chunk(columns, part[at : at + size], line + at, width)
        line += len(part)


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


def _cells(
    columns: list[str], values: Iterable[tuple[str, Any]]
) -> tuple[dict[str, str], set[str], set[str]]:
    """A row's cells as text, the columns that held a number, and those that held a decimal
    number (1001.0), which a key must not be: its text would be a guess."""
    cells = dict.fromkeys(columns, "")
    numeric: set[str] = set()
    decimal: set[str] = set()
    for name, value in values:
        cells[name], was_number = _text(value)
        if was_number:
            numeric.add(name)
            if isinstance(value, float):
                decimal.add(name)
    return cells, numeric, decimal


def _read_xlsx(path: Path, lines: Lines) -> tuple[list[str], Iterator[RawRow | BadRow]]:
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
                sheets = book.worksheets
                sheet = _Sheet(book, sheets[0]) if sheets else None
                others = [ws.title for ws in sheets[1:] if _holds_values(ws)]
            finally:
                book.close()
    except Exception as exc:  # zipfile, zlib, XML and openpyxl's own errors alike
        reason = str(exc) or type(exc).__name__
        raise FileRejected(f"{path.name}: not a readable XLSX workbook ({reason})") from None
    if others:
        raise FileRejected(
            f"{path.name}: the workbook holds {len(others) + 1} sheets with values (also "
            f"{', '.join(others)}); the loader reads one sheet per file: save each sheet as a "
            "file of its own, named for the type it holds"
        )
    if sheet is None or not sheet.rows:
        raise FileRejected(f"{path.name}: the first sheet is empty; it needs a header row")
    header_merge = [ref for ref, first, _ in sheet.merged if first == 1]
    if header_merge:
        raise FileRejected(f"{path.name}: header cells {header_merge[0]} are merged; unmerge them")
    columns = [_text(h)[0].strip() for h in sheet.rows[0]]
    while columns and not columns[-1]:
        columns.pop()
    lines.total = len(sheet.rows)
    # Why a row cannot be read as it shows: a merge (its value shows in the first cell only)
    # or a formula whose value was never saved (openpyxl reads it as empty).
    broken: dict[int, tuple[str, str]] = {}
    for ref, first, last in sheet.merged:
        for line in range(first, last + 1):
            broken.setdefault(
                line,
                (
                    "",
                    f"cells {ref} are merged: the value shows once but stands for every cell of "
                    "the merge, which the file leaves empty; unmerge them and fill every cell",
                ),
            )
    for line, column, coordinate in sheet.uncached:
        broken.setdefault(
            line,
            (
                columns[column - 1] if column <= len(columns) else "",
                f"cell {coordinate} holds a formula whose value was never saved; open the file "
                "in Excel and save it again, or paste the values in place of the formulas",
            ),
        )

    def rows() -> Iterator[RawRow | BadRow]:
        for line, row in enumerate(sheet.rows[1:], start=2):
            if line in broken:
                column, reason = broken[line]
                yield BadRow(line, reason, column)
                continue
            extra = [v for v in row[len(columns) :] if v not in (None, "")]
            if extra:
                yield BadRow(line, f"the row has values beyond the header's {len(columns)} columns")
                continue
            cells, numeric, decimal = _cells(columns, zip(columns, row, strict=False))
            if not any(cells.values()):
                lines.blank += 1
                continue
            yield RawRow(line, cells, numeric, decimal)

    return columns, rows()


class _Sheet:
    """A sheet's rows of values (from row 1, empty rows as ()), its merged ranges as (ref,
    first row, last row), and its formulas without a saved value as (row, column, cell).

    Read with openpyxl's sheet parser rather than its read-only sheet, which throws away both
    the merges and which cells were formulas; the sheet's recorded size (<dimension>), which
    some writers get wrong, is not used at all.
    """

    def __init__(self, book: Any, sheet: Any) -> None:
        from openpyxl.utils import range_boundaries
        from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

        uncached: list[tuple[int, int, str]] = []

        class Parser(WorkSheetParser):  # type: ignore[misc]
            def parse_cell(self, element: Any) -> dict[str, Any]:
                cell: dict[str, Any] = super().parse_cell(element)
                if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                    coordinate = element.get("r") or f"row {cell['row']}"
                    uncached.append((cell["row"], cell["column"], coordinate))
                return cell

        self.rows: list[tuple[Any, ...]] = []
        with book._archive.open(sheet._worksheet_path) as source:
            parser = Parser(
                source,
                book.shared_strings,
                data_only=True,
                epoch=book.epoch,
                date_formats=book._date_formats,
                timedelta_formats=book._timedelta_formats,
            )
            for index, cells in parser.parse():
                self.rows.extend([()] * (index - 1 - len(self.rows)))
                width = max((c["column"] for c in cells), default=0)
                values: list[Any] = [None] * width
                for c in cells:
                    values[c["column"] - 1] = c["value"]
                self.rows.append(tuple(values))
        while self.rows and not any(v not in (None, "") for v in self.rows[-1]):
            self.rows.pop()  # rows of formatting only, after the last value
        self.uncached = uncached
        self.merged: list[tuple[str, int, int]] = []
        for merge in parser.merged_cells.mergeCell if parser.merged_cells else ():
            _, first, _, last = range_boundaries(merge.ref)
            self.merged.append((merge.ref, first, last))


def _holds_values(sheet: Any) -> bool:
    sheet.reset_dimensions()
    return any(v not in (None, "") for row in sheet.iter_rows(values_only=True) for v in row)


def _read_jsonl(path: Path, lines: Lines) -> tuple[list[str], Iterator[RawRow | BadRow]]:
    """The columns are every field any record has, in the order they first appear: a record
    may leave out fields it has no value for, as JSON writers commonly do with nulls."""
    # Records end at "\n" (or "\r\n") only: str.splitlines() would also split at U+2028, U+0085
    # and other characters that JSON allows unescaped inside a string.
    texts = [text.removesuffix("\r") for text in decode(_read_bytes(path)).split("\n")]
    if texts and texts[-1] == "":
        texts.pop()  # the end of the last line
    lines.total, lines.header = len(texts), 0
    records: list[tuple[int, Any]] = []  # (line, the parsed value or the ValueError)
    fields: dict[str, None] = {}
    for line, text in enumerate(texts, start=1):
        if not text.strip():
            lines.blank += 1
            continue
        try:
            record = json.loads(text, parse_constant=_not_json)
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
            yield RawRow(line, *_cells(columns, ((n, record.get(n)) for n in columns)))

    return columns, rows()


def _not_json(name: str) -> Any:
    """NaN, Infinity and -Infinity, which Python's json module accepts and JSON does not."""
    raise ValueError(f"{name} is not a JSON value; write null for a missing value")
