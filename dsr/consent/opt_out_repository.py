"""Queries over opt-outs (dsr.consent.models.OptOut). Only repositories build queries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.consent.models import OptOut


async def existing_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of these dedup keys are recorded already."""
    if not keys:
        return set()
    rows = await session.exec(select(OptOut.dedup_key).where(col(OptOut.dedup_key).in_(keys)))
    return set(rows.all())


async def of_case(session: AsyncSession, case_id: uuid.UUID) -> list[OptOut]:
    rows = await session.exec(select(OptOut).where(OptOut.case_id == case_id))
    return list(rows.all())


async def of_subjects(session: AsyncSession, subjects: Sequence[str]) -> list[OptOut]:
    rows = await session.exec(
        select(OptOut)
        .where(col(OptOut.subject).in_(subjects))
        .order_by(col(OptOut.recorded_at).desc(), col(OptOut.id).desc())
    )
    return list(rows.all())


async def opted_out(session: AsyncSession, keys: Sequence[str], as_of: datetime) -> set[str]:
    """The keys with an opt-out recorded by `as_of` and not lifted by then."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):  # bounded IN lists
        chunk = keys[start : start + 500]
        stmt = (
            select(OptOut.subject)
            .where(col(OptOut.subject).in_(chunk))
            .where(col(OptOut.recorded_at) <= as_of)
            .where(sa.or_(col(OptOut.lifted_at).is_(None), col(OptOut.lifted_at) > as_of))
            .distinct()
        )
        found.update((await session.exec(stmt)).all())
    return found
