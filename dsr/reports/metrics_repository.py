"""The yearly metrics' queries: counts, day sums and medians per request type, aggregated by
the database (issue 13: computed in SQL, not by looping over cases in Python)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.db.engine import dialect_name
from dsr.domain.reporting import ANSWERED
from dsr.reports.sql import col, days_between, held_back, local_date, outcome, without_jit


@dataclass(frozen=True)
class Group:
    """Requests of one type with one outcome (and, for denials, one reason code)."""

    type: str
    outcome: str
    reason_code: str | None
    count: int
    days_sum: int  # from receipt to the decision, where there is one


def _received_between(start: date, end: date) -> Any:
    # received_date is the receipt's calendar date in DSR_TIMEZONE, set at intake.
    return sa.and_(col("received_date") >= start, col("received_date") < end)


def _cases(dialect: str, zone: str, start: date, end: date) -> Any:
    days = days_between(col("received_date"), local_date(col("decided_at"), dialect, zone), dialect)
    return (
        sa.select(
            col("type").label("type"),
            outcome().label("outcome"),
            col("decision_reason_code").label("reason_code"),
            days.label("days"),
        )
        .where(_received_between(start, end))
        .subquery("c")
    )


async def groups(session: AsyncSession, *, zone: str, start: date, end: date) -> list[Group]:
    """Counts and day sums per (type, outcome, reason code). The cases are first grouped by the
    plain columns the rules read, then the rules (sql.outcome) classify those few groups: far
    cheaper than classifying, sorting and grouping every case by a computed outcome."""
    await without_jit(session)
    dialect = dialect_name(session)
    days = days_between(col("received_date"), local_date(col("decided_at"), dialect, zone), dialect)
    raw = (
        sa.select(
            col("type").label("type"),
            col("status").label("status"),
            col("decided_at").is_not(None).label("decided"),
            col("decision_reason_code").label("reason_code"),
            held_back().label("held"),
            days.label("days"),
        )
        .where(_received_between(start, end))
        .subquery("raw")
    )
    keys = (raw.c.type, raw.c.status, raw.c.decided, raw.c.reason_code, raw.c.held)
    g = (
        sa.select(
            *keys,
            sa.func.count().label("n"),
            sa.func.coalesce(sa.func.sum(raw.c.days), 0).label("days_sum"),
        )
        .group_by(*keys)
        .subquery("g")
    )
    kind = outcome(
        status=g.c.status, decided=g.c.decided, reason_code=g.c.reason_code, held=g.c.held
    )
    stmt: Any = sa.select(g.c.type, kind, g.c.reason_code, g.c.n, g.c.days_sum)
    rows = (await session.exec(stmt)).all()
    return [Group(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in rows]


async def medians(session: AsyncSession, *, zone: str, start: date, end: date) -> dict[str, float]:
    """The median days to an answer per type: percentile_cont on PostgreSQL; on SQLite the
    middle row (or the mean of the two middle rows) of each type, ranked by a window function."""
    await without_jit(session)
    dialect = dialect_name(session)
    c = _cases(dialect, zone, start, end)
    answered = c.c.outcome.in_([o.value for o in ANSWERED])
    stmt: Any
    if dialect == "postgresql":
        median = sa.func.percentile_cont(0.5).within_group(c.c.days)
        stmt = sa.select(c.c.type, median).where(answered).group_by(c.c.type)
    else:
        ranked = (
            sa.select(
                c.c.type,
                c.c.days,
                sa.func.row_number().over(partition_by=c.c.type, order_by=c.c.days).label("rn"),
                sa.func.count().over(partition_by=c.c.type).label("n"),
            )
            .where(answered)
            .subquery("r")
        )
        middle = sa.or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
        stmt = (
            sa.select(ranked.c.type, sa.func.avg(ranked.c.days))
            .where(middle)
            .group_by(ranked.c.type)
        )
    return {r[0]: float(r[1]) for r in (await session.exec(stmt)).all()}
