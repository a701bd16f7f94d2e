"""queries.calendar: China's holiday table and the legal convention for periods."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queries.calendar import (
    CHINA_TIME,
    Allowance,
    CalendarError,
    CalendarNotCovered,
    Unit,
    china_calendar,
    county_calendar,
    read_table,
)
from queries.rules import Rules

CAL = china_calendar()


def at(day: str, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), CHINA_TIME).replace(
        hour=hour, minute=minute
    )


def test_the_table_covers_2019_to_2026() -> None:
    assert sorted(CAL.years) == list(range(2019, 2027))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2021-09-26", True),  # a Sunday worked for National Day (国办发明电〔2020〕27号)
        ("2021-10-01", False),
        ("2021-10-07", False),  # a Thursday of the holiday
        ("2021-10-08", True),
        ("2021-10-09", True),  # a Saturday worked
        ("2021-10-10", False),
        ("2020-01-31", False),  # the 2020 Spring Festival, extended to 2 February
        ("2020-02-01", False),  # its make-up Saturday lapsed with the extension
        ("2020-02-03", True),
        ("2024-02-04", True),  # a Sunday worked before the 2024 Spring Festival
        ("2025-01-28", False),  # 除夕 is a holiday from 2025
        ("2026-02-28", True),  # a Saturday worked after the 2026 Spring Festival
        ("2026-03-02", True),  # an ordinary Monday
        ("2026-03-07", False),  # an ordinary Saturday
    ],
)
def test_working_days_follow_the_state_councils_notices(day: str, working: bool) -> None:
    assert CAL.is_working_day(date.fromisoformat(day)) is working


def test_a_year_the_table_does_not_cover_is_an_error_that_says_where_to_add_it() -> None:
    with pytest.raises(CalendarNotCovered) as caught:
        CAL.is_working_day(date(2028, 3, 1))
    assert str(caught.value) == (
        "2028-03-01: the holiday table queries/data/holidays-cn.csv does not cover 2028 (it "
        "covers 2019–2026); add that year's rows from the State Council's notice on its "
        "holidays (国务院办公厅关于部分节假日安排的通知)"
    )
    with pytest.raises(CalendarNotCovered):
        CAL.is_working_day(date(2018, 12, 31))


def test_the_year_after_the_table_counts_monday_to_friday_until_its_rows_are_added() -> None:
    """A clock started in December runs into a January whose notice may not be in the table
    yet: those days count Monday to Friday, without the holidays the law fixes by date."""
    assert CAL.provisional_year == 2027
    week = [CAL.is_working_day(date(2027, 1, d)) for d in range(1, 8)]  # Friday to Thursday
    assert week == [False, False, False, True, True, True, True]  # 元旦, then the weekend
    may_day = [CAL.is_working_day(date(2027, 4, 30) + timedelta(days=i)) for i in range(4)]
    assert may_day == [True, False, False, True]  # Friday, 劳动节 Saturday–Sunday, Monday
    # Reported on Tuesday 2026-12-29: day 1 Wednesday the 30th, day 2 Thursday the 31st,
    # day 3 Monday 2027-01-04.
    due = CAL.due(at("2026-12-29", 10), Allowance(3, Unit.WORKING_DAYS))
    assert due == at("2027-01-05")  # the end of Monday the 4th


def test_working_days_start_counting_the_day_after_and_skip_rest_days() -> None:
    # Reported on Friday 2024-05-24 at 17:00: day 1 is Monday the 27th, day 3 Wednesday.
    due = CAL.due(at("2024-05-24", 17), Allowance(3, Unit.WORKING_DAYS))
    assert due == at("2024-05-30")  # the end of Wednesday the 29th


def test_national_day_holds_a_working_day_clock() -> None:
    # Sent on Monday 2024-09-30: Oct 1–7 rest; Oct 8 is day 1, Oct 12 (a Saturday worked) day 5.
    due = CAL.due(at("2024-09-30", 10), Allowance(5, Unit.WORKING_DAYS))
    assert due == at("2024-10-13")


def test_a_period_in_days_ending_on_a_rest_day_ends_on_the_next_working_day() -> None:
    # 30 days from 2024-09-05: the last day would be Saturday 5 October, in the holiday.
    assert CAL.due(at("2024-09-05", 15), Allowance(30, Unit.DAYS)) == at("2024-10-09")
    assert CAL.due(at("2024-09-03", 15), Allowance(30, Unit.DAYS)) == at("2024-10-09")
    assert CAL.due(at("2024-09-01", 15), Allowance(30, Unit.DAYS)) == at("2024-10-09")
    # 31 August 2024 is a Saturday: the period ends with Monday 2 September.
    assert CAL.due(at("2024-08-01", 15), Allowance(30, Unit.DAYS)) == at("2024-09-03")
    # A last day that is a working day ends the period itself (Monday 2 September).
    assert CAL.due(at("2024-08-03", 15), Allowance(30, Unit.DAYS)) == at("2024-09-03")


def test_hours_are_wall_clock_from_the_instant_itself() -> None:
    # The whistle's 1 h sign-in and 24 h contact run through the night and the holiday.
    assert CAL.due(at("2024-10-01", 23, 30), Allowance(1, Unit.HOURS)) == at("2024-10-02", 0, 30)
    assert CAL.due(at("2024-10-01", 9), Allowance(24, Unit.HOURS)) == at("2024-10-02", 9)


def test_an_urgent_limit_in_hours_does_not_wait_for_a_working_day() -> None:
    # 景宁 (003): 接到指令后1个小时内到达现场. An order on Friday 24 May 2024 at 23:30 must be met
    # on site by Saturday 00:30, though a working-day limit from the same instant runs on to
    # the end of Monday.
    friday = at("2024-05-24", 23, 30)
    assert CAL.due(friday, Allowance(1, Unit.HOURS)) == at("2024-05-25", 0, 30)
    assert CAL.due(friday, Allowance(1, Unit.WORKING_DAYS)) == at("2024-05-28")
    assert CAL.due(at("2024-05-24", 18), Allowance(48, Unit.HOURS)) == at("2024-05-26", 18)


def test_paused_spans_are_not_counted_and_an_open_pause_stops_the_clock() -> None:
    start, limit = at("2024-05-20", 9), Allowance(3, Unit.WORKING_DAYS)
    assert CAL.due(start, limit) == at("2024-05-24")
    # Parked from Tuesday noon to Thursday noon: two working days more.
    parked = [(at("2024-05-21", 12), at("2024-05-23", 12))]
    assert CAL.due(start, limit, parked) == at("2024-05-28")
    assert CAL.counted(start, Unit.WORKING_DAYS, at("2024-05-23", 18), parked) == timedelta(
        hours=12 + 6
    )
    assert CAL.due(start, limit, [(at("2024-05-21", 12), None)]) is None


def test_a_county_adds_its_own_rest_and_working_days() -> None:
    rules = Rules.model_validate(
        {"workflow": {"calendar": {"extra_rest_days": ["2024-04-11"], "extra_work_days": []}}}
    )
    county = county_calendar(rules)
    assert county.is_working_day(date(2024, 4, 11)) is False
    assert CAL.is_working_day(date(2024, 4, 11)) is True
    assert county_calendar(Rules()) is CAL


def test_a_bad_row_of_the_table_names_it() -> None:
    text = "year,holiday,rest_from,rest_to,make_up_work_days,notice\n2030,元旦,2030-01-01,x,,n\n"
    with pytest.raises(CalendarError, match=r"holidays\.csv, data row 1: Invalid isoformat"):
        read_table(text, "holidays.csv")


FAR_PAUSE = [(at("2019-01-02"), at("2019-01-03"))]  # before every start: forces the day walk


@given(
    start=st.datetimes(datetime(2020, 1, 1), datetime(2025, 12, 1)),
    hours=st.integers(0, 24 * 60),
    unit=st.sampled_from(list(Unit)),
)
def test_the_arithmetic_without_pauses_agrees_with_the_day_walk(
    start: datetime, hours: int, unit: Unit
) -> None:
    start = start.replace(tzinfo=CHINA_TIME)
    amount = timedelta(hours=hours)
    assert CAL.deadline(start, unit, amount) == CAL.deadline(start, unit, amount, FAR_PAUSE)
    until = start + amount
    assert CAL.counted(start, unit, until) == CAL.counted(start, unit, until, FAR_PAUSE)
