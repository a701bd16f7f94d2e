"""The loader's faster ways through a file give what the plain ways give: a quoted CSV text read
a part at a time as the csv module reads it whole, a record at a time; ID numbers, dates and
ASCII columns validated a column at a time as row by row."""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

import loaders.read
from graph.schema import SCHEMA, Check
from loaders.checks import id_check_digit
from loaders.read import BadRow, Chunk, Lines, RawRow, TableFile, _csv_records
from loaders.validate import _FORMAT_WIDTH, _PATTERN_LINES, RowValidator

# -- reading ----------------------------------------------------------------------------------

_LINES = [
    'p1,"调解,两次"',
    'p2,"a ""quoted"" b"',
    "p3,plain",
    '"p4",',
    "",  # a blank line
    "p5",  # too few cells
    "p6,a,b",  # too many
    'p7,"a"b',  # a quote closed before the cell ends
    'p8,"spans\nlines"',  # free text over two lines
    'p9,x"y',  # a quote inside an unquoted cell
    '"p10\nx",note',  # a line break where only free text may have one
    'p11,"\u2028 and \x85 in a quoted cell"',
    'p12,"' + "x" * 20 + '"',
]


def _reference(text: str, free_text: set[str]) -> tuple[list[RawRow | BadRow], Lines]:
    """The rows and lines of a CSV text as the csv module reads the whole of it, a record at a
    time (as the loader read every quoted file before)."""
    lines = Lines(total=text.count("\n") + (0 if text.endswith("\n") else 1))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    columns = next(reader)
    rows: list[RawRow | BadRow] = []
    for record in _csv_records(reader, columns, free_text, lines, 0):
        if isinstance(record, BadRow):
            rows.append(record)
        else:
            rows.append(RawRow(record[0], dict(zip(columns, record[1], strict=True))))
    return rows, lines


