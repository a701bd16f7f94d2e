"""Store faults around a load: the store failing mid-load (simulated: a backend whose write
fails as LadybugDB's does on a full disk), a store another process holds for writing (real:
a second process), and a store that needs recovery (simulated: the message LadybugDB gives)."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import api.opening
from api.cli import app
from api.cli.store import STORE_FAILED
from graph.dump import dump
from graph.embedded import EmbeddedBackend
from graph.errors import GraphError
from graph.schema import SCHEMA, NodeType
from loaders.load import load

FULL_DISK = "IO exception: Cannot write to file: No space left on device"


class FullDisk(EmbeddedBackend):
    """An embedded store whose `fail_at`-th write of loaded records fails as a full disk makes
    it fail (the provenance written beside them is not counted)."""

    fail_at = 2

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writes = 0

    def upsert_nodes(self, node_type: NodeType, *args: Any, **kwargs: Any) -> None:
        if node_type not in SCHEMA.provenance:
            self.writes += 1
        if self.writes == self.fail_at:
            raise GraphError(FULL_DISK)
        super().upsert_nodes(node_type, *args, **kwargs)


def said(result: Any) -> str:
    return " ".join(result.output.split())


def load_on_a_full_disk(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Any]:
    """Five people loaded by `govgraph load` into a store made by `govgraph init` whose second
    write of records fails as a full disk makes it fail (`FullDisk`): the file and the run."""
    people = tmp_path / "t.people.csv"
    people.write_text("id,name\np1,张一\np2,张二\np3,张三\np4,张四\np5,张五\n", encoding="utf-8")
    assert runner.invoke(app, ["init"]).exit_code == 0
    monkeypatch.setattr(api.opening, "open_backend", lambda db, **_: FullDisk(Path(db)))
    return people, runner.invoke(app, ["load", "--no-progress", str(people)])


def rerun_ends_as_a_clean_run(runner: CliRunner, env: Path, people: Path, tmp_path: Path) -> None:
    """`govgraph load` of `people` (five people) run again loads every row, and the store ends
    as a clean load of it into a fresh store does."""
    rerun = runner.invoke(app, ["load", "--no-progress", str(people)])
    assert (rerun.exit_code, said(rerun)) == (
        0,
        "t.people.csv: read 5 = loaded 5 + rejected 0 + duplicates 0",
    )
    fresh = EmbeddedBackend(tmp_path / "fresh.lbdb")
    store = EmbeddedBackend(env)
    try:
        fresh.init_schema()
        assert load(fresh, [people]).ok
        assert dump(store) == dump(fresh)
    finally:
        store.close()
        fresh.close()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "g.lbdb"
    monkeypatch.setenv("GOVGRAPH_DB", str(db))
    monkeypatch.setenv("GOVGRAPH_BATCH_SIZE", "2")
    monkeypatch.setenv("GOVGRAPH_BULK_BATCH_SIZE", "2")  # a first load's batches of two too
    monkeypatch.chdir(tmp_path)
    return db


def test_a_store_failing_mid_load_ends_with_the_report_what_is_in_and_what_to_run(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    people, failed = load_on_a_full_disk(runner, tmp_path, monkeypatch)  # its second batch fails
    assert (failed.exit_code, said(failed)) == (
        STORE_FAILED,
        "t.people.csv: read 5 = loaded 2 + rejected 0 + duplicates 0 (stopped by the store's "
        "failure: 3 rows read, not written) "
        f"error: the store failed during the load: {FULL_DISK} every batch up to t.people.csv "
        "line 3 is committed; the rest of that file and any after it are not. Free disk space "
        f"or make {env} writable again, run `govgraph init` once (it recovers a store left "
        "mid-write), then run the same `govgraph load` again: what is in is loaded again "
        "unchanged.",
    )
    store = EmbeddedBackend(env)
    try:
        assert [r["id"] for r in store.read("MATCH (p:Person) RETURN p.id AS id ORDER BY id")] == [
            "p1",
            "p2",
        ]
    finally:
        store.close()
    monkeypatch.undo()
    monkeypatch.setenv("GOVGRAPH_DB", str(env))
    rerun_ends_as_a_clean_run(runner, env, people, tmp_path)
    store = EmbeddedBackend(env)
    try:
        # Provenance: the killed load's Load has no counts, so the rerun was no repeat of it and
        # asserted every person, as a clean load does.
        loads = store.read(
            "MATCH (l:Load) RETURN l.id AS id, l.read AS read, l.repeats AS repeats ORDER BY l.at"
        )
        assert [(r["read"], r["repeats"]) for r in loads] == [(None, None), (5, None)]
        held = store.read("MATCH (a:Assertion) RETURN a.id AS id, a.last_load AS last ORDER BY id")
        assert [(r["id"].rpartition("\x1f")[0], r["last"]) for r in held] == [
            (f"Person:p{i}", loads[1]["id"]) for i in range(1, 6)
        ]
    finally:
        store.close()


def test_a_first_loads_batch_made_in_parts_is_one_write(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first load makes a batch a part at a time (loaders.load.BULK_PART_ROWS) and writes it
    in one COPY: the store's second write is the second batch, and when it fails the report
    counts the first batch's rows (both its parts) as loaded and the second's as not
    written, and the rerun loads every row as a clean run does."""
    # batches of three (of five rows: four would be one batch, a quarter over it), parts of two
    monkeypatch.setenv("GOVGRAPH_BULK_BATCH_SIZE", "3")
    monkeypatch.setattr("loaders.load.BULK_PART_ROWS", 2)
    runner = CliRunner()
    people, failed = load_on_a_full_disk(
        runner, tmp_path, monkeypatch
    )  # its second batch (p4, p5) fails
    assert (failed.exit_code, said(failed)) == (
        STORE_FAILED,
        "t.people.csv: read 5 = loaded 3 + rejected 0 + duplicates 0 (stopped by the store's "
        "failure: 2 rows read, not written) "
        f"error: the store failed during the load: {FULL_DISK} every batch up to t.people.csv "
        "line 4 is committed; the rest of that file and any after it are not. Free disk space "
        f"or make {env} writable again, run `govgraph init` once (it recovers a store left "
        "mid-write), then run the same `govgraph load` again: what is in is loaded again "
        "unchanged.",
    )
    del failed  # its traceback holds the batch's Arrow table: not left for a later test
    gc.collect()
    store = EmbeddedBackend(env)
    try:
        assert [r["id"] for r in store.read("MATCH (p:Person) RETURN p.id AS id ORDER BY id")] == [
            "p1",
            "p2",
            "p3",
        ]
    finally:
        store.close()
    monkeypatch.undo()
    monkeypatch.setenv("GOVGRAPH_DB", str(env))
    monkeypatch.setattr("loaders.load.BULK_PART_ROWS", 2)
    rerun_ends_as_a_clean_run(runner, env, people, tmp_path)


