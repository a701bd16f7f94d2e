"""How the cases and the list fields hold their values compactly (queries.cases,
queries.dispute_fields): a column's codes made wider past a byte's worth of values, keys
found all at once as one by one, and a model read and asked without pyarrow importing
pandas (34 MiB in a process that only reads)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from graph.backend import Params, Row, Written
from graph.embedded import EmbeddedBackend
from loaders.load import load
from queries import dispute_fields
from queries.dispute_fields import FIELDS, DisputeFields

ROOT = Path(__file__).resolve().parents[2]


class _Store:
    """Disputes by key, written in turn, each write naming what it wrote (as the workflow's)."""

    def __init__(self, rows: list[Row]) -> None:
        self.rows = {row["id"]: row for row in rows}
        self.version = 0
        self.journal: list[Written] = []

    def write(self, *rows: Row) -> None:
        self.rows.update({row["id"]: row for row in rows})
        self.version += 2
        about = frozenset(row["id"] for row in rows)
        self.journal.append(Written(self.version, frozenset({"Dispute"}), ("Dispute", about)))

    def writes_since(self, version: int) -> list[Written]:
        return [w for w in self.journal if w.version > version]

    def stamp(self, labels: frozenset[str]) -> int:
        return self.version

    def read(self, query: str, params: Params | None = None) -> list[Row]:
        if params is None:
            return [dict(row) for row in self.rows.values()]
        return [dict(self.rows[k]) for k in params["keys"] if k in self.rows]


def _dispute(key: str, title: str, day: int = 1) -> Row:
    return {
        "id": key, "reported_on": date(2024, 7, day), "status": "discovered", "outcome": None,
        "channel": "app", "warning": None, "settled_level": None, "title": title, "parties": 2,
    }  # fmt: skip


def _held(fields: DisputeFields) -> dict[str, tuple[Any, ...]]:
    numbers = range(fields.count)
    columns = [fields.values(at, numbers) for at in range(len(FIELDS))]
    return {fields.key(n): tuple(c[n] for c in columns) for n in numbers}


def test_a_column_past_a_bytes_worth_of_values_is_widened_and_keeps_the_values_before() -> None:
    store = _Store([_dispute(f"d{n:03}", "同一标题") for n in range(3)])
    fields = [DisputeFields.read(store)]  # type: ignore[arg-type]
    title = fields[0].columns[FIELDS.index("title")]
    assert (title.codes.typecode, title.values) == ("B", ["同一标题"])
    for n in range(300):  # a new title each: past 256 values
        store.write(_dispute(f"e{n:03}", f"标题{n}", 1 + n % 28))
        caught_up = fields[-1].caught_up(store, store.version)  # type: ignore[arg-type]
        assert caught_up is not None
        fields.append(caught_up)
    assert title.codes.typecode == "H" and fields[-1].columns[FIELDS.index("title")] is title
    expected = {k: tuple(row[f] for f in FIELDS) for k, row in store.rows.items()}
    assert _held(fields[-1]) == expected
    # the fields before see what they saw: the three read, then one more report each
    assert _held(fields[0]) == {f"d{n:03}": expected[f"d{n:03}"] for n in range(3)}
    assert _held(fields[1]) == {k: expected[k] for k in ("d000", "d001", "d002", "e000")}
    # a value among few is coded once: the same channel for all of them
    channel = fields[-1].columns[FIELDS.index("channel")]
    assert (channel.values, set(channel.codes)) == (["app"], {0})


def test_keys_found_all_at_once_are_those_found_one_by_one() -> None:
    keys = ["县-3", "a", "b/2", "ä", "县-1", "z9", "Z"]  # read in no order, some not ASCII
    store = _Store([_dispute(k, "t") for k in keys])
    fields = DisputeFields.read(store)  # type: ignore[arg-type]
    assert [fields.key(n) for n in range(fields.count)] == sorted(keys)
    store.write(_dispute("b/1", "t"), _dispute("县-2", "t"))
    later = fields.caught_up(store, store.version)  # type: ignore[arg-type]
    assert later is not None
    asked = ["县-2", "a", "不在", "b/1", "Z", "", "县-3", "zz", "b/2"]
    one_by_one = [later.numbered(k) for k in asked]
    assert one_by_one == [8, 1, None, 7, 0, None, 6, None, 2]
    assert later._numbers(asked) == [later.count if n is None else n for n in one_by_one]
    # the fields before hold none of those numbered since
    assert fields._numbers(asked) == [7, 1, 7, 7, 0, 7, 6, 7, 2]
    assert fields._numbers([]) == []


def test_a_dispute_gone_renumbers_the_rest_in_their_order() -> None:
    store = _Store([_dispute(f"d{n}", f"t{n}", n + 1) for n in range(5)])
    fields = DisputeFields.read(store)  # type: ignore[arg-type]
    store.write(_dispute("d9", "t9"))
    store.rows.pop("d1")
    store.journal.append(
        Written(store.version + 2, frozenset({"Dispute"}), ("Dispute", frozenset({"d1"})))
    )
    store.version += 2
    gone = fields.caught_up(store, store.version)  # type: ignore[arg-type]
    assert gone is not None
    assert [gone.key(n) for n in range(gone.count)] == ["d0", "d2", "d3", "d4", "d9"]
    assert _held(gone) == {k: tuple(row[f] for f in FIELDS) for k, row in store.rows.items()}
    assert gone._numbers(["d4", "d1", "d9"]) == [3, 5, 4]


_ASKED = """
import sys
from pathlib import Path
from datetime import date
from graph.embedded import EmbeddedBackend
from graph.places import DivisionCode
from queries import read_model
from queries.escalation import escalation_path
from queries.experts import expert_pool
from queries.referral import referral

backend = EmbeddedBackend(Path(sys.argv[1]), read_only=True)
assert read_model.attach(backend) is not None
county = DivisionCode.parse("330421")
keys = read_model.disputes_within(backend, county)
fields = read_model.dispute_fields(backend)
assert keys and fields is not None and fields.place(keys, county.full) is not None
day = date(2024, 12, 31)
for key in keys[:3]:
    referral(backend, dispute_id=key, as_of=day)
    expert_pool(backend, dispute_id=key, as_of=day)
escalation_path(backend, grid_id=read_model.grid_keys_within(backend, county)[0], as_of=day)
print("pandas" in sys.modules, "pyarrow" in sys.modules)
"""


def test_the_model_read_and_asked_leaves_pandas_unimported(
    tmp_path: Path, example_files: list[Path]
) -> None:
    """pyarrow imports pandas the first time it converts a Python value: the model's reads
    and answers make their Arrow values from bytes (`dispute_fields.ints`)."""
    graph = EmbeddedBackend(tmp_path / "g.lbdb")
    graph.init_schema()
    assert load(graph, example_files).rejects == []
    graph.close()
    done = subprocess.run(
        [sys.executable, "-P", "-c", _ASKED, str(tmp_path / "g.lbdb")],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    assert (done.returncode, done.stdout.split()[-2:]) == (0, ["False", "True"]), done.stderr
    assert dispute_fields.scalar(-1, "i").as_py() == -1  # (as made there)
