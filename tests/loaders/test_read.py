"""Reading CSV, XLSX and JSON Lines files as rows of text, each with the line it came from."""

from __future__ import annotations

import codecs
import gc
import json
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from loaders.read import BadRow, FileRejected, Lines, RawRow, TableFile, decode, type_stem

WriteCsv = Callable[..., Path]  # the `write_csv` fixture
TEXT = "id,name\np1,嘉善县魏塘街道\n"


def rows(path: Path, free_text: tuple[str, ...] = ()) -> list[RawRow | BadRow]:
    return list(TableFile(path, free_text=free_text).rows())


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


def test_utf8_with_or_without_bom_gbk_and_utf16_with_bom_decode_alike() -> None:
    """UTF-16 with its byte-order mark is what Excel's "Unicode text" export writes."""
    encodings = ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-be"]
    data = [TEXT.encode(e) for e in encodings]
    data[-1] = codecs.BOM_UTF16_BE + data[-1]  # utf-16-be writes no mark of its own
    assert [decode(d) for d in data] == [TEXT] * 6


# Traditional Chinese in Big5: valid GB18030 too, where it reads as other characters.
BIG5 = "id,name,address\np1,張偉,臺北市中正區重慶南路一段122號\np2,陳美麗,新竹縣竹北市光明六路\n"


def test_a_file_in_no_encoding_that_can_be_told_is_refused() -> None:
    refusals = []
    for data in [
        "id,name\np1,José\n".encode("latin-1"),
        codecs.BOM_UTF16_LE + b"i\x00d\x00\x00\xd8",  # a lone surrogate
        BIG5.encode("big5"),
    ]:
        with pytest.raises(FileRejected) as refused:
            decode(data)
        refusals.append(str(refused.value))
    assert refusals == [
        "the file is neither UTF-8 nor GB18030 (byte 0xe9 at offset 14); save it as UTF-8",
        "the file starts with a UTF-16 byte-order mark but is not UTF-16 (at byte 6); save it "
        "as UTF-8",
        "the file is not UTF-8, and read as GB18030 (GBK) it gives mostly rare characters "
        "(眎岸籓跋紋玭隔琿): it is probably Big5 (traditional Chinese), an encoding that cannot "
        "be told apart from GBK for sure; save it as UTF-8",
    ]


def test_gbk_with_rare_characters_and_traditional_gbk_are_not_taken_for_big5() -> None:
    rare = "id,name\np1,王堃\np2,李喆\np3,张彧\np4,刘犇\n"  # outside GB2312, inside GBK
    traditional = "id,name\np1,張偉\np2,陳美麗\n"  # GBK holds traditional characters too
    assert [decode(rare.encode("gbk")), decode(traditional.encode("gbk"))] == [rare, traditional]


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
    table = TableFile(path, free_text={"name"})
    assert list(table.rows()) == [
        RawRow(2, {"id": "p1", "name": "张三"}),
        # line 3 is blank and skipped; the quoted free text on lines 4-5 keeps its line break
        RawRow(4, {"id": "p2", "name": "李\n四"}),
        RawRow(6, {"id": "p3", "name": "王\x00五"}),  # validation rejects the NUL
        BadRow(7, "the row has 1 cells, the header 2"),
        BadRow(8, "the row has 3 cells, the header 2"),
        RawRow(9, {"id": "p6", "name": "赵六"}),
    ]
    # 9 lines: the header, a blank one, a second line of a row, and 6 rows read
    assert table.lines == Lines(total=9, header=1, blank=1, within=1)
    assert table.lines.rows == 6


QUOTED = "lines 3–4 read as one record: {}; a quote on line 3 is probably missing, extra or not "
QUOTED += 'doubled (write "" for a quote inside a quoted cell)'


def test_a_misplaced_quote_rejects_every_line_it_merges(tmp_path: Path) -> None:
    """The quote opened on line 3 closes on line 4: read as one record, 王二 would have taken
    张三's ID number and mobile, and 张三 would have vanished."""
    path = tmp_path / "x.people.csv"
    path.write_text(
        "id,name,id_number,mobile\n"
        "p1,李一,330421199001011008,13812340001\n"
        'p2,"王二,330421199001011016,13812340002\n'
        'p3,张三",330421199001011024,13812340003\n'
        "p4,赵四,330421199001011032,13812340004\n",
        encoding="utf-8",
    )
    table = TableFile(path, free_text={"title"})
    why = QUOTED.format("the name cell holds a line break (only free text may: title)")
    assert list(table.rows()) == [
        RawRow(2, dict(id="p1", name="李一", id_number="330421199001011008", mobile="13812340001")),
        BadRow(3, why, "name"),
        BadRow(4, why, "name"),
        RawRow(5, dict(id="p4", name="赵四", id_number="330421199001011032", mobile="13812340004")),
    ]
    assert table.lines.rows == 4


