"""Backups: a copy made while the store is open read-only (as a server has it) restores into
an equal graph; a half-made or damaged backup, or a restore over a store, is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph.dump import dump
from graph.embedded import EmbeddedBackend
from graph.schema import SCHEMA
from loaders.backup import MANIFEST, BackupError, backup, counts, read_manifest, restore


@pytest.fixture
def store(examples_graph: EmbeddedBackend) -> Path:
    """fixtures/examples loaded into a store, closed."""
    path = examples_graph.path
    examples_graph.close()
    return Path(path)


def test_a_backup_made_beside_a_serving_store_restores_an_equal_graph(
    store: Path, tmp_path: Path
) -> None:
    serving = EmbeddedBackend(store, read_only=True)  # as a server holds it
    try:
        before = dump(serving)
        made = backup(store, tmp_path / "bk")
        assert made.counts == counts(serving) and made.counts["Person"] == 5
    finally:
        serving.close()
    held = {p.name for p in (tmp_path / "bk").iterdir()}
    assert held == {MANIFEST, *(f"export.{stem}.csv" for stem in SCHEMA.loaded_files)}
    assert restore(tmp_path / "bk", tmp_path / "restored.lbdb") == made
    restored = EmbeddedBackend(tmp_path / "restored.lbdb", read_only=True)
    try:
        assert dump(restored) == before
    finally:
        restored.close()
    assert not (tmp_path / "restored.lbdb.restoring").exists()


def test_what_backup_and_restore_refuse(store: Path, tmp_path: Path) -> None:
    made = tmp_path / "bk"
    backup(store, made)
    errors = []
    for attempt in [
        lambda: backup(store, made),
        lambda: backup(tmp_path / "none.lbdb", tmp_path / "bk2"),
        lambda: restore(made, store),
        lambda: restore(tmp_path, tmp_path / "new.lbdb"),
    ]:
        with pytest.raises(BackupError) as refused:
            attempt()
        errors.append(str(refused.value))
    assert errors[:3] == [
        f"{made} exists already; give a new folder for the backup",
        f"there is no graph at {tmp_path / 'none.lbdb'} to back up",
        f"{store} exists already: restore into a new path (GOVGRAPH_DB), or move the old store "
        "away first",
    ]
    assert errors[3].startswith(f"{tmp_path} is not a whole govgraph backup (its {MANIFEST}")
    # a backup whose tables no longer match its manifest is damaged, and nothing is restored
    manifest = json.loads((made / MANIFEST).read_text(encoding="utf-8"))
    held = dict(manifest["counts"])
    manifest["counts"]["Person"] += 1
    (made / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BackupError) as damaged:
        restore(made, tmp_path / "new.lbdb")
    assert str(damaged.value) == (
        f"{made} restored to other counts than it was made with ({held} against "
        f"{manifest['counts']}); the backup is damaged"
    )
    assert not (tmp_path / "new.lbdb").exists()
    assert not (tmp_path / "new.lbdb.restoring").exists()


def test_the_backup_and_restore_commands(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    runner = CliRunner()
    monkeypatch.setenv("GOVGRAPH_DB", str(store))
    made = runner.invoke(app, ["backup", str(tmp_path / "bk")])
    again = runner.invoke(app, ["backup", str(tmp_path / "bk")])
    monkeypatch.setenv("GOVGRAPH_DB", str(tmp_path / "new.lbdb"))
    restored = runner.invoke(app, ["restore", str(tmp_path / "bk")])
    total = sum(read_manifest(tmp_path / "bk").counts.values())
    made_on = read_manifest(tmp_path / "bk").made
    said = [(r.exit_code, r.output.replace("\n", " ").strip()) for r in (made, again, restored)]
    assert said == [
        (0, f"backed up {total} nodes and relationships of {store} to {tmp_path / 'bk'}"),
        (2, f"error: {tmp_path / 'bk'} exists already; give a new folder for the backup"),
        (0, f"restored {total} nodes and relationships (backed up {made_on}) to "
         f"{tmp_path / 'new.lbdb'}"),
    ]  # fmt: skip


def test_a_backup_keeps_the_disputes_logs(examples_graph: EmbeddedBackend, tmp_path: Path) -> None:
    """A dispute's life is its log: a restore that lost it would lose every state and clock."""
    from datetime import datetime

    from queries.calendar import CHINA_TIME, china_calendar
    from queries.rules import load_rules
    from workflow.model import Caller, Command, Facts, Ref
    from workflow.store import EventStore

    center, party = Ref("Center", "center-330421"), Caller(Ref("Person", "JS-P-0003"), "resident")
    report = dict(channel="app", title="噪声纠纷", place="330421001001-G01", category="medical",
                  parties=2, party_ids=["Person:JS-P-0003"])  # fmt: skip
    store = EventStore(examples_graph)
    store.act(
        Command("W1", "report", party, 0, "k-1", (center,), None, report),
        Facts(target_level="county", visits=1),
        datetime(2024, 7, 2, 9, tzinfo=CHINA_TIME),
        load_rules("330421"),
        china_calendar(),
    )
    logged = store.log("W1")
    path = Path(examples_graph.path)
    examples_graph.close()
    made = backup(path, tmp_path / "bk")
    assert (made.counts["DisputeEvent"], made.counts["LOGGED"]) == (1, 1)
    restore(tmp_path / "bk", tmp_path / "restored.lbdb")
    restored = EmbeddedBackend(tmp_path / "restored.lbdb")
    try:
        assert EventStore(restored).log("W1") == logged
    finally:
        restored.close()
