"""The counts at the top of the staff queue. Each is one aggregate that reads an index range,
never the case rows: the open-work statuses and a deadline range on ix_case_record_queue
(status, respond_by, id), unassigned work on ix_case_record_assignee_queue (assignee_id, status,
…), and delivery problems on the outbox's partial index (bench/case_queue.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.models import Case
from dsr.domain.vocabulary import ACTIVE_STATUSES, CaseStatus
from dsr.notifications.delivery import problem_case_count_query

OPEN_WORK = tuple(sorted(ACTIVE_STATUSES))
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Overview:
    overdue: int
    due_this_week: int
    awaiting_info: int
    unassigned: int
    delivery_problems: int


def _count(*where: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
    return sa.select(sa.func.count()).select_from(Case).where(*where).scalar_subquery()


def week_end(today: date) -> date:
    """'Due this week': from today to six days ahead (respond_by before today + 7)."""
    return today + WEEK


async def overview(session: AsyncSession, today: date) -> Overview:
    """One round trip: a SELECT of five scalar subqueries, each its own index range."""
    status, due = col(Case.status), col(Case.respond_by)
    open_work = status.in_(OPEN_WORK)
    stmt = sa.select(
        _count(open_work, due < today),
        _count(open_work, due >= today, due < week_end(today)),
        _count(status == CaseStatus.AWAITING_INFO),
        _count(col(Case.assignee_id).is_(None), open_work),
        problem_case_count_query().scalar_subquery(),
    )
    row = (await (await session.connection()).execute(stmt)).one()
    return Overview(*(int(n) for n in row))
