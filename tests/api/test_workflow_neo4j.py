"""The workflow on Neo4j: the same mutations, each one transaction that locks the dispute node
first; 20 clients on one version, one winner; and one scenario leaving the same log, states and
clocks on both backends."""

import asyncio
from datetime import datetime

import httpx
import pytest

from api import acting
from api.app import create_app
from api.auth import Caller, Role, create_token
from api.queue import rows_of
from api.settings import Settings
from loaders.load import load
from queries.calendar import CHINA_TIME
from workflow.model import Refusal
from workflow.store import EventStore, to_row

GRID = "330421001001-G01"
GRID_WORKER = Caller(
    Role.VIEWER, person="JS-P-0002", unit=f"Grid:{GRID}", workflow_role="grid_worker"
)
DISPATCHER = Caller(
    Role.MEDIATOR,
    "330421001",
    person="JS-P-0001",
    unit="Center:center-330421001",
    workflow_role="dispatcher",
)
HEALTH = Caller(
    Role.VIEWER,
    person="JS-P-0003",
    unit="Department:dept-330421-health",
    workflow_role="department",
)


@pytest.fixture
def neo4j_examples(neo4j_backend, example_files):
    assert load(neo4j_backend, example_files).rejects == []
    return neo4j_backend


def at(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=CHINA_TIME)


def drive(backend):
    """A medical dispute from the report to its close, at fixed times; the dispute's id."""
    reported = acting.report(
        backend,
        GRID_WORKER,
        "r-1",
        kind="dispute",
        title="手术费用纠纷",
        place=GRID,
        category="医疗纠纷",
        channel="app",
        receiver="Center:center-330421001",
        new_parties=[acting.NewParty("王小明", mobile="13857321840")],
        now=at("2024-09-26", 9),
    )
    assert not isinstance(reported.result, Refusal), reported.result
    dispute = reported.dispute
    steps = [
        (DISPATCHER, "accept", {}, None, (), at("2024-09-26", 10)),
        (DISPATCHER, "dispatch", {}, None, (HEALTH.unit,), at("2024-09-26", 11)),
        (HEALTH, "sign", {}, None, (), at("2024-09-27", 9)),
        (HEALTH, "request_extension", {"days": 2}, "需要调取病历", (), at("2024-09-27", 10)),
        (DISPATCHER, "approve", {"request": 5}, None, (), at("2024-09-27", 11)),
        (HEALTH, "feed_back", {}, None, (), at("2024-10-08", 9)),
        (DISPATCHER, "close", {"outcome": "settled", "settled_level": "town"}, None, (),
         at("2024-10-08", 10)),
    ]  # fmt: skip
    for version, (who, action, data, reason, targets, now) in enumerate(steps, 1):
        acted = acting.act(
            backend, who, dispute, action, version, f"k-{version}",
            targets=targets, reason=reason, data=data, now=now,
        )  # fmt: skip
        assert not isinstance(acted.result, Refusal), (action, acted.result)
    return dispute


def test_one_scenario_leaves_the_same_log_states_and_clocks_on_both_backends(
    examples_graph, neo4j_examples
):
    seen = []
    for backend in (examples_graph, neo4j_examples):
        dispute = drive(backend)
        store = EventStore(backend)
        log = store.log(dispute)
        state = store.state(dispute)
        [row] = rows_of(backend, [state], at("2024-10-08", 15))
        node = backend.read(
            "MATCH (d:Dispute {id: $id}) RETURN d.status AS status, d.outcome AS outcome, "
            "d.settled_level AS level, d.settled_on AS settled_on",
            {"id": dispute},
        )
        seen.append((dispute, [to_row(e) for e in log], state, row.clocks, node))
    assert seen[0] == seen[1]
    dispute, log, state, clocks, node = seen[0]
    assert [(r["version"], r["action"], r["from_state"], r["to_state"]) for r in log] == [
        (1, "report", "new", "reported"),
        (2, "accept", "reported", "accepted"),
        (3, "dispatch", "accepted", "dispatched"),
        (4, "sign", "dispatched", "handling"),
        (5, "request_extension", "handling", "handling"),
        (6, "approve", "handling", "handling"),
        (7, "feed_back", "handling", "fed_back"),
        (8, "close", "fed_back", "closed"),
    ]
    assert (state.state, state.version, state.outcome, state.settled_level) == (
        "closed", 8, "settled", "town"
    )  # fmt: skip
    assert [(c.name, c.status, c.limit.amount, c.due) for c in clocks] == [
        ("call_back", "within", 1, at("2024-10-10", 0))  # the end of the next working day
    ]
    assert node == [
        {"status": "feedback", "outcome": "settled", "level": "town",
         "settled_on": at("2024-10-08", 0).date()}
    ]  # fmt: skip


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_twenty_clients_on_one_version_one_wins_on_neo4j(neo4j_examples, tmp_path):
    settings = Settings(
        _env_file=None,
        tokens=str(tmp_path / "tokens.json"),
        audit_log=str(tmp_path / "audit.jsonl"),
    )
    app = create_app(settings, backend=neo4j_examples)
    dispatcher = create_token(
        settings.tokens, "mediator", "330421001", person="JS-P-0001",
        unit="Center:center-330421001", workflow_role="dispatcher",
    )  # fmt: skip
    reported = acting.report(
        neo4j_examples, GRID_WORKER, "r-20", kind="dispute", title="邻里纠纷", place=GRID,
        category=None, channel="app", receiver="Center:center-330421001",
        new_parties=[acting.NewParty("李四")],
    )  # fmt: skip
    assert not isinstance(reported.result, Refusal), reported.result
    dispute = reported.dispute
    act = """mutation($input: ActOnDisputeInput!) { actOnDispute(input: $input) {
      event { version } userErrors { code message } } }"""

    async def chase(c, i):
        response = await c.post(
            "/graphql",
            json={"query": act, "variables": {"input": {
                "disputeId": dispute, "action": "CHASE", "expectedVersion": 1,
                "idempotencyKey": f"k-{i}"}}},
            headers={"authorization": f"Bearer {dispatcher}"},
        )  # fmt: skip
        body = response.json()
        assert "errors" not in body, body
        return body["data"]["actOnDispute"]

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=120) as c:
        answers = await asyncio.gather(*(chase(c, i) for i in range(20)))
    outcomes = sorted(
        ("OK", a["event"]["version"]) if a["event"] else (a["userErrors"][0]["code"], 0)
        for a in answers
    )
    assert outcomes == [("OK", 2)] + [("STALE_VERSION", 0)] * 19
    # Each loser waited for the dispute's lock and decided on the log the winner left (had it
    # decided on a stale read, the uniqueness constraint would have refused its write instead)
    messages = {e["message"] for a in answers for e in a["userErrors"]}
    assert messages == {"the dispute is at version 2, not 1: read it again and decide anew"}
    versions = neo4j_examples.read(
        "MATCH (:Dispute {id: $d})-[:LOGGED]->(e:DisputeEvent) RETURN e.version AS v ORDER BY v",
        {"d": dispute},
    )
    assert [r["v"] for r in versions] == [1, 2]
    locks = neo4j_examples.read("MATCH (d:Dispute) WHERE d._lock IS NOT NULL RETURN count(d) AS n")
    assert locks == [{"n": 0}]  # the lock leaves nothing behind