def test_a_quoted_csv_read_a_part_at_a_time_gives_what_the_csv_module_reads_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random files of good and bad lines (blank ones, cells of other numbers, misplaced quotes,
    line breaks in free text and elsewhere, a cell over the csv module's limit), read in parts
    of 8 bytes to 1 MiB: the same rows, bad rows and lines as the csv module reading the whole."""
    rng = random.Random(15)
    path = tmp_path / "people.csv"
    limit = csv.field_size_limit(16)  # p11's and p12's cells are over it
    try:
        for trial in range(300):
            body = [rng.choice(_LINES) for _ in range(rng.randint(0, 30))]
            end = rng.choice(["\n", "\r\n", ""])
            text = "\n".join(["id,note", *body]) + end
            path.write_text(text, encoding="utf-8")
            monkeypatch.setattr(loaders.read, "_PART_BYTES", rng.choice([8, 40, 200, 1 << 20]))
            table = TableFile(path, free_text=["note"])
            got = list(table.rows()), table.lines
            assert got == _reference(text.replace("\r\n", "\n"), {"note"}), (trial, text)
    finally:
        csv.field_size_limit(limit)


def test_a_quoted_csv_in_chunks_keeps_its_bad_rows_in_place(tmp_path: Path) -> None:
    """Bad rows fall where they fall between chunks of 3 rows: each after the rows before it,
    one just after a full chunk in the next chunk."""
    path = tmp_path / "people.csv"
    path.write_text('id,note\np1,"a"\np2,b\np3,c\np4\np5,"d"\np6,e\np7,f\n\np8\n', "utf-8")
    chunks = list(TableFile(path).chunks(3))
    assert [(list(c.lines), c.cells, c.bad) for c in chunks] == [
        ([2, 3, 4], [["p1", "p2", "p3"], ["a", "b", "c"]], []),
        (
            [6, 7, 8],
            [["p5", "p6", "p7"], ["d", "e", "f"]],
            [(0, BadRow(5, "the row has 1 cells, the header 2"))],
        ),
        ([], [[], []], [(0, BadRow(10, "the row has 1 cells, the header 2"))]),
    ]


# -- validating -------------------------------------------------------------------------------


def _id_number(rng: random.Random, born: date) -> str:
    first17 = f"{rng.randint(110000, 659999)}{born:%Y%m%d}{rng.randint(0, 999):03d}"
    return first17 + id_check_digit(first17)


def _bad_id_numbers(rng: random.Random) -> list[str]:
    good = _id_number(rng, date(1990, 5, 17))
    wrong = "0" if good[17] != "0" else "1"
    with_birth = [good[:6] + born + good[14:17] for born in _BAD_BIRTHS]
    return [
        good[:17] + wrong,  # the wrong check digit
        *(first17 + id_check_digit(first17) for first17 in with_birth),  # no such day
        good[:17] + "x" if good[17] == "X" else good,  # a lower-case x where X is right
        good[:16],  # too short
        good + "1",  # too long
        " " + good,  # a space before
        "１" + good[1:],  # a full-width digit
        "\x00" + good[1:],
    ]


_BAD_BIRTHS = ["19000229", "20230229", "00000101", "19901301", "19900001", "19900431", "19900100"]


def _check(file: str, columns: dict[str, list[str]]) -> None:
    """`validate_chunk` gives every row the values and problems `validate` gives it."""
    kind = SCHEMA.by_file(file)
    assert kind is not None
    names = list(columns)
    validator = RowValidator(kind, names, traditional=False)
    size = len(columns[names[0]])
    chunk = Chunk(names, list(range(2, size + 2)), [columns[c] for c in names])
    checked = validator.validate_chunk(chunk)
    for i in range(size):
        values, found = validator.validate(RawRow(i + 2, {c: columns[c][i] for c in names}))
        if found:
            assert checked.problems[i] == (values, found)
        elif i in checked.whole:
            assert checked.whole[i] == values
        else:
            assert i not in checked.problems
            assert {c: checked.values[c][i] for c in names} == {c: values[c] for c in names}


def test_a_column_of_id_numbers_is_validated_as_each_is_alone() -> None:
    """Hundreds of distinct ID numbers, born on leap days and others, with at most one bad
    one among them (or an empty cell): the column's values and problems are the rows'."""
    rng = random.Random(11643)
    bad = _bad_id_numbers(rng)
    for trial in range(len(bad) + 2):
        born = [date(1904, 2, 29) + timedelta(days=rng.randint(0, 40_000)) for _ in range(300)]
        born[:3] = [date(2000, 2, 29), date(1996, 2, 29), date(2023, 12, 31)]
        ids = [_id_number(rng, day) for day in born]
        if trial < len(bad):
            ids[rng.randrange(len(ids))] = bad[trial]
        elif trial == len(bad):
            ids[rng.randrange(len(ids))] = ""
        people = {"id": [f"p{i}" for i in range(len(ids))], "name": ["张三"] * len(ids)}
        _check("people", people | {"id_number": ids})


def test_columns_of_mobiles_codes_and_ascii_keys_are_validated_as_each_is_alone() -> None:
    rng = random.Random(86)
    for bad_mobile, bad_key in [
        ("", ""),
        ("12812345678", "k 1"),
        ("1381234567", " k1"),
        ("138123456789", "k1\t"),
        ("+86 13812345678", "k" * 65),
        ("", "\x00"),
    ]:
        size = 200
        mobiles = [f"1{rng.choice('3456789')}{rng.randint(0, 10**9 - 1):09d}" for _ in range(size)]
        keys = [f"p{i}" for i in range(size)]
        mobiles[rng.randrange(size)] = bad_mobile
        keys[rng.randrange(size)] = bad_key
        _check("people", {"id": keys, "name": ["李四"] * size, "mobile": mobiles})
        codes = [f"3205{rng.randint(0, 10**8 - 1):08d}" for _ in range(size)]
        codes[rng.randrange(size)] = bad_mobile[:12]
        _check("lives_in", {"from": keys, "to": codes})


def test_a_column_of_dates_is_validated_as_each_is_alone() -> None:
    """Many distinct dates written 2021-03-01, with one written otherwise or no day at all,
    and ends before their starts."""
    rng = random.Random(2021)
    others = ["2021-02-29", "2020-02-29", "0000-01-01", "2021-13-01", "2021-1-1", "2021年3月1日"]
    others += ["٢٠٢١-٠٣-٠١", "２０２１-０３-０１", " 2021-03-01", "2021-03-01\n2021-03-02", ""]
    for other in others:
        size = 300
        starts = [date(2000, 1, 1) + timedelta(days=rng.randint(0, 9000)) for _ in range(size)]
        ends = [d + timedelta(days=rng.randint(-5, 400)) for d in starts]
        valid_from = [d.isoformat() for d in starts]
        valid_to = [d.isoformat() if rng.random() < 0.5 else "" for d in ends]
        valid_from[rng.randrange(size)] = other
        _check(
            "member_of",
            {
                "from": [f"p{i}" for i in range(size)],
                "to": ["o1"] * size,
                "valid_from": valid_from,
                "valid_to": valid_to,
            },
        )


@pytest.mark.parametrize("check", list(_FORMAT_WIDTH))
def test_each_format_is_as_wide_as_the_validator_counts(check: Check) -> None:
    """A column of a format is not measured when every value matches it: the widest match of
    each format's pattern is the width the validator takes for it."""
    one_line = _PATTERN_LINES[check].pattern.split("(?:\n")[0]
    widths = re._parser.parse(one_line).getwidth()  # type: ignore[attr-defined]
    assert widths == (_FORMAT_WIDTH[check], _FORMAT_WIDTH[check])
