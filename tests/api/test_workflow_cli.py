"""`govgraph report`, `act` and `queue`: the workflow on the command line, as a token's person,
through the same code as the GraphQL mutations."""

import json
import re

import pytest
from typer.testing import CliRunner

from api.cli import app

GRID = "330421001001-G01"


@pytest.fixture
def run(examples_graph, tmp_path, monkeypatch):
    examples_graph.close()  # the command opens the store read-write, as a server would
    monkeypatch.setenv("GOVGRAPH_DB", str(tmp_path / "g.lbdb"))
    monkeypatch.setenv("GOVGRAPH_TOKENS", str(tmp_path / "tokens.json"))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args, token=None):
        env = {"GOVGRAPH_TOKEN": token} if token else {}
        return runner.invoke(app, [str(a) for a in args], env=env)

    return invoke


def token(run, *args):
    result = run("token", "create", *args)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_a_token_names_who_acts_and_the_list_shows_it(run, tmp_path):
    token(run, "--role", "viewer", "--person", "JS-P-0002", "--unit", f"Grid:{GRID}",
          "--workflow-role", "grid_worker")  # fmt: skip
    [stored] = json.loads((tmp_path / "tokens.json").read_text(encoding="utf-8"))["tokens"]
    assert {k: stored[k] for k in ("role", "scope", "person", "unit", "workflow_role")} == {
        "role": "viewer",
        "scope": None,
        "person": "JS-P-0002",
        "unit": f"Grid:{GRID}",
        "workflow_role": "grid_worker",
    }
    listed = run("token", "list")
    assert "JS-P-0002" in listed.output and "grid_worker" in listed.output
    bad = run("token", "create", "--role", "viewer", "--person", "JS-P-0002",
              "--workflow-role", "mayor")  # fmt: skip
    assert bad.exit_code == 2
    assert bad.output.strip() == (
        "error: 'mayor' is not a workflow role; one of grid_worker, resident, hotline, "
        "dispatcher, department, mediator, expert, supervisor"
    )


def test_report_act_replay_stale_and_queue(run):
    grid = token(run, "--role", "viewer", "--person", "JS-P-0002", "--unit", f"Grid:{GRID}",
                 "--workflow-role", "grid_worker")  # fmt: skip
    admin = token(run, "--role", "admin", "--person", "JS-P-0001", "--unit",
                  "Center:center-330421001", "--workflow-role", "dispatcher")  # fmt: skip
    reported = run(
        "report", "--place", GRID, "--title", "手术费用纠纷", "--category", "医疗纠纷",
        "--channel", "app", "--new-party", "王小明,13857321840", "--format", "json",
        token=grid,
    )  # fmt: skip
    assert reported.exit_code == 0, reported.output
    answer = json.loads(reported.stdout)
    dispute = answer["dispute"]
    assert dispute.startswith("330421-W")
    assert answer == {
        "dispute": dispute,
        "version": 1,
        "action": "report",
        "from": "new",
        "to": "reported",
        "holder": f"日晖社区第一网格 (Grid:{GRID})",
        "targets": [f"日晖社区第一网格 (Grid:{GRID})"],
        "clock": answer["clock"],
        "replayed": False,
    }
    assert answer["clock"].startswith("accept 正常 到期 ")

    accept = run("act", dispute, "accept", "--expected-version", 1, token=grid)
    again = run("act", dispute, "accept", "--expected-version", 1, token=grid)
    stale = run("act", dispute, "chase", "--expected-version", 1, token=admin)
    no_reason = run("act", dispute, "escalate", "--expected-version", 2, token=grid)
    unknown = run("act", dispute, "fly", "--expected-version", 2, token=grid)
    assert (accept.exit_code, again.exit_code) == (0, 0), accept.output
    first = accept.stdout.splitlines()
    assert first[0] == f"受理 accept: {dispute} 版本 2，待受理 → 已受理 (reported → accepted)"
    assert first[1] == f"承办: 日晖社区第一网格 (Grid:{GRID})"
    clock = r"时限: handle 正常 到期 \d{4}-\d\d-\d\d \d\d:\d\d（余 \d+h\d\dm）"
    assert re.fullmatch(clock, first[2])
    assert again.stdout.splitlines() == [
        f"受理 accept（重复请求：未再执行，这是第一次的结果）: {dispute} 版本 2，"
        "待受理 → 已受理 (reported → accepted)",
        *first[1:],
    ]
    assert (stale.exit_code, stale.output.strip()) == (
        1,
        "refused: stale_version [expectedVersion]: the dispute is at version 2, not 1: read it "
        "again and decide anew",
    )
    assert (no_reason.exit_code, no_reason.output.strip()) == (
        1,
        "refused: reason_missing [reason]: escalate needs a reason",
    )
    assert unknown.exit_code == 2 and unknown.output.startswith("error: 'fly' is not an action")

    mine = run("queue", "--view", "unit", "--format", "json", token=grid)
    everyone = run("queue", "--format", "json", token=admin)
    assert mine.exit_code == 0, mine.output
    [row] = json.loads(mine.stdout)
    assert {k: v for k, v in row.items() if k not in ("clock", "due")} == {
        "dispute": dispute,
        "title": "（已隐去）",  # a viewer's token: the title is masked, as in GraphQL
        "state": "accepted",
        "version": 2,
        "warning": None,
        "holder": f"日晖社区第一网格 (Grid:{GRID})",
        "bounces": 0,
    }
    [theirs] = json.loads(everyone.stdout)
    assert theirs["title"] == "手术费用纠纷"  # an admin sees it in full
    found = run("queue", "--search", "13857321840", "--format", "json", token=admin)
    unseen = run("queue", "--search", "13857321840", "--format", "json", token=grid)
    handling = run("queue", "--state", "handling", "--format", "json", token=admin)
    assert [r["dispute"] for r in json.loads(found.stdout)] == [dispute]
    assert (json.loads(unseen.stdout), json.loads(handling.stdout)) == ([], [])
    wrong = run("queue", "--state", "asleep", token=admin)
    assert (wrong.exit_code, wrong.output.strip()) == (
        2,
        "error: states: asleep is not one of new, reported, accepted, dispatched, open, "
        "handling, parked, fed_back, closed",
    )


