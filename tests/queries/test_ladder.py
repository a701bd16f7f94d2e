"""queries/ladder.py: the kernel the features stand on, so that no feature imports another."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from queries.calendar import (
    CHINA_TIME,
    Allowance,
    CalendarNotCovered,
    Unit,
    china_calendar,
)
from queries.flow_rules import Limit
from queries.ladder import days_of, due_after, runs_on, split_due

QUERIES = Path(__file__).resolve().parents[2] / "queries"
CAL = china_calendar()
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
    """A rung's limit in days ends with a day, one in hours at an instant from the instant
    itself: 23:30 on Monday plus an hour is 00:30 on Tuesday (seeds/003_e207cda1d8a07614.txt:56,
    the one-hour arrival); from a start known only by its day an hour limit has no instant, and
    the next stage runs on from the last day its hours can reach."""
    monday = date(2021, 12, 20)
    late = datetime(2021, 12, 20, 23, 30, tzinfo=CHINA_TIME)
    hour, day_hours = Limit(amount=1, unit="hours"), Limit(amount=30, unit="hours")
    assert due_after(monday, Limit(amount=3, unit="days"), CAL) == date(2021, 12, 23)
    assert due_after(monday, Limit(amount=3, unit="working_days"), CAL) == date(2021, 12, 23)
    assert due_after(late, Limit(amount=3, unit="days"), CAL) == date(2021, 12, 23)
    assert due_after(late, hour, CAL) == datetime(2021, 12, 21, 0, 30, tzinfo=CHINA_TIME)
    assert due_after(late.astimezone(UTC), Limit(amount=1, unit="days"), CAL) == date(
        2021, 12, 21
    )  # the day is China's: 15:30 UTC is 23:30 in China
    assert due_after(monday, hour, CAL) is None
    assert due_after(None, hour, CAL) is None and due_after(monday, None, CAL) is None
    assert runs_on(monday, hour, CAL) == date(2021, 12, 21)
    assert runs_on(monday, day_hours, CAL) == date(2021, 12, 22)
    assert runs_on(late, hour, CAL) == datetime(2021, 12, 21, 0, 30, tzinfo=CHINA_TIME)
    assert split_due(date(2021, 12, 23)) == (date(2021, 12, 23), None)
    assert split_due(late) == (None, late)
    assert (days_of(Limit(amount=15)), days_of(hour), days_of(None)) == (15, None, None)
    assert (str(hour), str(day_hours), str(Limit(amount=1)), str(Limit(amount=7, unit="days"))) == (
        "1 hour",
        "30 hours",
        "1 working day",
        "7 days",
    )


@pytest.mark.parametrize(
    ("start", "amount", "due"),
    [
        # Thursday before 国庆 2024 (国办发明电〔2023〕7号): Friday 27 September, Sunday the 29th
        # worked, Monday the 30th, then 1–7 October off: the 4th and 5th working days are
        # Tuesday 8 and Wednesday 9 October (5 calendar days would end on 1 October).
        (datetime(2024, 9, 26, 15, 0, tzinfo=CHINA_TIME), 5, date(2024, 10, 9)),
        # Friday before 春节 2021 (国办发明电〔2020〕27号): Sunday 7 February worked, Monday
        # to Wednesday the 8th–10th, 11–17 February off, Thursday the 18th, Friday the 19th.
        (datetime(2021, 2, 5, 9, 0, tzinfo=CHINA_TIME), 6, date(2021, 2, 19)),
        # The start's day is not counted, whatever its hour: 23:59 on Friday 5 February 2021.
        (datetime(2021, 2, 5, 23, 59, tzinfo=CHINA_TIME), 1, date(2021, 2, 7)),
        # The provisional year: 国庆 2027's 1–3 October (fixed by law) and the weekend are
        # off; Thursday 30 September plus 2 working days is Monday 4, Tuesday 5 October.
        (datetime(2027, 9, 30, 10, 0, tzinfo=CHINA_TIME), 2, date(2027, 10, 5)),
    ],
)
def test_a_limit_in_working_days_runs_out_when_the_workflows_clock_does(
    start: datetime, amount: int, due: date, clock_day: Callable[..., date]
) -> None:
    """A rung's working days are China's (the holiday table and its make-up working days), as
    the workflow's clock for the same start and limit counts them: the due day is the day its
    clock's due instant ends, from an instant and from the start's day alike."""
    limit = Limit(amount=amount, unit="working_days")
    assert due_after(start, limit, CAL) == due == clock_day(CAL, start, amount)
    assert due_after(start.date(), limit, CAL) == due
    assert runs_on(start.date(), limit, CAL) == due  # the next stage runs on from its due day


@pytest.mark.parametrize(
    ("start", "amount", "due"),
    [
        # 45 days from Wednesday 1 September 2021 end on Saturday 16 October: Monday the 18th.
        (date(2021, 9, 1), 45, date(2021, 10, 18)),
        # 3 days from Saturday 28 September 2024 end on 1 October (国庆): Tuesday 8 October.
        (date(2024, 9, 28), 3, date(2024, 10, 8)),
        # 3 days from Thursday 26 September 2024 end on Sunday the 29th, a make-up working day.
        (date(2024, 9, 26), 3, date(2024, 9, 29)),
    ],
)
def test_a_limit_in_calendar_days_ending_on_a_rest_day_runs_to_the_next_working_day(
    start: date, amount: int, due: date, clock_day: Callable[..., date]
) -> None:
    """As statutory periods do (民事诉讼法 第八十五条) and as the workflow's clock for the same
    start and limit counts them."""
    limit = Limit(amount=amount, unit="days")
    assert due_after(start, limit, CAL) == due == clock_day(CAL, start, amount, Unit.DAYS)


def test_working_days_follow_the_countys_own_days(clock_day: Callable[..., date]) -> None:
    """A county's extra rest day (rules `[county."<code>".workflow.calendar]`) moves the rung's
    due day as it moves the workflow's clock."""
    county = CAL.with_days(rest=[date(2024, 10, 9)])
    start = datetime(2024, 9, 26, 15, 0, tzinfo=CHINA_TIME)
    limit = Limit(amount=5, unit="working_days")
    assert due_after(start, limit, county) == date(2024, 10, 10) == clock_day(county, start, 5)


def test_working_days_in_a_year_the_calendar_does_not_cover_are_its_error() -> None:
    """As the workflow's clock refuses them: the message says where to add the year."""
    with pytest.raises(CalendarNotCovered) as clock:
        CAL.due(datetime(2028, 3, 1, tzinfo=CHINA_TIME), Allowance(3, Unit.WORKING_DAYS))
    with pytest.raises(CalendarNotCovered) as rung:
        due_after(date(2028, 3, 1), Limit(amount=3, unit="working_days"), CAL)
    assert (
        str(rung.value)
        == str(clock.value)
        == (
            "2028-03-02: the holiday table queries/data/holidays-cn.csv does not cover 2028 (it "
            "covers 2019–2026); add that year's rows from the State Council's notice on its "
            "holidays (国务院办公厅关于部分节假日安排的通知)"
        )
    )
    # calendar days too: whether their last day is a rest day is the calendar's to say
    with pytest.raises(CalendarNotCovered) as days:
        due_after(date(2028, 3, 1), Limit(amount=3, unit="days"), CAL)
    with pytest.raises(CalendarNotCovered) as clock_days:
        CAL.due(datetime(2028, 3, 1, tzinfo=CHINA_TIME), Allowance(3, Unit.DAYS))
    assert str(days.value) == str(clock_days.value) == "2028-03-04" + str(clock.value)[10:]
