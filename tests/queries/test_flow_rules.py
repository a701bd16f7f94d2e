"""The [workflow] part of the rules file: defaults from the seeds, county overrides, and errors
that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from queries.flow_rules import ACTIONS, ActionRule, Limit
from queries.rules import RulesError, load_rules


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_action_has_a_rule_and_the_defaults_are_the_documented_ones() -> None:
    flow = load_rules().workflow
    assert sorted(flow.actions) == sorted(ACTIONS)
    assert flow.action("bounce") == ActionRule(
        **{"from": ("dispatched", "handling")},
        step="routed",
        reason=True,
        approval=True,
        approvers={"dispatcher": "scope", "supervisor": "scope"},
        causes_without_approval=("dispatch_error",),
        roles={
            "department": "holder",
            "grid_worker": "holder",
            "mediator": "holder",
            "expert": "holder",
        },
    )
    assert (flow.pre_breach_share, flow.max_extensions, flow.auto_escalate) == (0.8, 2, True)
    limits = flow.limits
    assert (limits.arrive, limits.whistle_sign, limits.whistle_contact, limits.whistle_report) == (
        Limit(amount=1, unit="hours"),  # 003: one-hour arrival
        Limit(amount=1, unit="hours"),  # 吹哨报到: sign within 1 h
        Limit(amount=24, unit="hours"),  # contact within 24 h
        Limit(amount=3, unit="working_days"),  # report within 3 working days
    )
    assert flow.action("claim").kinds == ("dispute",)  # an event is never offered mediation


def test_the_warning_grading_takes_the_highest_colour_a_trigger_reaches() -> None:
    warnings = load_rules().warnings
    assert [
        warnings.colour(p, v) for p, v in [(10, 0), (2, 3), (12, 3), (5, 0), (2, 2), (4, 1)]
    ] == [
        "red",
        "orange",
        "red",
        "yellow",
        "yellow",
        None,
    ]


def test_a_county_overrides_an_action_key_by_key(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[county."331127".workflow.actions.close]\n'
        'roles = { grid_worker = "holder", dispatcher = "none" }\n'
        '[county."331127".workflow.limits]\n'
        'whistle_report = { amount = 5, unit = "working_days" }\n',
    )
    jingning, default = load_rules("331127", path), load_rules(path=path)
    assert jingning.workflow.action("close").roles == {
        "dispatcher": "none",
        "grid_worker": "holder",
    }
    assert jingning.workflow.action("close").relation("dispatcher") == "none"
    assert jingning.workflow.action("close").from_ == default.workflow.action("close").from_
    assert jingning.workflow.limits.whistle_report == Limit(amount=5, unit="working_days")
    assert default.workflow == load_rules().workflow  # another file without [workflow]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[workflow]\npre_breach_share = 1.5\n",
            r"workflow\.pre_breach_share: Input should be less than 1",
        ),
        ("[workflow]\npre_breach = 0.5\n", r"workflow\.pre_breach: Extra inputs are not permitted"),
        (
            '[workflow.actions.delete]\nfrom = ["closed"]\n',
            r"workflow: Value error, unknown actions \['delete'\]",
        ),
        (
            '[workflow.actions.close]\nroles = { janitor = "scope" }\n',
            r"workflow\.actions\.close\.roles: Value error, unknown roles \['janitor'\]",
        ),
        (
            '[workflow.actions.close]\nroles = { dispatcher = "friend" }\n',
            r"unknown relations \['friend'\]",
        ),
        (
            '[workflow.actions.close]\nfrom = ["archived"]\n',
            r"workflow\.actions\.close\.from: Value error, unknown states \['archived'\]",
        ),
        (
            '[workflow.actions.close]\nreason = "yes"\n',
            r"workflow\.actions\.close\.reason: Input should be a valid boolean",
        ),
        (
            '[workflow.limits]\narrive = { amount = 1, unit = "minutes" }\n',
            r"workflow\.limits\.arrive\.unit: Value error, unknown unit \['minutes'\]",
        ),
        (
            '[workflow.calendar]\nextra_rest_days = ["2024-02-30"]\n',
            r"workflow\.calendar\.extra_rest_days",
        ),
        (
            '[county."330421".workflow]\nmax_extensions = "two"\n',
            r"county 330421.*workflow\.max_extensions",
        ),
    ],
)
def test_a_bad_workflow_value_is_an_error_naming_its_key(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(RulesError, match=message):
        load_rules(path=_write(tmp_path, text))
