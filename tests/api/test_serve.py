"""`serve` with several workers: each process opens the graph read-only and answers."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def _listens(pid: int) -> bool:
    """Whether the process has the graph open: a worker does, uvicorn's supervisor does not."""
    try:
        return any(
            os.readlink(f"/proc/{pid}/fd/{fd}").endswith("g.lbdb")
            for fd in os.listdir(f"/proc/{pid}/fd")
        )
    except OSError:
        return False


def test_two_workers_each_open_the_graph_and_answer(tmp_path, examples_graph):
    db = examples_graph.path
    examples_graph.close()  # the workers open it read-only
    port = _free_port()
    settings = Settings(
        _env_file=None, db=str(db), port=port, workers=2, tokens=str(tmp_path / "t.json")
    )
    env = {**os.environ, **settings_environment(settings)}
    code = (
        "from api.app import serve; from api.settings import Settings; "
        "serve(Settings(), log_level='warning')"
    )
    server = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    try:
        answers = []
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            while time.monotonic() < deadline and len(answers) < 20:
                try:
                    response = client.post(
                        "/graphql", json={"query": '{ grid(id: "330421001001-G01") { name } }'}
                    )
                except httpx.TransportError:
                    time.sleep(0.2)
                    continue
                answers.append(response.json())
            serving = [p for p in _children(server.pid) if _listens(p)]
            while len(serving) < 2 and time.monotonic() < deadline:  # one may still start
                time.sleep(0.2)
                serving = [p for p in _children(server.pid) if _listens(p)]
        assert answers == [{"data": {"grid": {"name": "日晖社区第一网格"}}}] * 20
        assert len(serving) == 2
    finally:
        server.terminate()
        server.wait(timeout=30)
