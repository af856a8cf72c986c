"""Queries for the access log (dsr.cases.access_log)."""

from __future__ import annotations

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.access_models import CaseAccess


def add_all(session: AsyncSession, rows: list[CaseAccess]) -> None:
    session.add_all(rows)


async def for_case(session: AsyncSession, case_id: uuid.UUID, limit: int) -> list[CaseAccess]:
    stmt = (
        select(CaseAccess)
        .where(CaseAccess.case_id == case_id)
        .order_by(col(CaseAccess.viewed_at).desc(), col(CaseAccess.id))
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())
