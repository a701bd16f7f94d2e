"""The headline commands show personal data by the API's one policy (api.answers): a mediator
with --scope sees in full what lies in their jurisdiction and masked what does not."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "examples").glob("*.csv"))
ASK = {
    "referral": ["--dispute", "JS-2024-0137"],
    "experts": ["--dispute", "JS-2024-0137"],
    "escalation": ["--dispute", "JS-2024-0137"],
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    db = tmp_path_factory.mktemp("cli") / "g.lbdb"
    runner = CliRunner(env={"GOVGRAPH_DB": str(db)})

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])

    assert invoke("load", "divisions", "--within", "330421", "--no-progress").exit_code == 0
    assert invoke("load", *EXAMPLES, "--no-progress").exit_code == 0
    return invoke


def answer(run, command, *role):
    result = run(command, *ASK[command], *role, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("command", sorted(ASK))
def test_a_mediator_of_the_county_sees_what_an_admin_sees(run, command):
    admin = answer(run, command, "--role", "admin")
    assert answer(run, command, "--role", "mediator", "--scope", "330421") == admin
    assert answer(run, command, "--role", "viewer") != admin  # there is something to mask


@pytest.mark.parametrize("command", sorted(ASK))
def test_a_mediator_elsewhere_or_without_a_scope_sees_what_a_viewer_sees(run, command):
    viewer = answer(run, command, "--role", "viewer")
    assert answer(run, command, "--role", "mediator", "--scope", "331127") == viewer
    assert answer(run, command, "--role", "mediator") == viewer


def test_a_scope_goes_with_a_mediator_only(run):
    result = run("referral", *ASK["referral"], "--role", "viewer", "--scope", "330421")
    assert (result.exit_code, result.output) == (
        2,
        "error: --scope goes with --role mediator, not with --role viewer\n",
    )


def test_a_scope_is_a_division_code(run):
    result = run("referral", *ASK["referral"], "--role", "mediator", "--scope", "33x")
    assert (result.exit_code, result.output) == (
        2,
        "error: --scope: '33x' is not a division code; give its 12 digits (e.g. 330421000000 "
        "for 嘉善县) or its significant prefix (330421)\n",
    )


def test_a_limit_is_shown_with_its_unit_and_the_json_keeps_amount_and_unit(run):
    """The rules' bare day limits are the county's working days: the grid team's 3 个工作日 and
    its due day; the JSON answer carries each limit as amount and unit, and a null due instant
    beside a due day."""
    steps = answer(run, "referral", "--role", "viewer")["steps"]
    first = steps[0]
    assert (first["part"], first["limit"], first["due_at"]) == (
        "first_responder",
        {"amount": 3, "unit": "working_days"},
        None,
    )
    assert {(s["limit"]["unit"], s["due_at"]) for s in steps} == {("working_days", None)}
    table = run("referral", *ASK["referral"], "--format", "csv")
    assert table.exit_code == 0, table.output
    header, row = table.stdout.lstrip("\ufeff").splitlines()[:2]
    assert header.split(",")[:6] == ["#", "part", "level", "actor", "limit", "due"]
    assert row.split(",")[4:6] == ["3 个工作日", first["due"]]
