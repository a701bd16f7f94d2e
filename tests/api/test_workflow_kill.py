"""The server killed with SIGKILL in the middle of a stream of mutations: the store holds whole
events only (every log replays, each event with its tie and the Dispute's projection), every
answered mutation is kept, and a restarted server carries on at the next version."""

import os
import signal
import threading
import time
from pathlib import Path

import httpx

from api.auth import create_token
from graph.embedded import EmbeddedBackend
from workflow.state import replay
from workflow.store import EventStore, projection

ROOT = Path(__file__).resolve().parents[2]
GRID = "330421001001-G01"
ACT = """mutation($input: ActOnDisputeInput!) { actOnDispute(input: $input) {
  event { version } userErrors { code message } } }"""
REPORT = """mutation($input: ReportDisputeInput!) { reportDispute(input: $input) {
  dispute { id } userErrors { code message } } }"""
STREAMS = 4


def ask(url: str, token: str, query: str, variables: dict) -> dict:
    response = httpx.post(
        url + "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def chase(url: str, token: str, dispute: str, version: int) -> dict:
    variables = {
        "input": {
            "disputeId": dispute,
            "action": "CHASE",
            "expectedVersion": version,
            "idempotencyKey": f"chase-{version}",
        }
    }
    return ask(url, token, ACT, variables)["actOnDispute"]


def test_a_server_killed_mid_stream_keeps_whole_events_and_carries_on(
    tmp_path, examples_graph, serve_process
):
    db = examples_graph.path
    examples_graph.close()
    tokens = tmp_path / "tokens.json"
    grid = create_token(
        tokens, "viewer", person="JS-P-0002", unit=f"Grid:{GRID}", workflow_role="grid_worker"
    )
    dispatcher = create_token(
        tokens, "mediator", "330421001", person="JS-P-0001",
        unit="Center:center-330421001", workflow_role="dispatcher",
    )  # fmt: skip
    server, url = serve_process(db, tokens=str(tokens))
    answered = {}  # dispute -> the last version an answer confirmed
    try:
        disputes = []
        for i in range(STREAMS):
            variables = {
                "input": {
                    "idempotencyKey": f"r-{i}",
                    "kind": "DISPUTE",
                    "title": f"邻里纠纷{i}",
                    "place": GRID,
                    "channel": "APP",
                    "receiver": "Center:center-330421001",
                    "newParties": [{"name": "王小明"}],
                }
            }
            payload = ask(url, grid, REPORT, variables)["reportDispute"]
            assert payload["userErrors"] == [], payload
            disputes.append(payload["dispute"]["id"])
            answered[disputes[-1]] = 1

        def stream(dispute: str) -> None:
            version = 1
            while True:
                try:
                    payload = chase(url, dispatcher, dispute, version)
                except (httpx.TransportError, ValueError):
                    return  # the server is gone
                assert payload["userErrors"] == [], payload
                version = payload["event"]["version"]
                answered[dispute] = version

        threads = [threading.Thread(target=stream, args=(d,)) for d in disputes]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while min(answered.values()) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(server.pid, signal.SIGKILL)  # in the middle of the stream
        server.wait(timeout=30)
        for t in threads:
            t.join(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    assert min(answered.values()) >= 4, answered

    graph = EmbeddedBackend(db)  # opening it recovers whatever the kill left
    try:
        logs = EventStore(graph).logs()
        events = graph.read("MATCH (e:DisputeEvent) RETURN count(e) AS n")[0]["n"]
        ties = graph.read("MATCH (:Dispute)-[r:LOGGED]->(:DisputeEvent) RETURN count(r) AS n")
        nodes = {
            r["id"]: r["status"]
            for r in graph.read(
                "MATCH (d:Dispute) WHERE d.id IN $ids RETURN d.id AS id, d.status AS status",
                {"ids": disputes},
            )
        }
    finally:
        graph.close()
    assert sorted(logs) == sorted(disputes)
    assert events == ties[0]["n"] == sum(len(log) for log in logs.values())
    for dispute, log in logs.items():
        assert [e.version for e in log] == list(range(1, len(log) + 1))
        state = replay(log)
        assert state is not None and state.version == len(log)
        assert nodes[dispute] == projection(state)["status"]
        # every answered mutation is kept; at most the one in flight got in unanswered
        assert answered[dispute] <= len(log) <= answered[dispute] + 1, (dispute, answered)

    server, url = serve_process(db, tokens=str(tokens))  # a restarted server carries on
    try:
        for dispute, log in logs.items():
            payload = chase(url, dispatcher, dispute, len(log))
            assert payload == {"event": {"version": len(log) + 1}, "userErrors": []}
    finally:
        server.terminate()
        server.wait(timeout=30)
