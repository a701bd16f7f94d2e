"""Validating rows of text against the schema, and turning them into typed values.

The rules come from `graph.schema`: types, required fields, lengths, enumerations, ranges and
the checks on ID numbers, mobile numbers and division codes. Each problem names its column.
Values are taken as people write them in Chinese (`loaders.chinese`): a choice by its Chinese
name (网格长, 男), dates such as 2021年3月1日, mobile numbers with +86 and spaces, and, given a
vocabulary, a category or a place by name where a relationship's endpoint is a Domain or a Unit.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from itertools import repeat
from typing import Any

import numpy as np

from graph.schema import Check, NodeType, Property, RelType, Type
from loaders.checks import DIVISION_CODE, MOBILE, id_number_problem
from loaders.chinese import LOOKED_UP, Vocabulary, choice, looked_up, mobile, parse_date
from loaders.normalise import half_width, half_width_all, looks_like_mojibake, simplified
from loaders.read import Chunk, RawRow

_INT = re.compile(r"[+-]?\d+")
_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")
_TRUE = {"true", "1", "yes", "y", "是", "t"}
_FALSE = {"false", "0", "no", "n", "否", "f"}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
ENDPOINT_COLUMNS = ("from", "to", "from_type", "to_type")


class HeaderError(ValueError):
    """The header does not fit the type: a required column is missing or one is unknown."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column


@dataclass(frozen=True)
class CellProblem:
    column: str
    value: str
    reason: str


@dataclass
class CheckedChunk:
    """A chunk validated column by column.

    `values[column][i]` is row i's typed value, as `RowValidator.validate` gives it, for every
    row not in `problems`. A row that a column check could not pass at once was validated
    whole: `problems` holds those that have problems, with their values and problems as
    `validate` gives them, and `whole` the values of those that turned out good.
    """

    values: dict[str, list[Any]]
    problems: dict[int, tuple[dict[str, Any], list[CellProblem]]]
    whole: dict[int, dict[str, Any]]


class _Bad:
    """In a column of values: the cell has a problem."""


_BAD = _Bad()
# Two Chinese characters on one line: what UTF-8 read as GBK must have (looks_like_mojibake).
_TWO_CHINESE = re.compile("[\u4e00-\u9fff][^\n]*[\u4e00-\u9fff]")
_ID_FORMAT = re.compile("[0-9]{17}[0-9X]")


def _lines_of(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """Lines that each match `pattern` in full."""
    return re.compile(f"(?:{pattern.pattern})(?:\n(?:{pattern.pattern}))*")


_PATTERN_LINES = {
    Check.ID_NUMBER: _lines_of(_ID_FORMAT),
    Check.MOBILE: _lines_of(MOBILE),
    Check.DIVISION_CODE: _lines_of(DIVISION_CODE),
}
_FORMAT_WIDTH = {Check.ID_NUMBER: 18, Check.MOBILE: 11, Check.DIVISION_CODE: 12}  # the most
# characters a value of each format has: where a column's maximum is more, it need not count


_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
# The check digit's value (X: 10) for each remainder of the weighted sum modulo 11 (GB 11643).
_ID_CHECK_VALUES = np.array([1, 0, 10, 9, 8, 7, 6, 5, 4, 3, 2], dtype=np.int64)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _real_id_numbers(joined: str, count: int) -> bool:
    """Whether `count` lines of 17 digits and a digit or X, joined by \n, each have a real birth
    date and the right check digit, as id_number_problem tells them: all at once."""
    codes = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    digits = np.append(codes, 10).reshape(count, 19)[:, :18].astype(np.int64) - 48
    digits[digits == ord("X") - 48] = 10
    year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + (leap & (month == 2))
    real = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= last)
    checked = _ID_CHECK_VALUES[digits[:, :17] @ _ID_WEIGHTS % 11] == digits[:, 17]
    return bool(real.all() and checked.all())


def _mojibake(text: str) -> bool:
    """looks_like_mojibake, where an error in telling counts as a problem too, as in `_parse`."""
    try:
        return looks_like_mojibake(text)
    except ValueError:
        return True


