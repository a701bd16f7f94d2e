"""LadybugDB's binding keeps a reference to every date it returns; the backend gives it back."""

import sys
from datetime import date, datetime

from graph.date_refs import Leak
from graph.embedded import EmbeddedBackend

DATES = (
    "UNWIND range(1, 3) AS i RETURN date('2021-03-04') AS day, [date('2021-03-05')] AS days, "
    "{at: timestamp('2021-03-04 10:30:00')} AS event, i"
)


def test_dates_read_are_held_only_by_their_rows(backend: EmbeddedBackend):
    rows = backend.read(DATES)
    assert rows == [
        {
            "day": date(2021, 3, 4),
            "days": [date(2021, 3, 5)],
            "event": {"at": datetime(2021, 3, 4, 10, 30)},
            "i": i,
        }
        for i in (1, 2, 3)
    ]
    # each held by its row and getrefcount's argument, none by the binding: freed with the row
    held = [
        (
            sys.getrefcount(row["day"]),
            sys.getrefcount(row["days"][0]),
            sys.getrefcount(row["event"]["at"]),
        )
        for row in rows
    ]
    assert held == [(2, 2, 2)] * 3


def test_reading_dates_again_and_again_keeps_none(backend: EmbeddedBackend):
    backend.read(DATES)
    before = sys.getallocatedblocks()
    for _ in range(500):
        backend.read(DATES)
    # 4,500 dates read; each kept would be a block (a few blocks come and go meanwhile)
    assert sys.getallocatedblocks() - before < 200


def test_the_write_connection_reads_give_theirs_back_too(backend: EmbeddedBackend):
    rows = backend.write_locked("Dispute", "d", lambda read: ((), read(DATES, {})))
    assert [sys.getrefcount(row["day"]) for row in rows] == [2, 2, 2]


class _Result:
    def __init__(self, values: list[object]) -> None:
        self.values = values

    def get_next(self) -> list[object]:
        return self.values

    def close(self) -> None:
        pass


class _Binding:
    """A binding that returns fresh values with no reference too many."""

    def execute(self, query: str) -> _Result:
        return _Result([date(2000, 1, 1), datetime(2000, 1, 1)])


def test_a_binding_that_does_not_leak_is_left_alone():
    leak = Leak.probe(_Binding())
    assert leak == Leak(frozenset())
    day = date(2021, 3, 4)
    leak.release([[day]], ["DATE"])
    assert sys.getrefcount(day) == 2