def test_quotes_that_would_undercount_rows_reject_each_line(tmp_path: Path) -> None:
    cases = {
        # a quote never closed swallows the rest of the file
        "unclosed": 'id,name\np1,a\np2,"b\np3,c\n',
        # a record of the wrong width across two lines
        "width": 'id,name\np1,a\np2,"b\nx",c,d\np4,e\n',
        # a quoted cell closed before the cell ends: strict reading refuses `"b"x`
        "closed early": 'id,name\np1,a\np2,"b"x\np3,c\n',
    }
    found = {}
    for name, text in cases.items():
        path = tmp_path / f"{name}.people.csv"
        path.write_text(text, encoding="utf-8")
        table = TableFile(path)
        found[name] = (list(table.rows()), table.lines.rows)
    assert found == {
        "unclosed": (
            [
                RawRow(2, {"id": "p1", "name": "a"}),
                BadRow(3, QUOTED.format("unreadable CSV: unexpected end of data")),
                BadRow(4, QUOTED.format("unreadable CSV: unexpected end of data")),
            ],
            3,
        ),
        "width": (
            [
                RawRow(2, {"id": "p1", "name": "a"}),
                BadRow(3, QUOTED.format("the row has 4 cells, the header 2")),
                BadRow(4, QUOTED.format("the row has 4 cells, the header 2")),
                RawRow(5, {"id": "p4", "name": "e"}),
            ],
            4,
        ),
        "closed early": (
            [
                RawRow(2, {"id": "p1", "name": "a"}),
                BadRow(3, "unreadable CSV: ',' expected after '\"'"),
                RawRow(4, {"id": "p3", "name": "c"}),
            ],
            3,
        ),
    }


def test_files_over_the_size_or_line_limit_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.people.csv"
    path.write_text("id,name\np1,a\np2,b\np3,c\n", encoding="utf-8")
    with pytest.raises(FileRejected) as big:
        TableFile(path, max_bytes=10)
    with pytest.raises(FileRejected) as long:
        TableFile(path, max_rows=2)
    assert [str(big.value), str(long.value)] == [
        "x.people.csv: 23 bytes, more than the 10 a file may have (GOVGRAPH_LOAD_MAX_BYTES); "
        "split it into several files of the same type",
        "x.people.csv: 3 lines after the header, more than the 2 a file may have "
        "(GOVGRAPH_LOAD_MAX_ROWS); split it into several files of the same type",
    ]
    assert len(list(TableFile(path, max_bytes=23, max_rows=3).rows())) == 3


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
            {"id_number"},  # a decimal number: 3.30421199001011e17
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
            7,
            {"id": "p6", "name": "周八", "mobile": "13812341234", "gender": "male"},
            {"mobile"},
            {"mobile"},
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


def test_xlsx_merged_cells_and_formulas_without_a_saved_value_reject_their_rows(
    tmp_path: Path,
) -> None:
    book = Workbook()
    sheet = book.active
    for row in [
        ["id", "name", "grid"],
        ["p1", "张三", "g1"],
        ["p2", "李四", None],  # grid merged with the row above: it reads as empty
        ["p3", "王五", "=C2"],  # a formula openpyxl saves without its value
        ["p4", "赵六", "g2"],
        [],
    ]:
        sheet.append(row)
    sheet.merge_cells("C2:C3")
    book.save(tmp_path / "x.people.xlsx")
    table = TableFile(tmp_path / "x.people.xlsx")
    merged = (
        "cells C2:C3 are merged: the value shows once but stands for every cell of the merge, "
        "which the file leaves empty; unmerge them and fill every cell"
    )
    assert list(table.rows()) == [
        BadRow(2, merged),
        BadRow(3, merged),
        BadRow(
            4,
            "cell C4 holds a formula whose value was never saved; open the file in Excel and "
            "save it again, or paste the values in place of the formulas",
            "grid",
        ),
        RawRow(5, {"id": "p4", "name": "赵六", "grid": "g2"}),
    ]
    assert table.lines == Lines(total=5, header=1)


