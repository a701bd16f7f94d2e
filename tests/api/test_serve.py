"""`serve`: one process owns the embedded store read-write; a load beside it is refused."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from api.app import settings_environment
from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_settings_survive_the_trip_through_the_environment(monkeypatch):
    settings = Settings(
        _env_file=None,
        db="/srv/g.lbdb",
        workers=3,
        allow_anonymous=False,
        neo4j_password="s3cret",
        mode="development",
    )
    for name in [n for n in os.environ if n.startswith("GOVGRAPH_")]:
        monkeypatch.delenv(name)
    for name, value in settings_environment(settings).items():
        monkeypatch.setenv(name, value)
    assert Settings(_env_file=None) == settings


def test_several_workers_on_the_embedded_store_are_refused(tmp_path):
    from api.app import SeveralWriters, serve

    settings = Settings(_env_file=None, db=str(tmp_path / "g.lbdb"), workers=2)
    with pytest.raises(SeveralWriters, match="owned by one server process"):
        serve(settings)


def test_a_load_beside_a_running_server_is_refused_and_the_server_goes_on(
    examples_graph, write_csv, serve_process
):
    db = examples_graph.path
    examples_graph.close()
    server, url = serve_process(db)
    try:
        people = write_csv(
            "more.people.csv",
            [
                ["id", "name", "gender", "id_number", "mobile", "profession"],
                ["JS-P-9999", "新来者", "male", "", "", ""],
            ],
        )
        env = {**os.environ, "GOVGRAPH_DB": str(db)}
        loaded = subprocess.run(
            [str(Path(sys.executable).with_name("govgraph")), "load", str(people), "--no-progress"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert loaded.returncode == 2
        assert "a running `govgraph serve`, which owns the store while it runs" in loaded.stderr
        answer = httpx.post(
            url + "/graphql", json={"query": '{ grid(id: "330421001001-G01") { name } }'}
        ).json()
        assert answer == {"data": {"grid": {"name": "日晖社区第一网格"}}}
    finally:
        server.terminate()
        server.wait(timeout=30)