def _mojibake_rows(values: list[str]) -> list[int]:
    """The rows whose text looks like mojibake, without telling every cell one by one.

    Re-encoded as GB18030 and decoded as UTF-8 together, the cells keep their line breaks, and
    a cell with fewer than two Chinese characters after that is not mojibake; only the others
    are told one by one.
    """
    joined = "\n".join(values)
    try:
        if joined.count("\n") == len(values) - 1:
            decoded = joined.encode("gb18030").decode("utf-8", errors="replace")
            if "\ufffd" not in joined and not _TWO_CHINESE.search(decoded):
                return []
            pieces = decoded.split("\n")
            if len(pieces) == len(values):
                return [
                    i
                    for i, (text, piece) in enumerate(zip(values, pieces, strict=True))
                    if ("\ufffd" in text or _TWO_CHINESE.search(piece)) and _mojibake(text)
                ]
    except ValueError:  # a lone surrogate cannot be encoded: tell each cell
        pass
    return [i for i, text in enumerate(values) if _mojibake(text)]


def _parse(p: Property, text: str, was_number: bool) -> Any:
    """The typed value of one non-empty cell; raises ValueError with the reason."""
    if "\x00" in text:
        raise ValueError("the value contains a NUL byte")
    if p.type is Type.STRING:
        return _string(p, text, was_number)
    if p.type is Type.INT64:
        if not _INT.fullmatch(text):
            raise ValueError("expected a whole number")
        number = int(text)
        if not INT64_MIN <= number <= INT64_MAX:
            raise ValueError("the number is too large for a 64-bit integer")
        if p.minimum is not None and number < p.minimum:
            raise ValueError(f"{number} is below the minimum {p.minimum}")
        if p.maximum is not None and number > p.maximum:
            raise ValueError(f"{number} is above the maximum {p.maximum}")
        return number
    if p.type is Type.DOUBLE:
        try:
            return float(text)
        except ValueError:
            raise ValueError("expected a number") from None
    if p.type is Type.BOOL:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError("expected true or false")
    return parse_date(text)


def _string(p: Property, text: str, was_number: bool) -> str:
    if len(text) > p.max_length:
        raise ValueError(f"{len(text)} characters, more than the {p.max_length} allowed")
    if p.choices:
        return choice(p, text)
    if p.check is Check.ID_NUMBER:
        if was_number or _SCIENTIFIC.fullmatch(text):
            raise ValueError(
                "the ID number was stored as a number (Excel keeps 15 significant digits, so "
                "its last digits are lost); format the column as text and enter it again"
            )
        problem = id_number_problem(text.upper())
        if problem:
            raise ValueError(problem)
        return text.upper()
    if p.check is Check.MOBILE:
        return mobile(text)
    if p.check is Check.DIVISION_CODE and not DIVISION_CODE.fullmatch(text):
        raise ValueError("a division code has 12 digits, e.g. 330421000000")
    if looks_like_mojibake(text):
        raise ValueError(
            "the text looks like UTF-8 read as GBK (mojibake); fix the file's encoding"
        )
    return text


