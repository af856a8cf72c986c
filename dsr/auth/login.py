"""A staff login, for the console and POST /api/v1/auth/token alike: the per-account lockout,
the password, then the second factor when the account has one (or must have one). Failed
attempts are counted and kept even though the request fails (LoginFailed.keep_changes)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth import lockout, mfa, service
from dsr.auth.models import StaffUser
from dsr.errors import Unauthorized
from dsr.settings import Settings

CODE_FAILED = "the code is not right; use the current code from your app or a recovery code"

SecondStep = Literal["code", "enrol"] | None


class LoginFailed(Unauthorized):
    """A wrong password or code: 401, and the failure counted towards the lockout is kept."""

    keep_changes = True


async def check_password(
    session: AsyncSession, *, email: str, password: str, now: datetime, settings: Settings
) -> StaffUser:
    await lockout.check(session, email=email, now=now, settings=settings)
    try:
        return await service.authenticate(session, email, password)
    except Unauthorized:
        await lockout.failed(session, email=email, now=now, settings=settings)
        raise LoginFailed(service.LOGIN_FAILED) from None


def second_step(user: StaffUser, settings: Settings) -> SecondStep:
    """What is still to do after the password: a code, setting one up, or nothing."""
    if user.mfa_enabled:
        return "code"
    return "enrol" if settings.require_mfa else None


async def check_code(
    session: AsyncSession, *, user: StaffUser, code: str, now: datetime, settings: Settings
) -> None:
    await lockout.check(session, email=user.email, now=now, settings=settings)
    ok = await mfa.verify(session, user=user, code=code, now=now)
    if not ok:
        await lockout.failed(session, email=user.email, now=now, settings=settings)
        raise LoginFailed(CODE_FAILED)
    await lockout.succeeded(session, email=user.email, settings=settings)


async def succeeded(session: AsyncSession, *, user: StaffUser, settings: Settings) -> None:
    await lockout.succeeded(session, email=user.email, settings=settings)
