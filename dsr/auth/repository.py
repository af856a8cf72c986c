from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth.models import ApiToken, StaffUser


async def user_by_email(session: AsyncSession, email: str) -> StaffUser | None:
    result = await session.exec(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    return result.first()


async def user_by_id(session: AsyncSession, user_id: uuid.UUID) -> StaffUser | None:
    return await session.get(StaffUser, user_id)


async def count_users(session: AsyncSession) -> int:
    result = await session.exec(select(func.count()).select_from(StaffUser))
    return int(result.one())


async def active_token(session: AsyncSession, token_hash: str, now: datetime) -> ApiToken | None:
    stmt = select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
    token = (await session.exec(stmt)).first()
    if token is None or (token.expires_at is not None and token.expires_at <= now):
        return None
    return token


async def users_with_role(session: AsyncSession, *roles: str) -> list[StaffUser]:
    stmt = (
        select(StaffUser)
        .where(col(StaffUser.role).in_(roles), col(StaffUser.is_active))
        .order_by(StaffUser.email)
    )
    return list((await session.exec(stmt)).all())


async def emails_by_id(
    session: AsyncSession, ids: set[uuid.UUID], *, active_only: bool = False
) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    stmt = select(StaffUser.id, StaffUser.email).where(col(StaffUser.id).in_(ids))
    if active_only:
        stmt = stmt.where(col(StaffUser.is_active))
    return dict((await session.exec(stmt)).all())


async def active_user_by_email(session: AsyncSession, email: str | None) -> StaffUser | None:
    """The staff user an action names (an assignee), if there is one and they may still act."""
    user = await user_by_email(session, email) if email else None
    return user if user is not None and user.is_active else None
