"""The dashboard's aggregates (issue 13), each one grouped query over an indexed range, so the
page stays fast on a million cases: receipts by week and type, decisions by month (on time or
late), open work by status, deadlines falling due, days to close, appeals by outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.appeals.models import Appeal
from dsr.cases.models import Case
from dsr.db.engine import dialect_name
from dsr.domain.vocabulary import ACTIVE_STATUSES, CaseStatus
from dsr.reports.sql import col, days_between, local_date, without_jit

_A: Any = Appeal
# Percentiles of days to close, nearest rank (a number of days some request really took).
PERCENTILES = (25, 50, 75, 90)
NOT_COUNTED = (CaseStatus.DUPLICATE,)  # linked to a request counted already


@dataclass(frozen=True)
class Filter:
    start: date  # receipt or decision dates, inclusive
    end: date
    jurisdiction: str | None
    # The period's edges as UTC instants (midnight in DSR_TIMEZONE), for indexed timestamp ranges.
    start_at: datetime
    end_at: datetime
    zone: str


def _in(f: Filter) -> list[Any]:
    return [col("jurisdiction") == f.jurisdiction] if f.jurisdiction else []


def _week(day: Any, dialect: str) -> Any:
    """The Monday of a date's week, as YYYY-MM-DD text on both backends."""
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.date_trunc("week", day), "YYYY-MM-DD")
    return sa.func.date(day, "weekday 0", "-6 days")


def _month(day: Any, dialect: str) -> Any:
    if dialect == "postgresql":
        return sa.func.to_char(day, "YYYY-MM")
    return sa.func.strftime("%Y-%m", day)


async def weekly_volume(session: AsyncSession, f: Filter) -> list[tuple[str, str, int]]:
    """(week, type, requests received)."""
    await without_jit(session)
    week = _week(col("received_date"), dialect_name(session)).label("week")
    stmt: Any = (
        sa.select(week, col("type"), sa.func.count())
        .where(col("received_date").between(f.start, f.end), *_in(f))
        .where(col("status").not_in(NOT_COUNTED))
        .group_by(week, col("type"))
        .order_by(week, col("type"))
    )
    return [(str(w), t, int(n)) for w, t, n in (await session.exec(stmt)).all()]


def _decided_in(f: Filter) -> list[Any]:
    return [col("decided_at") >= f.start_at, col("decided_at") < f.end_at, *_in(f)]


async def on_time_by_month(session: AsyncSession, f: Filter) -> list[tuple[str, int, int]]:
    """(month of the decision, decisions, decisions on or before the deadline in force)."""
    await without_jit(session)
    dialect = dialect_name(session)
    decided_on = local_date(col("decided_at"), dialect, f.zone)
    month = _month(decided_on, dialect).label("month")
    on_time = sa.func.sum(sa.case((decided_on <= col("respond_by"), 1), else_=0))
    stmt: Any = (
        sa.select(month, sa.func.count(), on_time)
        .where(*_decided_in(f))
        .group_by(month)
        .order_by(month)
    )
    return [(str(m), int(n), int(ok or 0)) for m, n, ok in (await session.exec(stmt)).all()]


async def open_by_status(session: AsyncSession, jurisdiction: str | None) -> dict[str, int]:
    await without_jit(session)
    waiting = (  # in the order work moves through them
        CaseStatus.PENDING_VERIFICATION,
        CaseStatus.OPEN,
        CaseStatus.IN_PROGRESS,
        CaseStatus.AWAITING_INFO,
        CaseStatus.APPEALED,
        CaseStatus.APPEAL_IN_REVIEW,
    )
    where = [col("jurisdiction") == jurisdiction] if jurisdiction else []
    stmt: Any = (
        sa.select(col("status"), sa.func.count())
        .where(col("status").in_(waiting), *where)
        .group_by(col("status"))
    )
    found = {s: int(n) for s, n in (await session.exec(stmt)).all()}
    return {s.value: found.get(s.value, 0) for s in waiting}


async def due(
    session: AsyncSession, *, today: date, week_end: date, jurisdiction: str | None
) -> tuple[int, int]:
    """(overdue, due from today to week_end) among cases staff owe an answer on."""
    await without_jit(session)
    where = [col("jurisdiction") == jurisdiction] if jurisdiction else []
    overdue = sa.func.sum(sa.case((col("respond_by") < today, 1), else_=0))
    soon = sa.func.sum(sa.case((col("respond_by").between(today, week_end), 1), else_=0))
    stmt: Any = sa.select(overdue, soon).where(
        col("status").in_(sorted(ACTIVE_STATUSES)), col("respond_by") <= week_end, *where
    )
    row = (await session.exec(stmt)).one()
    return int(row[0] or 0), int(row[1] or 0)


async def days_to_close(
    session: AsyncSession, f: Filter
) -> list[tuple[str, int, float | None, dict[int, int]]]:
    """Per type, for decisions in the period: (type, decisions, mean days, {percentile: days})."""
    await without_jit(session)
    dialect = dialect_name(session)
    days = days_between(
        col("received_date"), local_date(col("decided_at"), dialect, f.zone), dialect
    )
    base = (
        sa.select(col("type").label("type"), days.label("days")).where(*_decided_in(f)).subquery()
    )
    ranked = sa.select(
        base.c.type,
        base.c.days,
        sa.func.row_number().over(partition_by=base.c.type, order_by=base.c.days).label("rn"),
        sa.func.count().over(partition_by=base.c.type).label("n"),
    ).subquery()
    # Nearest rank: the ceil(p * n / 100)-th smallest, in integer arithmetic on both backends.
    cells = [
        sa.func.max(
            sa.case((ranked.c.rn == (ranked.c.n * p + 99) // 100, ranked.c.days), else_=None)
        )
        for p in PERCENTILES
    ]
    stmt: Any = (
        sa.select(ranked.c.type, sa.func.count(), sa.func.avg(ranked.c.days), *cells)
        .group_by(ranked.c.type)
        .order_by(ranked.c.type)
    )
    out = []
    for row in (await session.exec(stmt)).all():
        mean = None if row[2] is None else round(float(row[2]), 1)
        out.append(
            (row[0], int(row[1]), mean, dict(zip(PERCENTILES, map(int, row[3:]), strict=True)))
        )
    return out


async def appeals_by_status(session: AsyncSession, f: Filter) -> dict[str, int]:
    """Appeals received in the period, by where they stand or how they ended."""
    await without_jit(session)
    stmt: Any = (
        sa.select(_A.status, sa.func.count())
        .where(_A.received_date.between(f.start, f.end))
        .group_by(_A.status)
    )
    if f.jurisdiction:
        stmt = stmt.join(Case, _A.case_id == col("id")).where(*_in(f))
    return {s: int(n) for s, n in (await session.exec(stmt)).all()}
