"""The workflow over HTTP: report, act, replays, stale versions, authorisation, the queue, the
audit, and 20 clients acting on one dispute at once."""

import asyncio
import json
from contextlib import asynccontextmanager

import httpx
import pytest

from api.app import create_app
from api.auth import create_token
from api.settings import Settings

pytestmark = pytest.mark.anyio

GRID = "330421001001-G01"
REPORT = """mutation($input: ReportDisputeInput!) { reportDispute(input: $input) {
  dispute { id title status } event { version action fromState toState targets { label key } }
  userErrors { code message field } replayed } }"""
ACT = """mutation($input: ActOnDisputeInput!) { actOnDispute(input: $input) {
  dispute { id status } event { version action fromState toState reason }
  userErrors { code message field } replayed } }"""


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def app(tmp_path, examples_graph):
    settings = Settings(
        _env_file=None,
        tokens=str(tmp_path / "tokens.json"),
        audit_log=str(tmp_path / "audit.jsonl"),
    )
    app = create_app(settings, backend=examples_graph)
    path = settings.tokens
    app.state.test_tokens = {
        "grid": create_token(
            path, "viewer", person="JS-P-0002", unit=f"Grid:{GRID}", workflow_role="grid_worker"
        ),
        "dispatcher": create_token(
            path,
            "mediator",
            "330421001",
            person="JS-P-0001",
            unit="Center:center-330421001",
            workflow_role="dispatcher",
        ),
        "outsider": create_token(
            path,
            "mediator",
            "330402",
            person="JS-P-0001",
            unit="Center:center-330421",
            workflow_role="dispatcher",
        ),
        "viewer": create_token(path, "viewer"),
    }
    app.state.test_audit = tmp_path / "audit.jsonl"
    return app


