"""Queries for retention. Only repositories build queries."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.appeals.models import Appeal
from dsr.cases.data_system_models import CaseTask
from dsr.cases.models import Case, CaseEvent, CaseToken
from dsr.db.engine import dialect_name
from dsr.drp.models import DrpRequest
from dsr.fulfilment.models import AccessPackage
from dsr.notifications.models import OutboxMessage

_OUTBOX: sa.Table = OutboxMessage.__table__  # type: ignore[attr-defined]
_TOKEN: sa.Table = CaseToken.__table__  # type: ignore[attr-defined]


def _due(closed_before: datetime) -> list[sa.ColumnElement[bool]]:
    return [
        col(Case.closed_at).is_not(None),
        col(Case.closed_at) <= closed_before,
        col(Case.redacted_at).is_(None),
    ]


async def count_due(session: AsyncSession, closed_before: datetime) -> int:
    stmt = sa.select(sa.func.count()).select_from(Case).where(*_due(closed_before))
    return int((await session.exec(stmt)).one()[0])  # type: ignore[call-overload]


async def due_cases(session: AsyncSession, closed_before: datetime, limit: int) -> list[Case]:
    """Closed cases past the retention period, not yet redacted, oldest first; on PostgreSQL
    locked and skipped by a second sweeper."""
    stmt = select(Case).where(*_due(closed_before)).order_by(col(Case.closed_at)).limit(limit)
    if dialect_name(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await session.exec(stmt)).all())


async def appeals_of(session: AsyncSession, case_id: uuid.UUID) -> list[Appeal]:
    return list((await session.exec(select(Appeal).where(Appeal.case_id == case_id))).all())


async def tasks_of(session: AsyncSession, case_id: uuid.UUID) -> list[CaseTask]:
    return list((await session.exec(select(CaseTask).where(CaseTask.case_id == case_id))).all())


async def events_of(session: AsyncSession, case_id: uuid.UUID) -> list[CaseEvent]:
    stmt = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.seq))
    return list((await session.exec(stmt)).all())


async def live_packages_of(session: AsyncSession, case_id: uuid.UUID) -> list[AccessPackage]:
    stmt = select(AccessPackage).where(
        AccessPackage.case_id == case_id, col(AccessPackage.erased_at).is_(None)
    )
    return list((await session.exec(stmt)).all())


async def delete_tokens_of(session: AsyncSession, case_id: uuid.UUID) -> int:
    conn = await session.connection()
    result = await conn.execute(sa.delete(_TOKEN).where(_TOKEN.c.case_id == case_id))
    return int(result.rowcount or 0)


def _spent(before: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        _TOKEN.c.purpose == "verify",
        sa.or_(_TOKEN.c.used_at <= before, _TOKEN.c.expires_at <= before),
    )


async def delete_spent_verify_tokens(session: AsyncSession, before: datetime) -> int:
    """Verification links used or expired before `before`: nothing needs them any more."""
    conn = await session.connection()
    return int((await conn.execute(sa.delete(_TOKEN).where(_spent(before)))).rowcount or 0)


async def count_spent_verify_tokens(session: AsyncSession, before: datetime) -> int:
    stmt = sa.select(sa.func.count()).select_from(_TOKEN).where(_spent(before))
    return int((await (await session.connection()).execute(stmt)).scalar_one())


def _purgeable(case_id: uuid.UUID | None, before: datetime | None) -> sa.ColumnElement[bool]:
    if case_id is not None:  # a redacted case: every message but one still to be sent
        return sa.and_(
            _OUTBOX.c.case_id == case_id,
            _OUTBOX.c.status != "pending",
            _OUTBOX.c.purged_at.is_(None),
        )
    return sa.and_(
        _OUTBOX.c.status == "sent", _OUTBOX.c.sent_at <= before, _OUTBOX.c.purged_at.is_(None)
    )


async def count_purgeable_messages(session: AsyncSession, before: datetime) -> int:
    stmt = sa.select(sa.func.count()).select_from(_OUTBOX).where(_purgeable(None, before))
    return int((await (await session.connection()).execute(stmt)).scalar_one())


async def purge_messages(
    session: AsyncSession,
    now: datetime,
    *,
    before: datetime | None = None,
    case_id: uuid.UUID | None = None,
) -> int:
    """Erase delivered messages' recipient and context (what the body is rendered from); the
    row stays, so its dedup key still stops the same notice being sent twice."""
    conn = await session.connection()
    stmt = (
        sa.update(_OUTBOX)
        .where(_purgeable(case_id, before))
        .values(recipient="", context={}, purged_at=now, last_error=None)
    )
    return int((await conn.execute(stmt)).rowcount or 0)


async def erase_drp_claims(session: AsyncSession, case_id: uuid.UUID) -> None:
    """The identity claims a DRP agent sent for the case (dsr.drp): personal data too."""
    await session.exec(
        sa.update(DrpRequest).where(col(DrpRequest.case_id) == case_id).values(claims=None)
    )
