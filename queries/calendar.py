"""Working days and time limits: China's statutory holidays and make-up working days (调休).

The product's one working-time calendar: the workflow's clocks and the due days of the referral
and the ladder (`queries.ladder.due_after`) count with it, so that a step's due day shown to a
mediator is the day its clock runs out on once the workflow runs it.

    calendar = china_calendar()                 # the shipped table, data/holidays-cn.csv
    calendar.is_working_day(date(2021, 10, 8))  # False: National Day
    calendar.due(start, Allowance(3, Unit.WORKING_DAYS))

A time limit is an `Allowance`: an amount of hours (wall clock: the one-hour arrival, the
whistle's 1 h sign-in and 24 h contact), working days (工作日: the 12345 rules, the whistle's
3–5 day report) or calendar days (日: the court's 30 days). Periods in days follow the legal
convention (民事诉讼法 第八十五条): the day the period starts is not counted, so counting begins
at the midnight after the start; a period in calendar days whose last day is a rest day ends at
the end of the next working day. Hours count from the instant itself (the operating rules count
"within one hour of the order", not from the next full hour).

Paused spans (挂账) are not counted, whatever the unit; an open pause stops the clock, and then
there is no due time. Every instant is aware and read in China time (UTC+8, no summer time
since 1991). The year after the table's last is counted provisionally until its rows are
added, Monday to Friday without the holidays the law fixes by date (元旦 1 January, 劳动节 1–2
May, 国庆节 1–3 October: 《全国年节及纪念日放假办法》 第二条); the lunar ones and the make-up days
come only with the State Council's notice, published in the November before, and a clock
running into January must not stop the work queue meanwhile. Any other year the table does not
cover is an error that says where to add it.
"""

from __future__ import annotations

import csv
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from queries.rules import Rules

CHINA_TIME = timezone(timedelta(hours=8), "CST")
DAY = timedelta(days=1)
TABLE = "queries/data/holidays-cn.csv"


class Unit(StrEnum):
    HOURS = "hours"
    WORKING_DAYS = "working_days"
    DAYS = "days"


@dataclass(frozen=True)
class Allowance:
    """A time limit: `amount` hours, working days or calendar days."""

    amount: int
    unit: Unit

    def counted(self) -> timedelta:
        """The time the limit counts: hours as such, a day (working or not) as 24 hours."""
        return timedelta(hours=self.amount) if self.unit is Unit.HOURS else self.amount * DAY

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.value}"


Span = tuple[datetime, datetime | None]
"""A paused span: from, and to (None while the pause lasts)."""


class CalendarNotCovered(ValueError):
    """A date falls in a year the holiday table does not cover."""


class CalendarError(ValueError):
    """The holiday table cannot be read."""


_INDEX = "working days"  # the memo's key for the index of working days


@dataclass(frozen=True)
class _WorkingDays:
    """The working days of the covered years, as ordinals, to count them by bisection."""

    first: date
    last: date
    ordinals: list[int]

    def before(self, day: date) -> int:
        """How many working days of the table come before `day`."""
        return bisect_left(self.ordinals, day.toordinal())


# The holidays the law fixes by date (全国年节及纪念日放假办法, 第二条, as amended in 2024).
FIXED_HOLIDAYS = frozenset({(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)})


