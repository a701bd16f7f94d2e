"""A load's buffer pool: at most GOVGRAPH_LOAD_BUFFER_POOL_MB of GOVGRAPH_BUFFER_POOL_MB, since
a COPY's commit fills what the pool leaves with pages it has written (docs/benchmarks.md), and
a load the pool stops says which of the two to raise."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.cli.store import STORE_FAILED
from api.opening import buffer_pool_mb
from api.settings import Settings


def test_a_load_takes_at_most_its_own_pool_and_anything_else_the_whole() -> None:
    def pools(whole: int, load: int) -> tuple[int, int]:
        given = Settings(buffer_pool_mb=whole, load_buffer_pool_mb=load)
        return buffer_pool_mb(given, loading=True), buffer_pool_mb(given, loading=False)

    assert pools(2048, 384) == (384, 2048)
    assert pools(256, 384) == (256, 256)  # the smaller bound holds
    assert pools(0, 384) == (384, 0)  # 0: LadybugDB's default, 80% of RAM, for all but a load
    assert pools(2048, 0) == (2048, 2048)  # 0: the load takes the whole pool
    assert Settings().load_buffer_pool_mb == 384


def _people(tmp_path: Path) -> Path:
    people = tmp_path / "t.people.csv"
    people.write_text("id,name\n" + "".join(f"P{i:06d},张{i}\n" for i in range(100_000)), "utf-8")
    return people


def test_a_load_its_own_pool_stops_says_to_raise_it_and_the_rerun_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100,000 people in one COPY need more than 32 MiB: the load, not the server's pool, fails."""
    monkeypatch.setenv("GOVGRAPH_DB", str(tmp_path / "g.lbdb"))
    monkeypatch.setenv("GOVGRAPH_BULK_BATCH_SIZE", "100000")
    monkeypatch.setenv("GOVGRAPH_BUFFER_POOL_MB", "2048")
    monkeypatch.setenv("GOVGRAPH_LOAD_BUFFER_POOL_MB", "32")
    monkeypatch.chdir(tmp_path)
    people = _people(tmp_path)
    runner = CliRunner()
    failed = runner.invoke(app, ["load", "--no-progress", str(people)])
    said = " ".join(failed.output.split())
    assert failed.exit_code == STORE_FAILED
    assert "The buffer pool is full" in said
    assert "no batch was committed. Raise GOVGRAPH_LOAD_BUFFER_POOL_MB (32 MiB now), run" in said
    monkeypatch.setenv("GOVGRAPH_LOAD_BUFFER_POOL_MB", "256")
    rerun = runner.invoke(app, ["load", "--no-progress", str(people)])
    assert (rerun.exit_code, " ".join(rerun.output.split())) == (
        0,
        "t.people.csv: read 100000 = loaded 100000 + rejected 0 + duplicates 0",
    )
