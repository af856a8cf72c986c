"""Queries over output-suppression rules (README, "Training eligibility")."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.consent.models import OutputSuppression

SUPPRESSION = OutputSuppression.__table__  # type: ignore[attr-defined]


async def for_case(session: AsyncSession, case_id: uuid.UUID) -> Any | None:
    conn = await session.connection()
    stmt = sa.select(SUPPRESSION).where(SUPPRESSION.c.case_id == case_id)
    return (await conn.execute(stmt)).first()


async def next_seq(session: AsyncSession) -> int:
    """The next position in the guardrail's feed. Safe without a sequence because every writer
    holds the ledger lock (ledger.py), which also makes positions commit in order."""
    conn = await session.connection()
    top = (await conn.execute(sa.select(sa.func.max(SUPPRESSION.c.seq)))).scalar_one()
    return int(top or 0) + 1


async def insert(session: AsyncSession, row: dict[str, Any]) -> None:
    conn = await session.connection()
    await conn.execute(SUPPRESSION.insert().values(**row))


async def update(session: AsyncSession, rule_id: uuid.UUID, values: dict[str, Any]) -> None:
    conn = await session.connection()
    await conn.execute(SUPPRESSION.update().where(SUPPRESSION.c.id == rule_id).values(**values))


async def page_after(session: AsyncSession, after: int, limit: int) -> list[Any]:
    conn = await session.connection()
    stmt = (
        sa.select(SUPPRESSION)
        .where(SUPPRESSION.c.seq > after)
        .order_by(SUPPRESSION.c.seq)
        .limit(limit)
    )
    return list(await conn.execute(stmt))
