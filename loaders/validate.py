"""Validating rows of text against the schema, and turning them into typed values.

The rules come from `graph.schema`: types, required fields, lengths, enumerations, ranges and
the checks on ID numbers, mobile numbers and division codes. Each problem names its column.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from graph.schema import Check, NodeType, Property, RelType, Type
from loaders.checks import DIVISION_CODE, MOBILE, id_number_problem
from loaders.normalise import half_width, looks_like_mojibake, simplified
from loaders.read import RawRow

_INT = re.compile(r"[+-]?\d+")
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
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
    match = _DATE.fullmatch(text)
    if not match:
        raise ValueError("expected a date as YYYY-MM-DD")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as exc:
        raise ValueError(f"not a real date: {exc}") from None


def _string(p: Property, text: str, was_number: bool) -> str:
    if len(text) > p.max_length:
        raise ValueError(f"{len(text)} characters, more than the {p.max_length} allowed")
    if p.choices and text not in p.choices:
        close = difflib.get_close_matches(text, p.choices, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"not one of {', '.join(p.choices)}{hint}")
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
    if p.check is Check.MOBILE and not MOBILE.fullmatch(text):
        raise ValueError("a mobile number is 11 digits starting 13–19")
    if p.check is Check.DIVISION_CODE and not DIVISION_CODE.fullmatch(text):
        raise ValueError("a division code has 12 digits, e.g. 330421000000")
    if looks_like_mojibake(text):
        raise ValueError(
            "the text looks like UTF-8 read as GBK (mojibake); fix the file's encoding"
        )
    return text


class RowValidator:
    """Validates the rows of one file against one node or relationship type."""

    def __init__(self, kind: NodeType | RelType, columns: list[str], *, traditional: bool) -> None:
        self.kind = kind
        self.columns = columns
        self._properties = {p.name: p for p in kind.properties}
        self._convert: Callable[[str], str] | None = simplified if traditional else None
        # Columns that must be present and hold a value in every row.
        self._required = [p.name for p in kind.properties if p.required]
        if isinstance(kind, RelType):
            endpoints = ["from", "to"]
            if len({a for a, _ in kind.endpoints}) > 1:
                endpoints.append("from_type")
            if len({b for _, b in kind.endpoints}) > 1:
                endpoints.append("to_type")
            self._required = endpoints + self._required
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
        for name in self._required:
            if values.get(name) is None and name not in {x.column for x in problems}:
                problems.append(CellProblem(name, "", "a value is required"))
        for name in self._properties:
            values.setdefault(name, None)
        return values, problems
