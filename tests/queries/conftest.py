"""Fixtures of the query tests."""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest

from queries.calendar import CHINA_TIME, Allowance, Calendar, Unit

ClockDay = Callable[..., date]  # what the fixture `clock_day` gives


def _clock_day(
    calendar: Calendar, start: date | datetime, amount: int, unit: Unit = Unit.WORKING_DAYS
) -> date:
    """The day the workflow's clock of `amount` (working days by default) from `start` runs
    out with: its due instant is the midnight after that day. A start given as a day starts
    at 09:00 (the hour does not count for a period in days)."""
    if not isinstance(start, datetime):
        start = datetime.combine(start, time(9), CHINA_TIME)
    ends = calendar.due(start, Allowance(amount, unit))
    assert ends is not None
    return (ends - timedelta(microseconds=1)).astimezone(CHINA_TIME).date()


@pytest.fixture
def clock_day() -> ClockDay:
    """The workflow's own count of a period, for the tests that check a referral's or a
    ladder's due day against it: `clock_day(calendar, start, amount[, unit])`."""
    return _clock_day
