"""The ledger hands the assertions' table to the store's COPY and keeps none of it: once the
store lets go of it, nothing holds it through the commit (a load's peak)."""

from __future__ import annotations

import gc
import weakref
from datetime import datetime
from typing import Any

import pyarrow as pa

from loaders.provenance import ASSERTION, FileLoad, Ledger
from queries.calendar import CHINA_TIME


class _CopyingBackend:
    """A store with COPY that, as a COPY's rows are taken, lets go of the table and looks
    whether anything else still holds it."""

    def __init__(self) -> None:
        self.copied: list[dict[str, list[Any]]] = []
        self.held_elsewhere: list[bool] = []

    def is_empty(self, label: str) -> bool:
        return True

    def read(self, query: str, params: Any = None) -> list[Any]:
        return []

    def upsert_nodes(self, kind: Any, rows: Any, *, bulk: bool) -> None:
        if kind is not ASSERTION:
            return
        assert isinstance(rows, pa.Table)
        self.copied.append(rows.to_pydict())
        table = weakref.ref(rows)
        del rows
        gc.collect()
        self.held_elsewhere.append(table() is not None)


def test_the_assertions_table_is_handed_to_the_copy_and_not_held() -> None:
    backend = _CopyingBackend()
    ledger = Ledger(backend, datetime(2026, 12, 6, tzinfo=CHINA_TIME), batch_size=10)  # type: ignore[arg-type]
    load = FileLoad("L1", "people.csv", None)
    ledger.asserted(load, "Person", (["p1", "p2"], ["s", "s"]), ([], []))
    ledger.asserted(load, "Person", (["p3"], ["t"]), ([], []))
    ledger.flush()
    assert backend.held_elsewhere == [False]
    [copied] = backend.copied
    assert list(copied) == ["id", "source", "first_load", "last_load"]  # the fact: the id's
    assert [key.split("\x1f")[0] for key in copied["id"]] == ["Person:p1", "Person:p2", "Person:p3"]
    assert copied["source"] == ["s", "s", "t"]
    assert copied["first_load"] == ["L1"] * 3
    assert copied["last_load"] == ["L1"] * 3
