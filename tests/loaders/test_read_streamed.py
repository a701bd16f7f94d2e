"""A CSV file read a part of its bytes at a time, both when a load first reads it and when it
reads its rows: neither holds the file's bytes or text whole (the city's disputes' log, 243 MiB,
held while its rows were read, was a quarter of a first load's peak)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

import loaders.read
from loaders.read import FileRejected, Lines, TableFile

ROWS = 12_000


def _log(path: Path, encoding: str = "utf-8") -> int:
    """A quoted log of ROWS rows, some 18 MiB as UTF-8; its size in bytes."""
    lines = ["id,dispute,data"]
    for i in range(ROWS):
        note = "调解员到场" * 100  # 500 Chinese characters: three bytes each in UTF-8
        lines.append(f'e{i},d{i // 10},"{{""note"": ""{note}"", ""n"": {i}}}"')
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path.stat().st_size


def _highest(work: object) -> tuple[object, int]:
    """What `work()` gives, and the most memory Python held for it at once."""
    tracemalloc.start()
    try:
        done = work()  # type: ignore[operator]
        return done, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_files_first_reading_and_its_rows_hold_a_part_of_it_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loaders.read, "_PART_BYTES", 1 << 18)
    path = tmp_path / "t.dispute_events.csv"
    size = _log(path)
    table, first = _highest(lambda: TableFile(path, free_text=["data"]))
    assert isinstance(table, TableFile)
    assert table.lines == Lines(total=ROWS + 1)

    def rows() -> int:  # each chunk let go as the loader does, once validated and batched
        return sum(len(chunk) for chunk in table.chunks(100))

    read, reading = _highest(rows)
    assert read == ROWS
    assert table.lines == Lines(total=ROWS + 1)
    # a part (256 KiB) of bytes and its text, a chunk's rows: not the file's bytes (18 MiB), nor
    # its text (twice that) as they were held before
    assert size > 15 << 20
    assert first < size // 3
    assert reading < size // 3


def test_a_file_not_utf8_is_read_whole_at_first_and_gives_the_same_rows(tmp_path: Path) -> None:
    """GB18030 is told from its whole text (Big5 looks like it); its rows still come a part
    at a time, the same as UTF-8's."""
    rows = {}
    for encoding in ("utf-8", "gb18030", "utf-16"):
        path = tmp_path / f"{encoding}.dispute_events.csv"
        _log(path, encoding)
        table = TableFile(path, free_text=["data"])
        rows[encoding] = (table.columns, list(table.rows()), table.lines)
    assert rows["gb18030"] == rows["utf-8"]
    assert rows["utf-16"] == rows["utf-8"]
    assert len(rows["utf-8"][1]) == ROWS


@pytest.mark.parametrize("part", [7, 1 << 10])
def test_a_file_rewritten_while_its_rows_are_read_is_refused_at_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, part: int
) -> None:
    """Its bytes are no longer held, so a file written over in place while its rows are read is
    found by the digest of what was read, when the reading ends."""
    monkeypatch.setattr(loaders.read, "_PART_BYTES", part)
    path = tmp_path / "t.people.csv"
    path.write_text("id,name\n" + "".join(f"p{i},王{i}\n" for i in range(500)), encoding="utf-8")
    table = TableFile(path)
    chunks = table.chunks(10)
    next(chunks)
    with path.open("r+b") as f:  # the same length, in place: the last row's p499 → q499
        f.seek(-len("p499,王499\n".encode()), 2)
        f.write(b"q")
    with pytest.raises(FileRejected) as refused:
        list(chunks)
    assert str(refused.value) == (
        "t.people.csv: the file changed while the load was reading it; load it again"
    )
