"""Reading CSV, XLSX and JSON Lines files as rows of text, each with the line it came from."""

from __future__ import annotations

import gc
import json
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from loaders.read import BadRow, FileRejected, RawRow, TableFile, decode, type_stem

WriteCsv = Callable[..., Path]  # the `write_csv` fixture
TEXT = "id,name\np1,嘉善县魏塘街道\n"


def rows(path: Path) -> list[RawRow | BadRow]:
    return list(TableFile(path).rows())


def refusal(path: Path) -> str:
    """Why the file is refused (and a failed test when it is not)."""
    with pytest.raises(FileRejected) as refused:
        TableFile(path)
    return str(refused.value)


def write_xlsx(path: Path, *rows: list[object]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def with_sheet(workbook: Path, path: Path, sheet: Callable[[str], str]) -> Path:
    """A copy of `workbook` at `path` whose first sheet's XML is `sheet(the original XML)`."""
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(path, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet(data.decode()).encode()
            out.writestr(item, data)
    return path


def test_the_type_is_the_last_part_of_the_name_before_the_extension() -> None:
    names = ["people.csv", "330421.people.csv", "a.b.serves_in.XLSX", "grids.jsonl", "people"]
    assert [type_stem(Path(name)) for name in names] == [
        "people",
        "people",
        "serves_in",
        "grids",
        "people",
    ]


def test_utf8_with_or_without_bom_and_gbk_decode_alike() -> None:
    encodings = ["utf-8", "utf-8-sig", "gbk", "gb18030"]
    assert [decode(TEXT.encode(encoding)) for encoding in encodings] == [TEXT] * 4


def test_a_file_in_neither_encoding_is_refused() -> None:
    refusals = []
    for data in ["id,name\np1,José\n".encode("latin-1"), TEXT.encode("utf-16")]:
        with pytest.raises(FileRejected) as refused:
            decode(data)
        refusals.append(str(refused.value))
    assert refusals == [
        "the file is neither UTF-8 nor GB18030 (byte 0xe9 at offset 14); save it as UTF-8",
        "the file is neither UTF-8 nor GB18030 (byte 0xff at offset 0); save it as UTF-8",
    ]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_a_gbk_or_bom_csv_reads_as_plain_utf8_does(write_csv: WriteCsv, encoding: str) -> None:
    path = write_csv("x.people.csv", [["id", "name"], ["p1", "张三"]], encoding)
    table = TableFile(path)
    assert table.columns == ["id", "name"]  # no BOM stuck to "id"
    assert list(table.rows()) == [RawRow(2, {"id": "p1", "name": "张三"})]


def test_csv_rows_keep_their_first_line_and_bad_rows_are_named(tmp_path: Path) -> None:
    path = tmp_path / "x.people.csv"
    path.write_text(
        'id,name\r\np1,张三\r\n\r\np2,"李\n四"\r\np3,王\x00五\r\np4\r\np5,a,b\r\np6,赵六\r\n',
        encoding="utf-8",
    )
    assert rows(path) == [
        RawRow(2, {"id": "p1", "name": "张三"}),
        # line 3 is blank and skipped; the quoted cell on lines 4-5 keeps its line break
        RawRow(4, {"id": "p2", "name": "李\n四"}),
        RawRow(6, {"id": "p3", "name": "王\x00五"}),  # validation rejects the NUL
        BadRow(7, "the row has 1 cells, the header 2"),
        BadRow(8, "the row has 3 cells, the header 2"),
        RawRow(9, {"id": "p6", "name": "赵六"}),
    ]


def test_a_csv_cell_over_the_csv_module_limit_is_a_bad_row(write_csv: WriteCsv) -> None:
    path = write_csv("x.people.csv", [["id", "name"], ["p1", "长" * 200_000], ["p2", "李四"]])
    assert rows(path) == [
        BadRow(2, "unreadable CSV: field larger than field limit (131072)"),
        RawRow(3, {"id": "p2", "name": "李四"}),
    ]


def test_files_refused_whole(tmp_path: Path) -> None:
    files = {
        "empty.people.csv": b"",
        "bom.people.csv": b"\xef\xbb\xbf",
        "blank.people.csv": b"\nid,name\n",
        "x.people.txt": b"id,name\n",
        "people": b"id,name\n",
        "x.people.xlsx": b"id,name\np1,x\n",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "folder.people.csv").mkdir()
    named = [*files, "folder.people.csv", "missing.people.csv"]
    assert {name: refusal(tmp_path / name) for name in named} == {
        "empty.people.csv": "empty.people.csv: the file is empty; it needs at least a header row",
        "bom.people.csv": "bom.people.csv: the file holds no header row",
        "blank.people.csv": "blank.people.csv: the first line is empty; it must be the header row",
        "x.people.txt": "x.people.txt: .txt is not a format the loader reads; use one of .csv, "
        ".xlsx, .jsonl",
        "people": "people: no extension is not a format the loader reads; use one of .csv, "
        ".xlsx, .jsonl",
        "x.people.xlsx": "x.people.xlsx: not a readable XLSX workbook (File is not a zip file)",
        "folder.people.csv": f"{tmp_path / 'folder.people.csv'}: not a file",
        "missing.people.csv": f"{tmp_path / 'missing.people.csv'}: no such file",
    }


def test_xlsx_cells_are_read_as_text_and_numbers_are_marked(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "x.people.xlsx",
        ["id", "name", "mobile", "id_number", "source", None],  # a trailing empty header cell
        ["p1", "张三", 13812341234, 3.30421199001011e17, datetime(2024, 5, 1, 9, 30)],
        [],
        ["p2", "李四", "13812341235", "33042119900101123X", date(2024, 5, 2)],
        ["p3", True, None, 1.5],
        ["p4", "王五", None, None, None, None, "beyond the header"],
    )
    table = TableFile(path)
    assert table.columns == ["id", "name", "mobile", "id_number", "source"]
    assert list(table.rows()) == [
        RawRow(
            2,
            {
                "id": "p1",
                "name": "张三",
                "mobile": "13812341234",
                "id_number": "330421199001011008",  # what is left of the ID number
                "source": "2024-05-01",
            },
            {"mobile", "id_number"},
        ),
        # row 3 is empty and skipped
        RawRow(
            4,
            {
                "id": "p2",
                "name": "李四",
                "mobile": "13812341235",
                "id_number": "33042119900101123X",
                "source": "2024-05-02",
            },
        ),
        RawRow(
            5,
            {"id": "p3", "name": "true", "mobile": "", "id_number": "1.5", "source": ""},
            {"id_number"},
        ),
        BadRow(6, "the row has values beyond the header's 5 columns"),
    ]


def test_workbooks_that_cannot_be_read_whole_are_refused(tmp_path: Path) -> None:
    """openpyxl parses a sheet as it is iterated: a sheet damaged half-way must refuse the
    file before any row is given, not end it early after some rows were loaded."""
    empty = write_xlsx(tmp_path / "empty.people.xlsx")
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>p1</t></is></c></row><row r="3"><c'
    )
    damaged = with_sheet(empty, tmp_path / "damaged.people.xlsx", lambda _: sheet)
    not_a_book = tmp_path / "zip.people.xlsx"
    with zipfile.ZipFile(not_a_book, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types")
    assert [refusal(path) for path in [empty, damaged, not_a_book]] == [
        "empty.people.xlsx: the first sheet is empty; it needs a header row",
        "damaged.people.xlsx: not a readable XLSX workbook (unclosed token: line 1, column 225)",
        "zip.people.xlsx: not a readable XLSX workbook (unclosed token: line 1, column 0)",
    ]
    gc.collect()  # a file left open by the failed parse warns here, in this test


def test_a_sheet_that_records_a_wrong_size_is_read_whole(tmp_path: Path) -> None:
    """Some writers record the used range as A1; read-only openpyxl then gives one cell."""
    whole = write_xlsx(tmp_path / "whole.xlsx", ["id", "name"], ["p1", "张三"], ["p2", "李四"])

    def recorded_as_a1(xml: str) -> str:
        assert '<dimension ref="A1:B3" />' in xml
        return xml.replace('<dimension ref="A1:B3" />', '<dimension ref="A1" />')

    wrong = with_sheet(whole, tmp_path / "x.people.xlsx", recorded_as_a1)
    table = TableFile(wrong)
    assert (table.columns, list(table.rows())) == (
        ["id", "name"],
        [RawRow(2, {"id": "p1", "name": "张三"}), RawRow(3, {"id": "p2", "name": "李四"})],
    )


def test_json_lines_rows_and_the_lines_that_are_not_rows(tmp_path: Path) -> None:
    path = tmp_path / "x.people.jsonl"
    lines = [
        '{"id": "p1", "name": "张三", "mobile": 13812341234}',
        "",
        '{"id": "p2", "name": null}',
        '{"id": "p3", "name": {"family": "王"}}',
        '["p4", "赵六"]',
        '{"id": "p5", "name": "孙七"',
        '{"id": "p6", "name": "周八", "gender": "male", "mobile": 1.3812341234E10}',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    table = TableFile(path)
    # Every field of any record is a column: a record may leave out what it has no value for.
    assert table.columns == ["id", "name", "mobile", "gender"]
    assert list(table.rows()) == [
        RawRow(1, {"id": "p1", "name": "张三", "mobile": "13812341234", "gender": ""}, {"mobile"}),
        RawRow(3, {"id": "p2", "name": "", "mobile": "", "gender": ""}),
        BadRow(4, "fields ['name'] hold objects or lists; give plain values"),
        BadRow(5, "each line must be one JSON object"),
        BadRow(6, "not valid JSON: Expecting ',' delimiter: line 1 column 26 (char 25)"),
        RawRow(
            7, {"id": "p6", "name": "周八", "mobile": "13812341234", "gender": "male"}, {"mobile"}
        ),
    ]


def test_json_lines_split_at_line_ends_only(tmp_path: Path) -> None:
    """JSON allows U+2028, U+2029 and U+0085 unescaped in a string; they end no record."""
    records = [{"id": "p1", "name": "张\u2028三"}, {"id": "p2", "name": "李\x85四\u2029"}]
    path = tmp_path / "x.people.jsonl"
    path.write_text(
        "\r\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8"
    )
    assert rows(path) == [
        RawRow(1, {"id": "p1", "name": "张\u2028三"}),
        RawRow(2, {"id": "p2", "name": "李\x85四\u2029"}),
    ]
