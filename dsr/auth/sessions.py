"""Server-side console sessions (issue 12, defect 2; README, "Staff sessions and second factor").

The signed session cookie carries a random session id, nothing else that grants access; the
database keeps its SHA-256 and the session's state. So a session ends for good, whichever copy
of the cookie is replayed: at logout, when the user is deactivated or their password changes,
at "log out everywhere", when idle longer than DSR_SESSION_MAX_AGE_SECONDS, and at its absolute
lifetime (DSR_SESSION_ABSOLUTE_HOURS) however busy. Services never commit."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth import repository as users
from dsr.auth import session_repository as repo
from dsr.auth.models import StaffSession, StaffUser
from dsr.credentials import sha256_hex
from dsr.settings import Settings

SESSION_ID = "sid"  # the key in the signed cookie
# last_seen_at is written at most this often: a page view is not a write every time, and the
# idle limit (hours) does not need finer than a minute.
_TOUCH_EVERY = timedelta(minutes=1)


async def start(
    session: AsyncSession, *, user: StaffUser, now: datetime, settings: Settings
) -> str:
    """A new session for a user who has just proved who they are; the id, for the cookie."""
    await repo.delete_ended_sessions(session, user.id, now)
    sid = secrets.token_urlsafe(32)
    session.add(
        StaffSession(
            id_hash=sha256_hex(sid),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
        )
    )
    await session.flush()
    return sid


async def _live(
    session: AsyncSession, sid: object, now: datetime, settings: Settings
) -> StaffSession | None:
    if not isinstance(sid, str) or not 0 < len(sid) <= 100:
        return None
    row = await repo.session_by_hash(session, sha256_hex(sid))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.last_seen_at + timedelta(seconds=settings.session_max_age_seconds) <= now:
        return None
    return row


async def user_of(
    session: AsyncSession, *, sid: object, now: datetime, settings: Settings
) -> StaffUser | None:
    """The user of a live session, or None: unknown, ended, idle too long, too old, or its
    user deactivated (or without the second factor DSR_REQUIRE_MFA asks for)."""
    row = await _live(session, sid, now, settings)
    if row is None:
        return None
    user = await users.user_by_id(session, row.user_id)
    if user is None or not user.is_active or (settings.require_mfa and not user.mfa_enabled):
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return user


async def end(session: AsyncSession, *, sid: object, now: datetime) -> None:
    if not isinstance(sid, str) or not sid:
        return
    row = await repo.session_by_hash(session, sha256_hex(sid))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        await session.flush()


async def end_all(session: AsyncSession, *, user_id: uuid.UUID, now: datetime) -> int:
    """Every live session of the user ("log out everywhere", deactivation, new password)."""
    return await repo.revoke_sessions(session, user_id, now)


async def live_counts(session: AsyncSession, *, now: datetime) -> dict[uuid.UUID, int]:
    return await repo.live_session_counts(session, now)
