"""Per-account login lockout with backoff (issue 12, defect 5; README, "Staff sessions and
second factor"). The per-address rate limit stops one client; this stops many clients guessing
one account's password (or second-factor code): after DSR_LOGIN_LOCKOUT_THRESHOLD failures for
one e-mail address, attempts for it are refused for DSR_LOGIN_LOCKOUT_SECONDS, doubling with
each further failure up to DSR_LOGIN_LOCKOUT_MAX_SECONDS, whatever the client's address.

Unknown addresses are counted and locked exactly as known ones, and a locked account is refused
before its password is checked: the answers never tell whether an address has an account. A
refused attempt does not extend the lock, so a guesser cannot keep an account locked for ever
by guessing faster. Services never commit; failures are kept by LoginFailed.keep_changes."""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth import session_repository as repo
from dsr.errors import RateLimited
from dsr.settings import Settings

LOCKED = "too many failed attempts for this account; try again in {seconds} seconds"


def account_key(email: str, settings: Settings) -> str:
    """A keyed hash of the address as typed (normalised): the table holds no addresses."""
    normalised = email.strip().lower().encode("utf-8", "surrogateescape")
    return hmac.new(
        settings.secret_key.encode(), b"login:" + normalised, hashlib.sha256
    ).hexdigest()


async def check(session: AsyncSession, *, email: str, now: datetime, settings: Settings) -> None:
    """Refuse (429) while the account is locked."""
    row = await repo.throttle(session, account_key(email, settings))
    if row is not None and row.locked_until is not None and row.locked_until > now:
        seconds = max(1, math.ceil((row.locked_until - now).total_seconds()))
        raise RateLimited(LOCKED.format(seconds=seconds), retry_after=seconds)


def _delay(failures: int, settings: Settings) -> int:
    over = failures - settings.login_lockout_threshold
    if over < 0:
        return 0
    # 2**over grows past any maximum quickly: cap the exponent before computing it.
    delay = settings.login_lockout_seconds * (1 << min(over, 32))
    return min(delay, settings.login_lockout_max_seconds)


async def failed(session: AsyncSession, *, email: str, now: datetime, settings: Settings) -> None:
    """Count a failed password or code; lock the account once there are too many."""
    row = await repo.count_failure(session, account_key(email, settings), now)
    delay = _delay(row.failures, settings)
    if delay:
        row.locked_until = now + timedelta(seconds=delay)
        session.add(row)
        await session.flush()


async def succeeded(session: AsyncSession, *, email: str, settings: Settings) -> None:
    await repo.clear_throttle(session, account_key(email, settings))


async def unlock(session: AsyncSession, *, email: str, settings: Settings) -> bool:
    """An admin's unlock (`dsr users unlock`, the Access page): True if there was a count."""
    return await repo.clear_throttle(session, account_key(email, settings))


async def locked_emails(
    session: AsyncSession, *, emails: list[str], now: datetime, settings: Settings
) -> set[str]:
    """Which of these addresses are locked now (the Access page)."""
    keys = await repo.locked_keys(session, now)
    return {e for e in emails if account_key(e, settings) in keys}