def test_a_load_takes_no_more_memory_than_the_buffer_pool_it_is_given(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`govgraph load` opens the store with GOVGRAPH_BUFFER_POOL_MB, as the server does (it took
    LadybugDB's default, 80% of RAM): a COPY that needs more fails, saying what to raise, and
    the rerun with more loads every row. 100,000 people in one COPY need more than 32 MiB."""
    monkeypatch.setenv("GOVGRAPH_BULK_BATCH_SIZE", "100000")
    people = tmp_path / "t.people.csv"
    people.write_text("id,name\n" + "".join(f"P{i:06d},张{i}\n" for i in range(100_000)), "utf-8")
    runner = CliRunner()
    monkeypatch.setenv("GOVGRAPH_BUFFER_POOL_MB", "32")
    failed = runner.invoke(app, ["load", "--no-progress", str(people)])
    assert (failed.exit_code, said(failed)) == (
        STORE_FAILED,
        "t.people.csv: read 100000 = loaded 0 + rejected 0 + duplicates 0 (stopped by the "
        "store's failure: 100000 rows read, not written) error: the store failed during the "
        "load: Buffer manager exception: Unable to allocate memory! The buffer pool is full and "
        "no memory could be freed! no batch was committed. Raise GOVGRAPH_BUFFER_POOL_MB (32 "
        "MiB now), run `govgraph init` once (it recovers a store left mid-write), then run the "
        "same `govgraph load` again: what is in is loaded again unchanged.",
    )
    monkeypatch.setenv("GOVGRAPH_BUFFER_POOL_MB", "256")
    rerun = runner.invoke(app, ["load", "--no-progress", str(people)])
    assert (rerun.exit_code, said(rerun)) == (
        0,
        "t.people.csv: read 100000 = loaded 100000 + rejected 0 + duplicates 0",
    )


@pytest.fixture
def writer(env: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the store open for writing, as a load does."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, ladybug; db = ladybug.Database(sys.argv[1]); "
            "print('ready', flush=True); sys.stdin.read()",
            str(env),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
    yield holder
    holder.communicate("", timeout=30)


def test_a_server_or_a_second_load_started_during_a_load_says_why_it_cannot(
    env: Path, tmp_path: Path, writer: subprocess.Popen[str]
) -> None:
    runner = CliRunner()
    serve = runner.invoke(app, ["serve"])
    people = tmp_path / "t.people.csv"
    people.write_text("id,name\np1,张一\n", encoding="utf-8")
    second = runner.invoke(app, ["load", "--no-progress", str(people)])
    assert (serve.exit_code, said(serve)) == (
        2,
        f"error: another process has {env} open for writing (a `govgraph load` under way?); "
        "start the server when it has ended",
    )
    assert second.exit_code == 2
    assert said(second).startswith("error: IO exception: Could not set lock on file")
    assert said(second).endswith(
        "another process has the database open for writing (a running `govgraph serve`, "
        "which owns the store while it runs, or another load): stop it and try again"
    )


def test_serving_a_store_that_needs_recovery_names_the_command_that_recovers_it(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulated: a store left by kill -9 mid-checkpoint cannot be made on demand, so
    LadybugDB's refusal is given in its place."""
    EmbeddedBackend(env).close()
    import ladybug

    def pending(*args: Any, **options: Any) -> Any:
        raise RuntimeError("IO exception: checkpoint recovery pending")

    monkeypatch.setattr(ladybug, "Database", pending)
    serve = CliRunner().invoke(app, ["serve"])
    assert (serve.exit_code, said(serve)) == (
        2,
        "error: IO exception: checkpoint recovery pending — the store at "
        f"{env} needs recovery: run `GOVGRAPH_DB={env} govgraph init` once (opening it for "
        "writing recovers it; it changes no data), then try again",
    )
