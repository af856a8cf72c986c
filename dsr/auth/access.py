"""Revoking access (issue 12, defect 10): deactivating and reactivating staff users, setting a
password, and listing and revoking service tokens. Used by `dsr users …`, `dsr tokens …` and the
console's Access page. Services never commit: the caller owns the transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth import mfa, repository, sessions
from dsr.auth.models import StaffUser
from dsr.auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from dsr.auth.roles import Role
from dsr.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class TokenView:
    """What may be shown of a service token: never the token, nor its hash."""

    id: uuid.UUID
    name: str
    scopes: list[str]
    data_system: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


async def _user(session: AsyncSession, email: str | None, user_id: uuid.UUID | None) -> StaffUser:
    user = None
    if email is not None:
        user = await repository.user_by_email(session, email)
    elif user_id is not None:
        user = await repository.user_by_id(session, user_id)
    if user is None:
        raise NotFound("no staff user with that e-mail or id")
    return user


async def get_user(session: AsyncSession, *, email: str) -> StaffUser:
    return await _user(session, email, None)


async def set_active(
    session: AsyncSession,
    *,
    active: bool,
    now: datetime,
    email: str | None = None,
    user_id: uuid.UUID | None = None,
) -> StaffUser:
    """Deactivation takes effect at once: the console checks is_active on every request, and
    the user's access tokens are revoked, so reactivating does not bring them back."""
    user = await _user(session, email, user_id)
    last_admin = (
        user.role == Role.ADMIN.value and await repository.count_active_admins(session) <= 1
    )
    if not active and user.is_active and last_admin:
        raise Conflict("the last active admin cannot be deactivated")
    user.is_active = active
    if not active:
        await repository.revoke_access_tokens(session, user.id, now)
        await sessions.end_all(session, user_id=user.id, now=now)
    session.add(user)
    await session.flush()
    return user


async def set_password(
    session: AsyncSession, *, email: str, password: str, now: datetime
) -> StaffUser:
    """A new password ends the access tokens issued under the old one, and every console
    session (issue 12, defect 2)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    user = await _user(session, email, None)
    user.password_hash = hash_password(password)
    await repository.revoke_access_tokens(session, user.id, now)
    await sessions.end_all(session, user_id=user.id, now=now)
    session.add(user)
    await session.flush()
    return user


async def end_sessions(
    session: AsyncSession,
    *,
    now: datetime,
    email: str | None = None,
    user_id: uuid.UUID | None = None,
) -> int:
    """ "Log out everywhere": every console session of the user ends."""
    user = await _user(session, email, user_id)
    return await sessions.end_all(session, user_id=user.id, now=now)


async def reset_mfa(
    session: AsyncSession,
    *,
    now: datetime,
    email: str | None = None,
    user_id: uuid.UUID | None = None,
) -> StaffUser:
    """A lost authenticator: the second factor is removed and the user's sessions end; they
    set it up again at their next login (when DSR_REQUIRE_MFA asks for it, they must)."""
    user = await _user(session, email, user_id)
    await mfa.reset(session, user=user)
    await sessions.end_all(session, user_id=user.id, now=now)
    await repository.revoke_access_tokens(session, user.id, now)
    return user


async def list_users(session: AsyncSession) -> list[StaffUser]:
    return await repository.all_users(session)


async def list_service_tokens(session: AsyncSession) -> list[TokenView]:
    from dsr.cases.data_systems import list_systems  # the registry is small: every name

    tokens = await repository.service_tokens(session)
    names = {s.id: s.name for s in await list_systems(session)} if tokens else {}
    return [
        TokenView(
            id=t.id,
            name=t.name,
            scopes=sorted(t.scopes),
            data_system=names.get(t.data_system_id) if t.data_system_id else None,
            created_at=t.created_at,
            expires_at=t.expires_at,
            revoked_at=t.revoked_at,
        )
        for t in tokens
    ]


async def revoke_service_tokens(
    session: AsyncSession,
    *,
    now: datetime,
    name: str | None = None,
    token_id: uuid.UUID | None = None,
) -> int:
    """Revokes the live service tokens of that name (or id); a revoked token is a 401 from the
    next request on. Several live tokens may share a name (one per machine of a service, say):
    revoking the name revokes them all."""
    if name is None and token_id is None:
        raise InvalidInput("name a token to revoke")
    tokens = await repository.live_service_tokens(session, name=name, token_id=token_id)
    if not tokens:
        raise NotFound("no live service token with that name")
    for token in tokens:
        token.revoked_at = now
        session.add(token)
    await session.flush()
    return len(tokens)