@dataclass(frozen=True)
class Calendar:
    """Rest days and make-up working days of the covered years; every other day is a working
    day from Monday to Friday and a rest day at the weekend."""

    rest: frozenset[date]
    work: frozenset[date]
    years: frozenset[int]
    source: str = TABLE
    _memo: dict[object, object] = field(default_factory=dict, compare=False, repr=False)

    def with_days(self, rest: Iterable[date] = (), work: Iterable[date] = ()) -> Calendar:
        """This calendar with a county's extra rest days and working days (from its rules)."""
        rest, work = frozenset(rest), frozenset(work)
        if not rest and not work:
            return self
        return Calendar(
            (self.rest - work) | rest, (self.work - rest) | work, self.years, self.source
        )

    @property
    def provisional_year(self) -> int | None:
        """The year after the last covered, counted Monday to Friday until its rows exist."""
        return max(self.years) + 1 if self.years else None

    def is_working_day(self, day: date) -> bool:
        found = self._memo.get(day)
        if not isinstance(found, bool):
            if day.year == self.provisional_year:
                fixed = (day.month, day.day) in FIXED_HOLIDAYS
                found = day in self.work or (
                    day.weekday() < 5 and not fixed and day not in self.rest
                )
                self._memo[day] = found
                return found
            if day.year not in self.years:
                covered = f"{min(self.years)}–{max(self.years)}" if self.years else "none"
                raise CalendarNotCovered(
                    f"{day.isoformat()}: the holiday table {self.source} does not cover "
                    f"{day.year} (it covers {covered}); add that year's rows from the State "
                    "Council's notice on its holidays (国务院办公厅关于部分节假日安排的通知)"
                )
            found = day in self.work or (day.weekday() < 5 and day not in self.rest)
            self._memo[day] = found
        return found

    def next_working_day(self, day: date) -> date:
        """The first working day after `day`."""
        day += DAY
        while not self.is_working_day(day):
            day += DAY
        return day

    # -- time limits ----------------------------------------------------------------------

    def counted(
        self, start: datetime, unit: Unit, until: datetime, pauses: Sequence[Span] = ()
    ) -> timedelta:
        """How much of a limit in `unit` started at `start` is used up at `until`."""
        if not pauses:
            fast = self._fast_counted(start, unit, until)
            if fast is not None:
                return fast
        used = timedelta(0)
        for a, b in self._segments(start, unit, pauses):
            if a >= until:
                break
            used += min(b, until) - a
        return used

    def deadline(
        self, start: datetime, unit: Unit, amount: timedelta, pauses: Sequence[Span] = ()
    ) -> datetime | None:
        """The instant `amount` of counted time has passed since `start`; None while an open
        pause holds the clock before then."""
        if not pauses:
            fast = self._fast_deadline(start, unit, amount)
            if fast is not None:
                return fast
        left = amount
        for a, b in self._segments(start, unit, pauses):
            if b - a >= left:
                return a + left
            left -= b - a
        return None

    def due(
        self, start: datetime, allowance: Allowance, pauses: Sequence[Span] = ()
    ) -> datetime | None:
        """When a period of `allowance` from `start` ends (the first instant past it)."""
        end = self.deadline(start, allowance.unit, allowance.counted(), pauses)
        if end is None or allowance.unit is not Unit.DAYS:
            return end
        last = (end - timedelta(microseconds=1)).astimezone(CHINA_TIME).date()
        if self.is_working_day(last):
            return end
        return _midnight(self.next_working_day(last) + DAY)

    # -- without pauses, by arithmetic: a timer pass reads thousands of clocks -------------

    def _origin(self, start: datetime, unit: Unit) -> datetime:
        """Where counting begins: the instant itself for hours, else the next midnight."""
        local = start.astimezone(CHINA_TIME)
        return local if unit is Unit.HOURS else _midnight(local.date() + DAY)

    def _fast_counted(self, start: datetime, unit: Unit, until: datetime) -> timedelta | None:
        origin = self._origin(start, unit)
        if until <= origin:
            return timedelta(0)
        if unit is not Unit.WORKING_DAYS:
            return until - origin
        days = self._working_days()
        end = until.astimezone(CHINA_TIME)
        if days is None or not (days.first <= origin.date() and end.date() <= days.last):
            return None
        whole = days.before(end.date()) - days.before(origin.date())
        part = end - _midnight(end.date()) if self.is_working_day(end.date()) else timedelta(0)
        return whole * DAY + part

    def _fast_deadline(self, start: datetime, unit: Unit, amount: timedelta) -> datetime | None:
        origin = self._origin(start, unit)
        if unit is not Unit.WORKING_DAYS:
            return origin + amount
        days = self._working_days()
        if days is None or not days.first <= origin.date() <= days.last:
            return None
        whole, part = divmod(amount, DAY)
        index = days.before(origin.date()) + whole  # the working day the deadline falls in
        if part == timedelta(0) and whole > 0:  # the end of the last whole day
            index -= 1
            part = DAY
        if index >= len(days.ordinals):
            return None  # beyond the table: the slow path says which year is missing
        return _midnight(date.fromordinal(days.ordinals[index])) + part

    def _working_days(self) -> _WorkingDays | None:
        found = self._memo.get(_INDEX)
        if found is None and self.years:
            first, last = date(min(self.years), 1, 1), date(max(self.years), 12, 31)
            if sorted(self.years) != list(range(first.year, last.year + 1)):
                return None  # a gap in the covered years: count day by day
            ordinals = [
                d
                for d in range(first.toordinal(), last.toordinal() + 1)
                if self.is_working_day(date.fromordinal(d))
            ]
            found = _WorkingDays(first, last, ordinals)
            self._memo[_INDEX] = found
        return found if isinstance(found, _WorkingDays) else None

    def _segments(
        self, start: datetime, unit: Unit, pauses: Sequence[Span]
    ) -> Iterator[tuple[datetime, datetime]]:
        """The spans that count, in order, from `start` on: every instant for hours, whole
        days from the midnight after `start` for days, and of those only working days for
        working days; less the pauses. Ends at an open pause."""
        local = start.astimezone(CHINA_TIME)
        if unit is Unit.HOURS:
            cursor, day = local, local.date()
        else:
            day = local.date() + DAY
            cursor = _midnight(day)
        ordered = sorted(pauses, key=lambda span: span[0])
        while True:
            end = _midnight(day + DAY)
            if unit is not Unit.WORKING_DAYS or self.is_working_day(day):
                for piece in _less(cursor, end, ordered):
                    if piece[1] is None:
                        return
                    yield piece[0], piece[1]
            cursor, day = end, day + DAY


