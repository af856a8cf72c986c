"""The rules the pages show, now in the domain: appeal eligibility and how a deadline stands."""

from __future__ import annotations

from datetime import date

import pytest

from dsr.domain.due import DueState, appeal_due, case_due
from dsr.domain.offers import AppealBar, appeal_bar

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("status", "available", "window_ends", "expected"),
    [
        ("denied", True, date(2026, 3, 10), None),  # the last day of the window still counts
        ("partially_fulfilled", True, date(2026, 4, 1), None),
        ("fulfilled", True, date(2026, 4, 1), AppealBar.NOT_REFUSED),
        ("denied", False, date(2026, 4, 1), AppealBar.NOT_AVAILABLE),
        ("denied", True, date(2026, 3, 9), AppealBar.WINDOW_ENDED),
        ("denied", True, None, AppealBar.WINDOW_ENDED),
    ],
)
def test_appeal_bar(
    status: str, available: bool, window_ends: date | None, expected: AppealBar | None
) -> None:
    assert appeal_bar(status, available, window_ends, TODAY) == expected


@pytest.mark.parametrize(
    ("status", "respond_by", "state", "left"),
    [
        ("open", date(2026, 3, 8), DueState.OVERDUE, -2),
        ("awaiting_info", date(2026, 3, 10), DueState.TODAY, 0),
        ("pending_verification", date(2026, 3, 10), DueState.TODAY, 0),
        ("pending_verification", date(2026, 3, 9), DueState.ENDED, -1),  # not owed yet
        ("fulfilled", date(2026, 3, 1), DueState.ENDED, -9),
        ("in_progress", date(2026, 3, 15), DueState.COUNTING, 5),
    ],
)
def test_case_due(status: str, respond_by: date, state: DueState, left: int) -> None:
    due = case_due(status, respond_by, TODAY)
    assert (due.state, due.days_left) == (state, left)


@pytest.mark.parametrize(
    ("status", "respond_by", "state"),
    [
        ("appealed", date(2026, 3, 9), DueState.OVERDUE),
        ("appeal_in_review", date(2026, 3, 10), DueState.TODAY),
        ("overturned", date(2026, 3, 20), DueState.ENDED),  # decided: nothing is counting
        ("appeal_upheld", date(2026, 3, 1), DueState.ENDED),
        ("appealed", date(2026, 3, 30), DueState.COUNTING),
    ],
)
def test_appeal_due(status: str, respond_by: date, state: DueState) -> None:
    assert appeal_due(status, respond_by, TODAY).state == state


def test_soon_and_days_late() -> None:
    assert case_due("open", date(2026, 3, 17), TODAY).soon
    assert not case_due("open", date(2026, 3, 18), TODAY).soon
    assert case_due("open", date(2026, 3, 7), TODAY).days_late == 3