class RowValidator:
    """Validates the rows of one file against one node or relationship type."""

    def __init__(
        self,
        kind: NodeType | RelType,
        columns: list[str],
        *,
        traditional: bool,
        names: Callable[[], Vocabulary] | None = None,
    ) -> None:
        """`names` gives the vocabulary that a Domain or Unit endpoint written as a name is
        looked up in; it is asked for only when a row needs it. Without it, keys must be keys."""
        self.kind = kind
        self.columns = columns
        self._properties = {p.name: p for p in kind.properties}
        self._convert: Callable[[str], str] | None = simplified if traditional else None
        self._names = names
        # The endpoint columns that may hold a name, with the label each has by default.
        self._named: dict[str, str] = {}
        if names is not None and isinstance(kind, RelType):
            for column, side in (("from", 0), ("to", 1)):
                if {pair[side] for pair in kind.endpoints} & set(LOOKED_UP):
                    self._named[column] = kind.endpoints[0][side]
        # Columns that must be present and hold a value in every row.
        self._required = [p.name for p in kind.properties if p.required]
        if isinstance(kind, RelType):
            endpoints = ["from", "to"]
            if len({a for a, _ in kind.endpoints}) > 1:
                endpoints.append("from_type")
            if len({b for _, b in kind.endpoints}) > 1:
                endpoints.append("to_type")
            self._required = endpoints + self._required
        # Keys a decimal number may not stand for: 1001.0 may have been 1001, 001001 or 1001.0.
        self._keys = {"from", "to"} if isinstance(kind, RelType) else {kind.key}
        # Whether rows may give both ends of a validity, which must not cross.
        self._dated = {"valid_from", "valid_to"} <= set(columns) & set(self._properties)
        self._check_header()

    def _check_header(self) -> None:
        allowed = list(self._properties)
        if isinstance(self.kind, RelType):
            allowed += ENDPOINT_COLUMNS
        for column in self.columns:
            if column not in allowed:
                close = difflib.get_close_matches(column, allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise HeaderError(
                    column, f"{column!r} is not a column of {self.kind.file} files{hint}"
                )
            if self.columns.count(column) > 1:
                raise HeaderError(column, f"the column {column!r} appears more than once")
        for column in self._required:
            if column not in self.columns:
                raise HeaderError(column, f"the required column {column!r} is missing")

    def validate(self, raw: RawRow) -> tuple[dict[str, Any], list[CellProblem]]:
        """Typed values keyed by column, and the problems found (empty when the row is good)."""
        values: dict[str, Any] = {}
        problems: list[CellProblem] = []
        for column, text in raw.cells.items():
            p = self._properties.get(column)
            text = half_width(text, punctuation=p is not None and p.type is not Type.STRING)
            if p is None:  # an endpoint column
                if "\x00" in text:
                    problems.append(CellProblem(column, text, "the value contains a NUL byte"))
                elif self._convert and column in ("from", "to") and text:
                    # Keys were converted in the node files; a reference must match them.
                    text = self._convert(text)
                values[column] = text or None
                continue
            if self._convert and p.type is Type.STRING and p.check is None and text:
                text = self._convert(text)
            if not text:
                values[column] = None
                continue
            try:
                values[column] = _parse(p, text, column in raw.numeric)
            except ValueError as exc:
                problems.append(CellProblem(column, text, str(exc)))
        for column in sorted(raw.decimal & self._keys):
            problems.append(
                CellProblem(
                    column,
                    raw.cells[column],
                    "the key was stored as a decimal number (such as 1001.0), so its text "
                    "cannot be known for sure; store keys as text",
                )
            )
        for column in self._named:
            self._look_up(column, values, problems)
        for name in self._required:
            if values.get(name) is None and name not in {x.column for x in problems}:
                problems.append(CellProblem(name, "", "a value is required"))
        if self._dated and _ends_before_start(values.get("valid_from"), values.get("valid_to")):
            problems.append(
                CellProblem(
                    "valid_to",
                    raw.cells.get("valid_to", ""),
                    f"the end {values['valid_to']} is before the start {values['valid_from']} "
                    "(valid_from): a record or tie cannot end before it begins",
                )
            )
        for name in self._properties:
            values.setdefault(name, None)
        return values, problems

    def _label(self, column: str, given: Any) -> str:
        """The label of an endpoint: its `from_type`/`to_type` cell, or the type's default."""
        return str(given or self._named[column])

    def _look_up(self, column: str, values: dict[str, Any], problems: list[CellProblem]) -> None:
        """An endpoint given by name (医疗纠纷, 姚庄镇) replaced by its key, or a problem."""
        text = values.get(column)
        label = self._label(column, values.get(f"{column}_type"))
        if not text or label not in LOOKED_UP or not looked_up(label, text):
            return
        assert self._names is not None
        try:
            values[column] = self._names().key(label, text)
        except ValueError as exc:
            problems.append(CellProblem(column, text, str(exc)))

    # -- a chunk at a time ----------------------------------------------------------------

    def validate_chunk(self, chunk: Chunk) -> CheckedChunk:
        """The rows of `chunk` (whose columns are this validator's), validated column by column.

        Each column is checked in one pass where it can be, and typed once per distinct value
        where it holds few; a row that any column cannot pass at once is validated whole by
        `validate`, so its problems and values are exactly what `validate` gives.
        """
        suspects = set(chunk.irregular)
        values: dict[str, list[Any]] = {}
        required = set(self._required)
        for column, texts in zip(self.columns, chunk.cells, strict=True):
            p = self._properties.get(column)
            cells, bad = self._column(column, p, texts)
            suspects.update(bad)
            if column in required and None in cells:
                suspects.update(i for i, v in enumerate(cells) if v is None)
            if chunk.numeric is not None and p is not None and p.check is Check.ID_NUMBER:
                suspects.update(i for i, numeric in enumerate(chunk.numeric) if column in numeric)
            values[column] = cells
        for column in self._named:  # names of categories and places are looked up row by row
            suspects.update(self._by_name(column, values))
        if chunk.raw is not None:
            suspects.update(i for i, raw in enumerate(chunk.raw) if raw.decimal & self._keys)
        ends = values.get("valid_to", [])
        if self._dated and ends.count(None) < len(ends):  # only rows that give an end can cross
            suspects.update(
                i
                for i, (start, end) in enumerate(zip(values["valid_from"], ends, strict=True))
                if end is not None and _ends_before_start(start, end)
            )
        problems: dict[int, tuple[dict[str, Any], list[CellProblem]]] = {}
        whole: dict[int, dict[str, Any]] = {}
        for i in sorted(suspects):
            row_values, found = self.validate(chunk.row(i))
            if found:
                problems[i] = (row_values, found)
            else:
                whole[i] = row_values
        return CheckedChunk(values, problems, whole)

    def _by_name(self, column: str, values: dict[str, list[Any]]) -> list[int]:
        """The rows whose endpoint in `column` is a name to look up (`looked_up`). Where the
        rows have one label, a column of division codes or of ASCII is told in one pass. A cell
        with a problem (its placeholder) is a suspect already."""
        texts = values[column]
        labels = values.get(f"{column}_type")
        if labels is None or len(set(labels)) == 1:  # one label, as files have
            label = self._label(column, labels[0] if labels else None)
            if label not in LOOKED_UP:
                return []
            given = list(filter(None, texts))
            with contextlib.suppress(TypeError):  # a placeholder among them: row by row
                joined = "\n".join(given)
                if label == "Domain" and joined.isascii():
                    return []
                codes = _PATTERN_LINES[Check.DIVISION_CODE]
                if label == "Unit" and (
                    not given or (joined.count("\n") == len(given) - 1 and codes.fullmatch(joined))
                ):
                    return []
        return [
            i
            for i, (text, given) in enumerate(zip(texts, labels or repeat(None), strict=False))
            if text and isinstance(text, str) and looked_up(self._label(column, given), text)
        ]

    def _cell(self, column: str, p: Property | None, text: str) -> Any:
        """One cell's typed value as `validate` gives it; ValueError when it has a problem.
        (Whether a spreadsheet cell was a number matters for ID numbers only, which
        `validate_chunk` leaves to `validate`.)"""
        text = half_width(text, punctuation=p is not None and p.type is not Type.STRING)
        if p is None:  # an endpoint column
            if "\x00" in text:
                raise ValueError("the value contains a NUL byte")
            if self._convert and column in ("from", "to") and text:
                text = self._convert(text)
            return text or None
        if self._convert and p.type is Type.STRING and p.check is None and text:
            text = self._convert(text)
        if not text:
            return None
        return _parse(p, text, False)

    def _column(
        self, column: str, p: Property | None, texts: list[str]
    ) -> tuple[list[Any], list[int]]:
        """A column's typed values, and the rows it cannot pass at once (values there are
        placeholders)."""
        # A column of few values (a type, a unit code, a date) is typed once per value, and its
        # rows share those values. How few, a sample tells.
        sample = texts[:: max(1, len(texts) // 256)]
        few = len(set(sample)) * 2 <= len(sample)
        text = p is not None and p.type is Type.STRING and not p.choices and p.check is None
        if self._convert is None and (text or not few):  # else typed once, whatever it holds
            joined = "".join(texts)
            if "\x00" in joined:
                pass
            elif joined.isascii():
                if few:
                    pass
                elif p is None:
                    return _empty_as_none(_trimmed(texts, joined)), []
                elif p.type is Type.STRING and not p.choices:
                    return self._ascii_strings(p, _trimmed(texts, joined))
            elif text:
                assert p is not None
                return self._texts(p, texts, few)
        return self._typed_once(column, p, texts)

    def _typed_once(
        self, column: str, p: Property | None, texts: list[str]
    ) -> tuple[list[Any], list[int]]:
        """Each distinct value typed once, by `_cell`."""
        distinct = set(texts)
        typed = _iso_dates(distinct) if p is not None and p.type is Type.DATE else {}
        for text in distinct.difference(typed):
            try:
                typed[text] = self._cell(column, p, text)
            except ValueError:
                typed[text] = _BAD
        cells = list(map(typed.__getitem__, texts))
        if any(v is _BAD for v in typed.values()):
            return cells, [i for i, v in enumerate(cells) if v is _BAD]
        return cells, []

    def _ascii_strings(self, p: Property, cells: list[str]) -> tuple[list[Any], list[int]]:
        """A text column of ASCII, trimmed: its format and length checks, in one pass each."""
        if p.check is None:  # ASCII is never mojibake
            if max(map(len, cells)) > p.max_length:
                return self._typed_once(p.name, p, cells)
            return _empty_as_none(cells), []
        given = [text for text in cells if text] if "" in cells else cells
        joined = "\n".join(given)
        if given and (
            joined.count("\n") != len(given) - 1 or not _PATTERN_LINES[p.check].fullmatch(joined)
        ):
            return self._typed_once(p.name, p, cells)
        if _FORMAT_WIDTH[p.check] > p.max_length and max(map(len, given)) > p.max_length:
            return self._typed_once(p.name, p, cells)
        if p.check is Check.ID_NUMBER and given and not _real_id_numbers(joined, len(given)):
            return self._typed_once(p.name, p, cells)
        return _empty_as_none(cells), []

    def _texts(self, p: Property, texts: list[str], few: bool) -> tuple[list[Any], list[int]]:
        """A text column without checks (without NUL), normalised: lengths, then mojibake, in
        one pass each; over its distinct values where it has `few` (a log's repeated data)."""
        given = list(set(texts)) if few else texts
        cells = half_width_all(given)
        if max(map(len, cells), default=0) > p.max_length:
            return self._typed_once(p.name, p, texts)
        bad = _mojibake_rows(cells)
        if not few:
            return _empty_as_none(cells), bad
        typed = dict(zip(given, _empty_as_none(cells), strict=True))
        mojibake = {given[i] for i in bad}
        return list(map(typed.__getitem__, texts)), [
            i for i, text in enumerate(texts) if text in mojibake
        ] if mojibake else []


_ISO_DATE = re.compile("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.MULTILINE)


def _iso_dates(texts: set[str]) -> dict[str, Any]:
    """The dates of those `texts` written 2021-03-01 that are real days, as `parse_date` reads
    them, by the standard library's reader (in C); the others are left out. (A text holding a
    line break may add a line of it: a key never asked for.)"""
    dates: dict[str, Any] = {}
    for text in _ISO_DATE.findall("\n".join(texts)):
        with contextlib.suppress(ValueError):  # 2021-02-30: the slow way says why
            dates[text] = date.fromisoformat(text)
    return dates


def _ends_before_start(start: Any, end: Any) -> bool:
    """Both ends are dates and the end comes first (a cell with a problem is not a date)."""
    return isinstance(start, date) and isinstance(end, date) and end < start


_ASCII_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "  # what str.strip() takes off ASCII


def _trimmed(texts: list[str], joined: str) -> list[str]:
    """Each of `texts` (of ASCII, `joined` together) trimmed; none needs it without a space."""
    if any(space in joined for space in _ASCII_SPACE):
        return list(map(str.strip, texts))
    return list(texts)


def _empty_as_none(cells: list[Any]) -> list[Any]:
    return [v or None for v in cells] if "" in cells else cells