def _less(
    a: datetime, b: datetime, pauses: Sequence[Span]
) -> Iterator[tuple[datetime, datetime | None]]:
    """[a, b) less the pauses, in order; a piece ending in None stops at an open pause."""
    for p0, p1 in pauses:
        if p1 is not None and p1 <= a:
            continue
        if p0 >= b:
            break
        if p0 > a:
            yield a, p0
        if p1 is None:
            yield p0, None
            return
        a = max(a, p1)
        if a >= b:
            return
    if a < b:
        yield a, b


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), CHINA_TIME)


def _days(first: str, last: str) -> Iterator[date]:
    day, end = date.fromisoformat(first), date.fromisoformat(last)
    while day <= end:
        yield day
        day += DAY


def read_table(text: str, source: str = TABLE) -> Calendar:
    """A calendar from the text of a holiday table (see data/holidays-cn.csv)."""
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    rest: set[date] = set()
    work: set[date] = set()
    years: set[int] = set()
    for number, row in enumerate(csv.DictReader(lines), start=2):
        try:
            years.add(int(row["year"]))
            rest.update(_days(row["rest_from"], row["rest_to"]))
            work.update(date.fromisoformat(d) for d in (row["make_up_work_days"] or "").split())
            if not row["notice"]:
                raise ValueError("the notice is missing")
        except (KeyError, TypeError, ValueError) as exc:
            raise CalendarError(f"{source}, data row {number - 1}: {exc}") from exc
    return Calendar(frozenset(rest), frozenset(work), frozenset(years), source)


@cache
def china_calendar() -> Calendar:
    """The shipped table of China's holidays (without any county's extra days)."""
    text = resources.files("queries").joinpath("data/holidays-cn.csv").read_text("utf-8")
    return read_table(text)


def county_calendar(rules: Rules) -> Calendar:
    """The national table with the county's extra days from its rules
    (`[county."<code>".workflow.calendar]`)."""
    days = rules.workflow.calendar
    return _with_days(days.extra_rest_days, days.extra_work_days)


@cache
def _with_days(rest: tuple[str, ...], work: tuple[str, ...]) -> Calendar:
    """One calendar per county's days, kept: each referral, ladder and timer pass asks for it,
    and a calendar of its own would count its working days again (a few ms)."""
    return china_calendar().with_days(
        (date.fromisoformat(d) for d in rest), (date.fromisoformat(d) for d in work)
    )