@asynccontextmanager
async def client(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as c:
        yield c


async def ask(c, app, who, query, variables=None):
    token = app.state.test_tokens[who]
    response = await c.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


# The grid holding an accepted dispute may sign for it or escalate it, to the community's
# center (the ladder's next rung above the grid).
ALLOWED_ACCEPTED = [
    {"action": "SIGN", "reasonRequired": False, "approvalBy": [], "proposed": [], "inputs": []},
    {
        "action": "ESCALATE",
        "reasonRequired": True,
        "approvalBy": [],
        "proposed": [{"label": "Center", "key": "center-330421001001"}],
        "inputs": [],
    },
]
# In hand, the grid may also whistle (the referral of a medical dispute in the examples names
# no department: the list there has no health item) and escalate to the community's center.
PROPOSED_HANDLING = {
    "RECORD": {"action": "RECORD", "proposed": [], "inputs": ["RESULT"]},
    "BOUNCE": {"action": "BOUNCE", "proposed": [], "inputs": ["CAUSE"]},
    "REQUEST_EXTENSION": {"action": "REQUEST_EXTENSION", "proposed": [], "inputs": ["DAYS"]},
    "PARK": {"action": "PARK", "proposed": [], "inputs": []},
    "ESCALATE": {
        "action": "ESCALATE",
        "proposed": [{"label": "Center", "key": "center-330421001001"}],
        "inputs": [],
    },
    "WHISTLE": {"action": "WHISTLE", "proposed": [], "inputs": ["TOUGH"]},
    "RATE_RESPONSE": {"action": "RATE_RESPONSE", "proposed": [], "inputs": ["RATING"]},
    "FEED_BACK": {"action": "FEED_BACK", "proposed": [], "inputs": ["RESULT"]},
}


def report_input(key, **more):
    return {
        "idempotencyKey": key,
        "kind": "DISPUTE",
        "title": "手术费用纠纷",
        "place": GRID,
        "channel": "APP",
        "category": "医疗纠纷",
        "newParties": [{"name": "王小明", "mobile": "13857321840"}],
        **more,
    }


async def reported(c, app, key="r-1"):
    data = await ask(c, app, "grid", REPORT, {"input": report_input(key)})
    payload = data["reportDispute"]
    assert payload["userErrors"] == [], payload
    return payload["dispute"]["id"]


def act_input(dispute, action, version, key, **more):
    return {
        "input": {
            "disputeId": dispute,
            "action": action,
            "expectedVersion": version,
            "idempotencyKey": key,
            **more,
        }
    }


async def test_a_report_is_the_dispute_and_its_first_event(app, examples_graph):
    async with client(app) as c:
        bad = await ask(
            c,
            app,
            "grid",
            REPORT,
            {"input": report_input("r-0", newParties=[{"name": "李四", "idNumber": "12345"}])},
        )
        assert bad["reportDispute"]["dispute"] is None
        [error] = bad["reportDispute"]["userErrors"]
        assert (error["code"], error["field"]) == ("INVALID_INPUT", "parties.0.id_number")
        untitled = await ask(c, app, "grid", REPORT, {"input": report_input("r-0", title="")})
        written = examples_graph.read(
            "MATCH (p:Person) WHERE p.source = 'workflow' RETURN count(p) AS n", {}
        )
        data = await ask(c, app, "grid", REPORT, {"input": report_input("r-1")})
        again = await ask(c, app, "grid", REPORT, {"input": report_input("r-1")})
    payload = data["reportDispute"]
    dispute = payload["dispute"]["id"]
    assert dispute.startswith("330421-W")
    assert payload == {
        "dispute": {"id": dispute, "title": "（已隐去）", "status": "DISCOVERED"},  # a viewer
        "event": {
            "version": 1,
            "action": "report",
            "fromState": "new",
            "toState": "reported",
            "targets": [{"label": "Grid", "key": GRID}],
        },
        "userErrors": [],
        "replayed": False,
    }
    assert again["reportDispute"] == {**payload, "replayed": True}
    # refused by its own title: its new party was never written
    assert untitled["reportDispute"] == {
        "dispute": None,
        "event": None,
        "userErrors": [
            {"code": "INVALID_INPUT", "field": "title", "message": "a title is required"}
        ],
        "replayed": False,
    }
    assert written == [{"n": 0}]
    parties = examples_graph.read(
        "MATCH (p:Person)-[:PARTY_TO]->(:Dispute {id: $d}) RETURN p.name AS name, "
        "p.mobile AS mobile",
        {"d": dispute},
    )
    assert parties == [{"name": "王小明", "mobile": "13857321840"}]


async def test_actions_replays_stale_versions_and_authorisation(app, examples_graph):
    async with client(app) as c:
        dispute = await reported(c, app)
        accept = await ask(c, app, "grid", ACT, act_input(dispute, "ACCEPT", 1, "a-1"))
        replay = await ask(c, app, "grid", ACT, act_input(dispute, "ACCEPT", 1, "a-1"))
        stale = await ask(c, app, "grid", ACT, act_input(dispute, "ACCEPT", 1, "a-2"))
        wrong_role = await ask(c, app, "viewer", ACT, act_input(dispute, "CHASE", 2, "v-1"))
        outside = await ask(c, app, "outsider", ACT, act_input(dispute, "CHASE", 2, "o-1"))
        no_reason = await ask(c, app, "grid", ACT, act_input(dispute, "ESCALATE", 2, "e-1"))
        chase = await ask(c, app, "dispatcher", ACT, act_input(dispute, "CHASE", 2, "c-1"))
        wrong_state = await ask(c, app, "dispatcher", ACT, act_input(dispute, "CLOSE", 3, "x"))
        me = await ask(
            c, app, "grid", "{ me { role workflowRole person { key } actsFor { label key } } }"
        )
    assert accept["actOnDispute"] == {
        "dispute": {"id": dispute, "status": "ACCEPTED"},
        "event": {
            "version": 2,
            "action": "accept",
            "fromState": "reported",
            "toState": "accepted",
            "reason": None,
        },
        "userErrors": [],
        "replayed": False,
    }
    assert replay["actOnDispute"] == {**accept["actOnDispute"], "replayed": True}

    def codes(answer):
        return [(e["code"], e["field"]) for e in answer["actOnDispute"]["userErrors"]]

    assert codes(stale) == [("STALE_VERSION", "expectedVersion")]
    assert codes(wrong_role) == [("WRONG_ROLE", None)]
    assert codes(outside) == [("OUT_OF_SCOPE", None)]
    assert codes(no_reason) == [("REASON_MISSING", "reason")]
    assert codes(chase) == []
    assert codes(wrong_state) == [("NOT_ALLOWED_IN_STATE", None)]
    assert me["me"] == {
        "role": "viewer",
        "workflowRole": "grid_worker",
        "person": {"key": "JS-P-0002"},
        "actsFor": {"label": "Grid", "key": GRID},
    }
    versions = examples_graph.read(
        "MATCH (:Dispute {id: $d})-[:LOGGED]->(e:DisputeEvent) RETURN e.version AS v, "
        "e.action AS a ORDER BY v",
        {"d": dispute},
    )
    assert versions == [{"v": 1, "a": "report"}, {"v": 2, "a": "accept"}, {"v": 3, "a": "chase"}]
    audit = [json.loads(line) for line in app.state.test_audit.read_text().splitlines()]
    acts = [(r["query"], r["outcome"], r["reason"]) for r in audit]
    assert acts == [
        ("reportDispute", "accepted", ""),
        ("actOnDispute", "accepted", ""),
        ("actOnDispute", "accepted", ""),
        ("actOnDispute", "refused", "stale_version"),
        ("actOnDispute", "refused", "wrong_role"),
        ("actOnDispute", "refused", "out_of_scope"),
        ("actOnDispute", "refused", "reason_missing"),
        ("actOnDispute", "accepted", ""),
        ("actOnDispute", "refused", "not_allowed_in_state"),
    ]


async def test_the_workflow_field_and_the_queue(app):
    async with client(app) as c:
        dispute = await reported(c, app)
        await ask(c, app, "grid", ACT, act_input(dispute, "ACCEPT", 1, "a-1"))
        cursor = (await ask(c, app, "grid", "{ workQueue(view: ALL) { cursor } }"))["workQueue"]
        data = await ask(
            c,
            app,
            "grid",
            """query($since: String!) { disputeWorkflow: workQueue(view: UNIT) { totalCount
                items { dispute { id workflow { state version kind holder { label key }
                  clocks { name status limit unit limitSource }
                  log { version action actor { label key } actsFor { label key } }
                  allowedActions { action reasonRequired approvalBy
                                   proposed { label key } inputs } } }
                state version holder { key } clock { name status } bounces } }
              claimable: workQueue(view: CLAIMABLE) { totalCount }
              changes: queueChanges(since: $since) { rows { dispute { id } } removed }
              dispatcher: workQueue(view: ALL) { totalCount } }""",
            {"since": cursor["cursor"]},
        )
        theirs = await ask(c, app, "dispatcher", "{ workQueue(view: ALL) { totalCount } }")
        outsider = await ask(c, app, "outsider", "{ workQueue(view: ALL) { totalCount } }")
    [row] = data["disputeWorkflow"]["items"]
    workflow = row["dispute"]["workflow"]
    assert workflow == {
        "state": "accepted",
        "version": 2,
        "kind": "dispute",
        "holder": {"label": "Grid", "key": GRID},
        "clocks": [
            {
                "name": "handle",
                "status": "within",
                "limit": 3,
                "unit": "working_days",
                "limitSource": "time_limits.grid",
            }
        ],
        "log": [
            {
                "version": 1,
                "action": "report",
                "actor": {"label": "Person", "key": "JS-P-0002"},
                "actsFor": {"label": "Grid", "key": GRID},
            },
            {
                "version": 2,
                "action": "accept",
                "actor": {"label": "Person", "key": "JS-P-0002"},
                "actsFor": {"label": "Grid", "key": GRID},
            },
        ],
        "allowedActions": ALLOWED_ACCEPTED,
    }
    assert {k: row[k] for k in ("state", "version", "holder", "clock", "bounces")} == {
        "state": "accepted",
        "version": 2,
        "holder": {"key": GRID},
        "clock": {"name": "handle", "status": "within"},
        "bounces": 0,
    }
    assert data["claimable"] == {"totalCount": 0}
    assert data["changes"] == {"rows": [{"dispute": {"id": dispute}}], "removed": []}
    assert theirs == {"workQueue": {"totalCount": 1}}
    assert outsider == {"workQueue": {"totalCount": 0}}


WHISTLE_QUERY = """query($id: ID!) { dispute(id: $id) { workflow {
  whistles { department { label key name } summoner { label key } signed contacted arrived
             rating clocks { name status limit unit limitSource } }
  allowedActions { action proposed { label key } inputs } } } }"""


async def test_a_whistle_its_answers_and_what_the_holder_is_offered(app):
    """The grid holding a dispute in hand whistles the health bureau (a tough problem: five
    working days to report); the bureau signs; the page reads each department's sub-case with
    its open clocks, and the targets offered for the next actions."""
    async with client(app) as c:
        dispute = await reported(c, app)
        await ask(c, app, "grid", ACT, act_input(dispute, "ACCEPT", 1, "a-1"))
        await ask(c, app, "grid", ACT, act_input(dispute, "SIGN", 2, "a-2"))
        before = await ask(c, app, "grid", WHISTLE_QUERY, {"id": dispute})
        whistled = await ask(
            c,
            app,
            "grid",
            ACT,
            act_input(
                dispute,
                "WHISTLE",
                3,
                "a-3",
                targets=["Department:dept-330421-health"],
                reason="需卫健部门到场",
                tough=True,
            ),
        )
        after = await ask(c, app, "grid", WHISTLE_QUERY, {"id": dispute})
    assert whistled["actOnDispute"]["userErrors"] == []
    offered = {a["action"]: a for a in before["dispute"]["workflow"]["allowedActions"]}
    assert offered == PROPOSED_HANDLING
    assert after["dispute"]["workflow"]["whistles"] == [
        {
            "department": {
                "label": "Department",
                "key": "dept-330421-health",
                "name": "嘉善县卫生健康局",
            },
            "summoner": {"label": "Grid", "key": GRID},
            "signed": None,
            "contacted": None,
            "arrived": None,
            "rating": None,
            "clocks": [
                {
                    "name": "whistle_signed",
                    "status": "within",
                    "limit": 1,
                    "unit": "hours",
                    "limitSource": "workflow.limits.whistle_sign",
                },
                {
                    "name": "whistle_contacted",
                    "status": "within",
                    "limit": 24,
                    "unit": "hours",
                    "limitSource": "workflow.limits.whistle_contact",
                },
                {
                    "name": "whistle_arrived",
                    "status": "within",
                    "limit": 5,
                    "unit": "working_days",
                    "limitSource": "workflow.limits.whistle_report",
                },
            ],
        }
    ]


async def test_twenty_clients_on_one_version_one_wins(app, examples_graph):
    async with client(app) as c:
        dispute = await reported(c, app)
        await ask(c, app, "grid", ACT, act_input(dispute, "ACCEPT", 1, "a-1"))
        answers = await asyncio.gather(
            *(
                ask(c, app, "dispatcher", ACT, act_input(dispute, "CHASE", 2, f"k-{i}"))
                for i in range(20)
            )
        )
    codes = sorted(
        tuple(e["code"] for e in a["actOnDispute"]["userErrors"]) or ("OK",) for a in answers
    )
    assert codes == [("OK",)] + [("STALE_VERSION",)] * 19
    versions = examples_graph.read(
        "MATCH (:Dispute {id: $d})-[:LOGGED]->(e:DisputeEvent) RETURN e.version AS v ORDER BY v",
        {"d": dispute},
    )
    assert [r["v"] for r in versions] == [1, 2, 3]


@pytest.mark.anyio
async def test_the_notices_the_timers_sent_are_read_on_the_dispute(app, examples_graph):
    """The timers' notifications are records the API reads (to whom, why, about which clock),
    beside the escalation they led to. On fixed days, so that no holiday table runs out."""
    from datetime import datetime

    from api import acting
    from api.auth import Caller, Role
    from queries.calendar import CHINA_TIME

    grid_worker = Caller(
        Role.VIEWER, person="JS-P-0002", unit=f"Grid:{GRID}", workflow_role="grid_worker"
    )
    reported = acting.report(
        examples_graph, grid_worker, "r-1", kind="dispute", title="漏水", place=GRID,
        category=None, channel="grid_worker", new_parties=[acting.NewParty("王小明")],
        now=datetime(2024, 9, 2, 9, tzinfo=CHINA_TIME),
    )  # fmt: skip
    dispute = reported.dispute
    acting.act(
        examples_graph, grid_worker, dispute, "accept", 1, "a-1",
        now=datetime(2024, 9, 2, 10, tzinfo=CHINA_TIME),
    )  # fmt: skip
    acting.tick(examples_graph, datetime(2024, 9, 20, 9, tzinfo=CHINA_TIME))
    async with client(app) as c:
        data = await ask(
            c, app, "grid",
            """query ($id: ID!) { dispute(id: $id) { workflow { version notifications {
                recipient { label key } why clock } } } }""",
            {"id": dispute},
        )  # fmt: skip
    flow = data["dispute"]["workflow"]
    clock = f"handle@2:Grid:{GRID}"
    assert flow["notifications"] == [
        {"recipient": {"label": "Grid", "key": GRID}, "why": "pre_breach", "clock": clock},
        {"recipient": {"label": "Grid", "key": GRID}, "why": "breach", "clock": clock},
        {
            "recipient": {"label": "Center", "key": "center-330421001001"},
            "why": "escalated",
            "clock": clock,
        },
    ]
    assert flow["version"] == 3  # the escalation the breach led to
