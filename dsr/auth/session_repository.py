"""Queries for server-side console sessions and the per-account login throttle."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth.models import LoginThrottle, StaffSession


async def session_by_hash(session: AsyncSession, id_hash: str) -> StaffSession | None:
    stmt = select(StaffSession).where(StaffSession.id_hash == id_hash)
    return (await session.exec(stmt)).first()


async def revoke_sessions(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> int:
    stmt = (
        update(StaffSession)
        .where(col(StaffSession.user_id) == user_id, col(StaffSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    result = await session.exec(stmt)
    return int(result.rowcount or 0)


async def delete_ended_sessions(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    """A user's sessions that can no longer be used: kept no longer than needed."""
    stmt = delete(StaffSession).where(
        col(StaffSession.user_id) == user_id,
        (col(StaffSession.revoked_at).is_not(None)) | (col(StaffSession.expires_at) <= now),
    )
    await session.exec(stmt)


async def live_session_counts(session: AsyncSession, now: datetime) -> dict[uuid.UUID, int]:
    from sqlmodel import func

    stmt = (
        select(StaffSession.user_id, func.count())
        .where(col(StaffSession.revoked_at).is_(None), col(StaffSession.expires_at) > now)
        .group_by(col(StaffSession.user_id))
    )
    return {user_id: int(n) for user_id, n in (await session.exec(stmt)).all()}


async def throttle(session: AsyncSession, key_hash: str) -> LoginThrottle | None:
    return await session.get(LoginThrottle, key_hash)


async def count_failure(session: AsyncSession, key_hash: str, now: datetime) -> LoginThrottle:
    """One more failure, counted atomically: concurrent guesses each count (an upsert that adds
    one in the database, not a read then a write)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(LoginThrottle).values(key_hash=key_hash, failures=1, last_failure_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key_hash"],
        set_={"failures": LoginThrottle.failures + 1, "last_failure_at": now},
    )
    await session.exec(stmt)
    row = await session.get(LoginThrottle, key_hash, populate_existing=True)
    assert row is not None
    return row


async def clear_throttle(session: AsyncSession, key_hash: str) -> bool:
    stmt = delete(LoginThrottle).where(col(LoginThrottle.key_hash) == key_hash)
    result = await session.exec(stmt)
    return bool(result.rowcount)


async def locked_keys(session: AsyncSession, now: datetime) -> set[str]:
    stmt = select(LoginThrottle.key_hash).where(col(LoginThrottle.locked_until) > now)
    return set((await session.exec(stmt)).all())
