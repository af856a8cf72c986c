from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import col, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth.models import ApiToken, StaffUser
from dsr.auth.roles import Role


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


async def all_users(session: AsyncSession) -> list[StaffUser]:
    return list((await session.exec(select(StaffUser).order_by(StaffUser.email))).all())


async def count_active_admins(session: AsyncSession) -> int:
    stmt = (
        select(func.count())
        .select_from(StaffUser)
        .where(StaffUser.role == Role.ADMIN.value, col(StaffUser.is_active))
    )
    return int((await session.exec(stmt)).one())


async def service_tokens(session: AsyncSession) -> list[ApiToken]:
    """Service tokens (no user), newest first; access tokens from the token endpoint are not
    listed: they live an hour and end with their user's deactivation."""
    stmt = (
        select(ApiToken)
        .where(col(ApiToken.user_id).is_(None))
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.name))
    )
    return list((await session.exec(stmt)).all())


async def live_service_tokens(
    session: AsyncSession, *, name: str | None = None, token_id: uuid.UUID | None = None
) -> list[ApiToken]:
    stmt = select(ApiToken).where(
        col(ApiToken.user_id).is_(None), col(ApiToken.revoked_at).is_(None)
    )
    if name is not None:
        stmt = stmt.where(ApiToken.name == name)
    if token_id is not None:
        stmt = stmt.where(ApiToken.id == token_id)
    return list((await session.exec(stmt)).all())


async def revoke_access_tokens(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    stmt = (
        update(ApiToken)
        .where(col(ApiToken.user_id) == user_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    await session.exec(stmt)
