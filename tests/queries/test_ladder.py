"""queries/ladder.py: the kernel the features stand on, so that no feature imports another."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from queries.calendar import CHINA_TIME
from queries.flow_rules import Limit
from queries.ladder import days_of, due_after, runs_on, split_due

QUERIES = Path(__file__).resolve().parents[2] / "queries"
FEATURES = ("escalation", "referral", "experts", "brokerage", "flow_rules")


def _imported(module: str) -> set[str]:
    tree = ast.parse((QUERIES / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("queries."):
            found.add((node.module or "").removeprefix("queries."))
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("queries.") for a in node.names}
    return found


@pytest.mark.parametrize("feature", FEATURES)
def test_no_feature_module_imports_another(feature: str) -> None:
    assert _imported(feature) & set(FEATURES) == set()


def test_the_features_that_climb_the_chain_stand_on_the_kernel() -> None:
    assert {f for f in FEATURES if "ladder" in _imported(f)} == {
        "escalation",
        "referral",
        "experts",
    }


def test_a_limit_runs_out_on_a_day_for_days_and_at_an_instant_for_hours() -> None:
    """A rung's limit in days ends with a day (calendar days, as the ladder always counted), one
    in hours at an instant from the instant itself: 23:30 on Monday plus an hour is 00:30 on
    Tuesday (seeds/003_e207cda1d8a07614.txt:56, the one-hour arrival); from a start known only
    by its day an hour limit has no instant, and the next stage runs on from the last day its
    hours can reach."""
    monday = date(2021, 12, 20)
    late = datetime(2021, 12, 20, 23, 30, tzinfo=CHINA_TIME)
    hour, day_hours = Limit(amount=1, unit="hours"), Limit(amount=30, unit="hours")
    assert due_after(monday, Limit(amount=3, unit="days")) == date(2021, 12, 23)
    assert due_after(monday, Limit(amount=3, unit="working_days")) == date(2021, 12, 23)
    assert due_after(late, Limit(amount=3, unit="days")) == date(2021, 12, 23)
    assert due_after(late, hour) == datetime(2021, 12, 21, 0, 30, tzinfo=CHINA_TIME)
    assert due_after(late.astimezone(UTC), Limit(amount=1, unit="days")) == date(
        2021, 12, 21
    )  # the day is China's: 15:30 UTC is 23:30 in China
    assert due_after(monday, hour) is None
    assert due_after(None, hour) is None and due_after(monday, None) is None
    assert runs_on(monday, hour) == date(2021, 12, 21)
    assert runs_on(monday, day_hours) == date(2021, 12, 22)
    assert runs_on(late, hour) == datetime(2021, 12, 21, 0, 30, tzinfo=CHINA_TIME)
    assert split_due(date(2021, 12, 23)) == (date(2021, 12, 23), None)
    assert split_due(late) == (None, late)
    assert (days_of(Limit(amount=15)), days_of(hour), days_of(None)) == (15, None, None)
    assert (str(hour), str(day_hours), str(Limit(amount=1)), str(Limit(amount=7, unit="days"))) == (
        "1 hour",
        "30 hours",
        "1 working day",
        "7 days",
    )