def test_a_formula_with_its_saved_value_reads_as_the_value(tmp_path: Path) -> None:
    made = write_xlsx(tmp_path / "made.xlsx", ["id", "name"], ["p1", "=UPPER(A2)"])

    def saved(xml: str) -> str:
        assert '<c r="B2"><f>UPPER(A2)</f><v /></c>' in xml
        return xml.replace(
            '<c r="B2"><f>UPPER(A2)</f><v /></c>', '<c r="B2" t="str"><f>UPPER(A2)</f><v>P1</v></c>'
        )

    path = with_sheet(made, tmp_path / "x.people.xlsx", saved)
    assert rows(path) == [RawRow(2, {"id": "p1", "name": "P1"})]


def test_a_workbook_with_more_than_one_sheet_of_values_is_refused(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["id", "name"])
    book.active.append(["p1", "张三"])
    book.create_sheet("说明")  # an empty sheet is harmless
    book.create_sheet("第二批").append(["p2", "李四"])
    book.save(tmp_path / "x.people.xlsx")
    merged_header = write_xlsx(tmp_path / "h.people.xlsx", ["id", "name", None], ["p1", "张三"])
    book = load_workbook(merged_header)
    book.active.merge_cells("B1:C1")
    book.save(merged_header)
    assert [refusal(tmp_path / "x.people.xlsx"), refusal(merged_header)] == [
        "x.people.xlsx: the workbook holds 2 sheets with values (also 第二批); the loader "
        "reads one sheet per file: save each sheet as a file of its own, named for the type "
        "it holds",
        "h.people.xlsx: header cells B1:C1 are merged; unmerge them",
    ]


def test_json_lines_nan_and_infinity_are_rejected_not_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "x.people.jsonl"
    path.write_text(
        '{"id": "p1", "households": NaN}\n{"id": "p2", "households": -Infinity}\n'
        '{"id": 1001.0}\n\n',
        encoding="utf-8",
    )
    table = TableFile(path)
    assert list(table.rows()) == [
        BadRow(1, "not valid JSON: NaN is not a JSON value; write null for a missing value"),
        BadRow(2, "not valid JSON: -Infinity is not a JSON value; write null for a missing value"),
        RawRow(3, {"id": "1001"}, {"id"}, {"id"}),  # validation rejects a decimal key
    ]
    assert table.lines == Lines(total=4, header=0, blank=1)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_a_file_read_a_few_bytes_at_a_time_gives_the_rows_and_lines_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoding: str
) -> None:
    """A file's rows are decoded a part of its bytes at a time (`loaders.read._PART_BYTES`):
    parts of 1 to 7 bytes split characters, \\r\\n and quoted cells spanning lines, and give the
    same rows, lines and bad rows as one part of the whole file."""
    import loaders.read

    quoted = 'id,note\r\np1,"调解\r\n两次"\r\np2,"a""b"\r\n\r\np3,x"y\rp4,\'=1\np5,王\n'
    plain = "id,note\rp1,调解\r\rp2,'=1\r\np3\n"
    wholes = []
    for number, text in enumerate((quoted, plain)):
        path = tmp_path / f"{number}.people.csv"
        path.write_bytes(text.encode(encoding))

        def read(part: int, path: Path = path) -> tuple[list[RawRow | BadRow], Lines]:
            monkeypatch.setattr(loaders.read, "_PART_BYTES", part)
            table = TableFile(path, free_text=["note"])
            return list(table.rows()), table.lines

        whole = read(1 << 20)
        assert [read(part) for part in range(1, 8)] == [whole] * 7
        wholes.append(whole)
    assert wholes == [
        (
            [
                RawRow(2, {"id": "p1", "note": "调解\r\n两次"}),
                RawRow(4, {"id": "p2", "note": 'a"b'}),
                RawRow(6, {"id": "p3", "note": 'x"y'}),
                RawRow(7, {"id": "p4", "note": "=1"}),
                RawRow(8, {"id": "p5", "note": "王"}),
            ],
            Lines(total=8, header=1, blank=1, within=1),
        ),
        (
            [
                RawRow(2, {"id": "p1", "note": "调解"}),
                RawRow(4, {"id": "p2", "note": "=1"}),
                BadRow(5, "the row has 1 cells, the header 2"),
            ],
            Lines(total=5, header=1, blank=1, within=0),
        ),
    ]
