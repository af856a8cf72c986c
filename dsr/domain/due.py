"""How a deadline stands today, for the pages' "days left" column: the one place that decides
between overdue, due today, ended and counting down (the templates only word the state).
Overdue is the vocabulary's single definition (case_overdue, appeal_overdue)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from dsr.domain.vocabulary import (
    ACTIVE_STATUSES,
    OPEN_APPEAL_STATUSES,
    CaseStatus,
    appeal_overdue,
    case_overdue,
    days_left,
)

SOON_DAYS = 7  # a deadline this close is highlighted

# A case's clock runs while staff owe an answer, and while it waits for verification.
_CASE_RUNNING = ACTIVE_STATUSES | {CaseStatus.PENDING_VERIFICATION}


class DueState(StrEnum):
    OVERDUE = "overdue"
    TODAY = "today"
    ENDED = "ended"  # past, but nothing is owed (closed, decided)
    COUNTING = "counting"


@dataclass(frozen=True)
class Due:
    state: DueState
    days_left: int

    @property
    def days_late(self) -> int:
        return -self.days_left

    @property
    def soon(self) -> bool:
        return self.days_left <= SOON_DAYS


def case_due(status: str, respond_by: date, today: date) -> Due:
    left = days_left(respond_by, today)
    if case_overdue(status, respond_by, today):
        return Due(DueState.OVERDUE, left)
    if left == 0 and status in _CASE_RUNNING:
        return Due(DueState.TODAY, left)
    return Due(DueState.ENDED if left < 0 else DueState.COUNTING, left)


def appeal_due(status: str, respond_by: date, today: date) -> Due:
    left = days_left(respond_by, today)
    if appeal_overdue(status, respond_by, today):
        return Due(DueState.OVERDUE, left)
    undecided = status in OPEN_APPEAL_STATUSES
    if left == 0 and undecided:
        return Due(DueState.TODAY, left)
    return Due(DueState.ENDED if left < 0 or not undecided else DueState.COUNTING, left)