def test_acting_needs_a_token_that_names_a_person(run):
    viewer = token(run, "--role", "viewer")
    result = run("queue", token="ggt_not-one-of-ours")
    assert (result.exit_code, result.output.strip()) == (
        2,
        "error: the token is not valid: it was never issued here or was removed",
    )
    refused = run("act", "330421-W1", "accept", "--expected-version", 1, token=viewer)
    assert refused.exit_code == 1
    assert refused.output.startswith("refused: wrong_role: your token names no person")


def test_tick_fires_what_is_due_once(run, tmp_path):
    from datetime import datetime

    from api import acting
    from api.auth import Caller, Role
    from graph.embedded import EmbeddedBackend
    from queries.calendar import CHINA_TIME

    grid_worker = Caller(
        Role.VIEWER, person="JS-P-0002", unit=f"Grid:{GRID}", workflow_role="grid_worker"
    )
    graph = EmbeddedBackend(tmp_path / "g.lbdb")
    try:
        reported = acting.report(
            graph, grid_worker, "r-1", kind="dispute", title="漏水", place=GRID,
            category=None, channel="grid_worker", new_parties=[acting.NewParty("王小明")],
            now=datetime(2024, 9, 2, 9, tzinfo=CHINA_TIME),
        )  # fmt: skip
        dispute = reported.dispute
        accepted = acting.act(
            graph, grid_worker, dispute, "accept", 1, "a-1",
            now=datetime(2024, 9, 2, 10, tzinfo=CHINA_TIME),
        )  # fmt: skip
        assert not isinstance(accepted.result, acting.Refusal), accepted.result
    finally:
        graph.close()
    first = run("tick", "--now", "2024-09-20T09:00")
    again = run("tick", "--now", "2024-09-20T09:00")
    assert first.exit_code == 0, first.output
    clock = f"handle@2:Grid:{GRID} 到期 2024-09-06 00:00"  # 3 working days from Monday 10:00
    assert first.stdout.splitlines() == [
        f"pre_breach {dispute} {clock} → Grid:{GRID}",
        f"breach {dispute} {clock} → Grid:{GRID}",
        f"escalated {dispute} {clock} → Center:center-330421001001",  # the ladder's next rung
    ]
    assert again.stdout == "" and again.output.strip() == "0 notification(s) recorded"
    graph = EmbeddedBackend(tmp_path / "g.lbdb")
    try:
        log = acting.EventStore(graph).log(dispute)
    finally:
        graph.close()
    assert [(e.version, e.action, e.role, e.to_state) for e in log] == [
        (1, "report", "grid_worker", "reported"),
        (2, "accept", "grid_worker", "accepted"),
        (3, "escalate", "system", "accepted"),
    ]
