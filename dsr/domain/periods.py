"""Calendar arithmetic for deadlines: calendar months clamped to the month's end, calendar days,
business days, and rolling forward off weekends and public holidays (docs/legal.md §2).

Pure: standard library plus ``dateutil.relativedelta``; holiday calendars are injected
(``dsr.calendars.calendar`` builds them from the ``holidays`` library).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol, get_args

from dateutil.relativedelta import relativedelta

Unit = Literal["months", "days", "business_days"]


class HolidayCalendar(Protocol):
    name: str

    def is_holiday(self, d: date) -> bool: ...  # public holiday (weekends handled by the engine)


class WeekendsOnly:
    """No public holidays: only Saturdays and Sundays are non-working days."""

    name = "weekends-only"

    def is_holiday(self, d: date) -> bool:  # noqa: ARG002 (HolidayCalendar's signature)
        return False


WEEKENDS_ONLY = WeekendsOnly()

_UNIT_WORDS: dict[str, Unit] = {"month": "months", "day": "days", "business_day": "business_days"}


@dataclass(frozen=True)
class Period:
    """A span counted from a start date; ``str()`` gives the "45 days" form :meth:`parse` reads."""

    unit: Unit
    n: int

    def __post_init__(self) -> None:
        if self.unit not in get_args(Unit):
            raise ValueError(f"unknown period unit {self.unit!r}; expected one of {get_args(Unit)}")
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 0:
            raise ValueError(f"period length must be a non-negative integer, got {self.n!r}")

    def __str__(self) -> str:
        return f"{self.n} {self.unit}"

    @classmethod
    def parse(cls, value: Period | str | Mapping[str, Any]) -> Period:
        """Accept a Period, ``{"unit": "days", "n": 45}``, ``"45 days"``, ``"10 business_days"``."""
        if isinstance(value, Period):
            return value
        if isinstance(value, Mapping):
            if set(value) != {"unit", "n"}:
                raise ValueError(f"a period mapping needs exactly the keys unit and n: {value!r}")
            return cls(value["unit"], value["n"])
        if isinstance(value, str):
            m = re.fullmatch(r"\s*(\d+)\s+([A-Za-z_ ]+?)\s*", value)
            word = re.sub(r"[ _]+", "_", m.group(2).lower()).removesuffix("s") if m else ""
            if m and word in _UNIT_WORDS:
                return cls(_UNIT_WORDS[word], int(m.group(1)))
        raise ValueError(f"not a period: {value!r} (expected e.g. '45 days', '1 months')")


def check_date(d: object, what: str) -> date:
    # A datetime would silently carry a time zone question the caller must settle first
    # (docs/legal.md: dates are calendar dates in the controller's time zone).
    if not isinstance(d, date) or isinstance(d, datetime):
        raise TypeError(f"{what} must be a datetime.date, got {type(d).__name__}")
    return d


def is_working_day(d: date, cal: HolidayCalendar) -> bool:
    return d.weekday() < 5 and not cal.is_holiday(d)


def next_working_day(d: date, cal: HolidayCalendar) -> date:
    """``d`` itself if it is a working day, else the following working day.

    Reg 1182/71 Art 3(4); EDPB GL 01/2022 §161; ICO "next working day" (legal §2.1-2.2).
    """
    for _ in range(366):
        if is_working_day(d, cal):
            return d
        d += timedelta(days=1)
    raise ValueError(f"calendar {cal.name!r} has no working day in the year after {d}")


def add_business_days(start: date, n: int, cal: HolidayCalendar) -> date:
    """The n-th working day after ``start``; the start day itself is never counted.

    Cal. Gov. Code 6800 / Civ. Code 10: exclude the first day (legal §2.3).
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    d = start
    for _ in range(n):
        d = next_working_day(d + timedelta(days=1), cal)
    return d


def add_months_clamped(start: date, n: int) -> date:
    """Same date n months later, or that month's last day if it has no such date.

    Reg 1182/71 Art 3(2)(c); EDPB GL 01/2022 ex. 32-33; ICO (legal §2.1-2.2).
    """
    result: date = start + relativedelta(months=n)
    return result


def days_beginning_with(start: date, n: int) -> date:
    """Last day of a period of n days *beginning with* ``start`` (``start`` is day 1).

    DPA 2018 s.164A(3) complaint acknowledgement; counting convention [U] (legal §2.2(9)).
    """
    if n < 1:
        raise ValueError("n must be >= 1")
    return start + timedelta(days=n - 1)


def add_period(start: date, period: Period, cal: HolidayCalendar = WEEKENDS_ONLY) -> date:
    """``start`` + ``period``, without any roll-forward (the start day is never counted)."""
    if period.unit == "months":
        return add_months_clamped(start, period.n)
    if period.unit == "business_days":
        return add_business_days(start, period.n, cal)
    return start + timedelta(days=period.n)
