"""A dispute's log holds what people typed (the report's title and description, a reason): it is
shown as the dispute's title is, in full to an admin and to a mediator whose jurisdiction holds
the dispute, withheld from everyone else, in the log and in a mutation's answer alike."""

from contextlib import asynccontextmanager

import httpx
import pytest

from api.app import create_app
from api.auth import create_token
from api.settings import Settings
from graph.masking import WITHHELD

pytestmark = pytest.mark.anyio

GRID = "330421001001-G01"
REPORT = """mutation($i: ReportDisputeInput!) { reportDispute(input: $i) {
  dispute { id title } event { reason data { key value } } userErrors { message } } }"""
ACT = """mutation($i: ActOnDisputeInput!) { actOnDispute(input: $i) {
  event { reason data { key value } } userErrors { message } } }"""
LOG = (
    "query($id: ID!) { dispute(id: $id) { title workflow { log { reason data { key value } } } } }"
)
TITLE = "王大锤拖欠李四工资"
DESCRIPTION = "王大锤 13912345678 欠李四三个月工资"
REASON = "李四说王大锤13912345678不接电话"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@asynccontextmanager
async def _served(tmp_path, graph):
    settings = Settings(
        _env_file=None,
        tokens=str(tmp_path / "tokens.json"),
        audit_log=str(tmp_path / "audit.jsonl"),
    )
    path = settings.tokens
    tokens = {
        "grid": create_token(
            path, "viewer", person="JS-P-0003", unit=f"Grid:{GRID}", workflow_role="grid_worker"
        ),
        "viewer": create_token(path, "viewer"),
        "researcher": create_token(path, "researcher"),
        "outside": create_token(path, "mediator", "331127"),
        "inside": create_token(path, "mediator", "330421"),
        "admin": create_token(path, "admin"),
    }
    app = create_app(settings, backend=graph)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as c:

            async def ask(who, query, variables):
                headers = {"authorization": f"Bearer {tokens[who]}"} if who else {}
                response = await c.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=headers
                )
                body = response.json()
                assert "errors" not in body, body
                return body["data"]

            yield ask


def _data(title, description):
    return [
        {"key": "category", "value": "labour"},
        {"key": "channel", "value": "grid_worker"},
        {"key": "description", "value": description},
        {"key": "kind", "value": "dispute"},
        {"key": "level", "value": "grid"},
        {"key": "limit", "value": '{"amount": 1, "unit": "working_days"}'},
        {"key": "limit_source", "value": "workflow.limits.accept"},
        {"key": "parties", "value": "1"},
        {"key": "party_ids", "value": PARTY},
        {"key": "place", "value": GRID},
        {"key": "step", "value": "discovered"},
        {"key": "title", "value": title},
        {"key": "visits", "value": "1"},
        {"key": "warning", "value": "null"},
    ]


ACCEPTED = [
    {"key": "level", "value": "grid"},
    {"key": "limit", "value": '{"amount": 3, "unit": "working_days"}'},
    {"key": "limit_source", "value": "time_limits.grid"},
    {"key": "step", "value": "accepted"},
]
PARTY = '["Person:P-W668D89E9313C"]'  # derived from the reporter and the idempotency key


async def test_the_log_and_the_answers_show_typed_text_as_the_title(tmp_path, examples_graph):
    async with _served(tmp_path, examples_graph) as ask:
        report = {
            "idempotencyKey": "k1",
            "kind": "DISPUTE",
            "title": TITLE,
            "place": GRID,
            "channel": "GRID_WORKER",
            "description": DESCRIPTION,
            "category": "labour",
            "newParties": [{"name": "王大锤", "mobile": "13912345678"}],
        }
        reported = (await ask("grid", REPORT, {"i": report}))["reportDispute"]
        dispute = reported["dispute"]["id"]
        # the reporter's token is a viewer's: the answer withholds as the title does
        assert reported == {
            "dispute": {"id": dispute, "title": WITHHELD},
            "event": {"reason": None, "data": _data(WITHHELD, WITHHELD)},
            "userErrors": [],
        }
        act = {
            "disputeId": dispute,
            "action": "ACCEPT",
            "expectedVersion": 1,
            "idempotencyKey": "a1",
            "reason": REASON,
        }
        assert (await ask("grid", ACT, {"i": act}))["actOnDispute"] == {
            "event": {"reason": WITHHELD, "data": ACCEPTED},
            "userErrors": [],
        }
        hidden = {
            "title": WITHHELD,
            "workflow": {
                "log": [
                    {"reason": None, "data": _data(WITHHELD, WITHHELD)},
                    {"reason": WITHHELD, "data": ACCEPTED},
                ]
            },
        }
        for who in ("viewer", "researcher", "outside", None):
            assert (await ask(who, LOG, {"id": dispute}))["dispute"] == hidden, who
        shown = {
            "title": TITLE,
            "workflow": {
                "log": [
                    {"reason": None, "data": _data(TITLE, DESCRIPTION)},
                    {"reason": REASON, "data": ACCEPTED},
                ]
            },
        }
        for who in ("inside", "admin"):
            assert (await ask(who, LOG, {"id": dispute}))["dispute"] == shown, who
