"""The NBS 2023 statistical division codes (统计用区划代码): look up a unit and everything in it.

The table is ``loaders/data/divisions-nbs-2023.csv.xz`` (see ``loaders/data/README.md``): one
row per unit, ``code,name,level,parent``, sorted by the 12-digit code. It is streamed on every
call, never loaded whole: a unit's descendants share its code's prefix and follow it in the sorted
file, and its ancestors are the prefixes of its code padded with zeros.
"""

from __future__ import annotations

import csv
import io
import lzma
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files

from graph.places import LEVELS, DivisionCode, NotADivisionCode

EDITION = "NBS 2023 (2023-06-30) via china-division 2.7.0"
SOURCE = "nbs-2023"
DATA_FILE = "divisions-nbs-2023.csv.xz"

DIGITS = LEVELS  # significant digits of a code at each level (graph.places)

_HOW_TO_LOOK_UP = (
    "look a unit up by name with loaders.divisions.find_by_name('嘉善县'), or search the "
    f"table with: xzcat loaders/data/{DATA_FILE} | grep 嘉善"
)


class UnknownDivision(ValueError):
    """A code that is malformed or not in the NBS 2023 table."""


@dataclass(frozen=True)
class Divisions:
    """Unit rows (the chain from the province down, then everything inside) and PART_OF rows."""

    units: list[dict[str, str]]
    part_of: list[dict[str, str]]


def normalise_code(code: str) -> str:
    """The 12-digit form of a 2, 4, 6, 9 or 12-digit code (spaces ignored), right-padded with 0s.

    >>> normalise_code("330421")
    '330421000000'
    """
    try:
        return DivisionCode.parse(code).full
    except NotADivisionCode:
        raise UnknownDivision(
            f"{code!r} is not a division code: give 2, 4, 6, 9 or 12 ASCII digits, e.g. 33 "
            "(province), 3304 (city), 330421 (county), 330421100 (town), 330421100201 (village) "
            f"or the padded 330421000000; to find a code, {_HOW_TO_LOOK_UP}"
        ) from None


def kind_of(code12: str, name: str, level: str) -> str:
    """The kind of unit, read from the NBS code rules (编制规则), not from the name.

    Towns, by code digits 7-9: 001-099 "street" (街道), 100-199 "town" (镇), 200-399 "township"
    (乡, incl. 民族乡 and 苏木); anything else (400-599: development zones, farms...) "other".
    Villages, by digits 10-12: 001-199 "community" (居委会/社区), 200-399 "village" (村委会);
    anything else (400-599: virtual communities, 生活区...) "other". Provinces, cities and
    counties have no rule that holds everywhere (e.g. county digits 71-79 are development zones
    but 01-20 are not always districts), so their kind is their level. `name` is not used.
    """
    if level in ("province", "city", "county"):
        return level
    ranges: tuple[tuple[int, int, str], ...]
    if level == "town":
        number = int(code12[6:9])
        ranges = ((1, 99, "street"), (100, 199, "town"), (200, 399, "township"))
    elif level == "village":
        number = int(code12[9:12])
        ranges = ((1, 199, "community"), (200, 399, "village"))
    else:
        raise ValueError(f"unknown level {level!r} for {code12} {name}; expected one of {DIGITS}")
    return next((kind for low, high, kind in ranges if low <= number <= high), "other")


@contextmanager
def _table() -> Iterator[Iterator[list[str]]]:
    """The table's rows (code, name, level, parent), header skipped, decompressed as read."""
    resource = files("loaders") / "data" / DATA_FILE
    with (
        resource.open("rb") as raw,
        io.TextIOWrapper(lzma.LZMAFile(raw), encoding="utf-8", newline="") as text,
    ):
        rows = csv.reader(text)
        next(rows)
        yield rows


def _not_found(code: str, code12: str) -> UnknownDivision:
    """An error naming the existing units of the same level on either side, and the parent."""
    level = DivisionCode.parse(code12).level
    ancestor_codes = {code12[:n].ljust(12, "0") for n in DIGITS.values()}
    nearest: list[str] = []
    inside = ""
    with _table() as rows:
        for row in rows:
            if row[0] in ancestor_codes:
                inside = f"; it would be inside {row[0]} {row[1]} ({row[2]})"
            if row[2] == level and row[0] < code12:
                nearest[:] = [f"{row[0]} {row[1]}"]
            elif row[2] == level:
                nearest.append(f"{row[0]} {row[1]}")
                break
    return UnknownDivision(
        f"no division {code12} (from {code!r}) in {EDITION}; the nearest existing {level} codes "
        f"are {' and '.join(nearest) or 'none'}{inside}. Codes change between editions; "
        f"to find the current one, {_HOW_TO_LOOK_UP}"
    )


def divisions_within(code: str) -> Divisions:
    """The unit `code`, its ancestors up to the province, and every unit inside it.

    Units come province first, down to `code`, then the units inside in code order. A 6-digit
    code such as 330400 pads to the same 12 digits as the city 3304 and finds that city.
    """
    code12 = normalise_code(code)
    ancestor_codes = {code12[:n].ljust(12, "0") for n in DIGITS.values()}
    ancestors: dict[str, list[str]] = {}
    inside: list[list[str]] = []
    prefix = ""
    with _table() as rows:
        for row in rows:
            if prefix and not row[0].startswith(prefix):
                break
            if prefix:
                inside.append(row)
            elif row[0] in ancestor_codes:
                ancestors[row[0]] = row
                if row[0] == code12:
                    prefix = code12[: DIGITS[row[2]]]
            elif row[0] > code12:
                break
    if not prefix:
        raise _not_found(code, code12)

    chain = [ancestors[code12]]
    while chain[0][3]:
        chain.insert(0, ancestors[chain[0][3]])
    units = [
        {
            "code": unit_code,
            "name": name,
            "level": level,
            "kind": kind_of(unit_code, name, level),
            "edition": EDITION,
            "source": SOURCE,
        }
        for unit_code, name, level, _parent in chain + inside
    ]
    part_of = [
        {"from": child, "to": parent, "from_type": "Unit", "to_type": "Unit", "source": SOURCE}
        for child, _name, _level, parent in chain + inside
        if parent
    ]
    return Divisions(units=units, part_of=part_of)


def find_by_name(name: str) -> list[tuple[str, str, str]]:
    """(code12, name, level) of every unit named exactly `name`, in code order.

    Names repeat (市辖区, 城关镇, and many village names), so expect several answers.
    """
    wanted = name.strip()
    with _table() as rows:
        return [(row[0], row[1], row[2]) for row in rows if row[1] == wanted]
