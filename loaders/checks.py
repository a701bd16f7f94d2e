"""Checks on identity values: resident ID numbers, mobile numbers, division codes."""

from __future__ import annotations

import operator
import re
from datetime import date

# ASCII digits only: `\d` would also take Arabic-Indic, Devanagari and other decimal digits.
MOBILE = re.compile(r"1[3-9][0-9]{9}")
DIVISION_CODE = re.compile(r"[0-9]{12}")
_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of an 18-digit resident ID number (GB 11643)."""
    if len(first17) != len(_WEIGHTS):
        raise ValueError(f"expected the first 17 characters, got {len(first17)}")
    total = sum(map(operator.mul, map(int, first17), _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def id_number_problem(value: str) -> str | None:
    """Why `value` is not a valid 18-digit ID number, or None when it is."""
    if not _ID_NUMBER.fullmatch(value):
        return "an ID number has 17 digits and a final digit or X"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return f"digits 7-14 ({value[6:14]}) are not a birth date"
    expected = id_check_digit(value[:17])
    if value[17] != expected:
        return f"wrong check digit {value[17]!r}, expected {expected!r}"
    return None
