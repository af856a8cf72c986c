"""The second factor for staff (issue 12, item 14; README, "Staff sessions and second factor"):
TOTP (RFC 6238, `pyotp`) enrolled by QR code (`segno`, an inline SVG drawn here: the secret goes
to no other service), and one-time recovery codes kept as hashes and shown once.

The secret is sealed with DSR_ENCRYPTION_KEYS (a database dump does not yield codes); a code is
accepted once (the last accepted time step is kept), within one step of clock drift either way.
Services never commit: the caller owns the transaction."""

from __future__ import annotations

import secrets
from datetime import datetime

import pyotp
import segno
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth.models import StaffUser
from dsr.credentials import sha256_hex
from dsr.errors import Conflict

ISSUER = "dsr"
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from paper
_STEP = 30


async def begin_enrolment(session: AsyncSession, *, user: StaffUser) -> tuple[str, str]:
    """A new secret, kept until confirmed by a code; (the secret, its otpauth URI)."""
    if user.mfa_enabled:
        raise Conflict("a second factor is already set up; an admin can reset it")
    secret = pyotp.random_base32()
    user.totp_secret = secret  # sealed by its column type
    session.add(user)
    await session.flush()
    return secret, pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def pending_uri(user: StaffUser) -> tuple[str, str] | None:
    """The enrolment under way (a secret not yet confirmed): (secret, URI), else None."""
    secret = user.totp_secret
    if secret is None or user.mfa_enabled:
        return None
    return secret, pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (no script, no style attribute: fits a strict CSP)."""
    svg: str = segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your app")
    return svg


def _totp_step(user: StaffUser, secret: str, code: str, now: datetime) -> int | None:
    """The time step the code belongs to, if it is valid now and newer than the last used."""
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // _STEP
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.at(step * _STEP), code):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return None  # already used: a replayed code
            return step
    return None


def _normal(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()[:64]


async def confirm_enrolment(
    session: AsyncSession, *, user: StaffUser, code: str, now: datetime
) -> list[str] | None:
    """The first code from the app turns the second factor on; the recovery codes (shown
    once), or None when the code is not right."""
    secret = user.totp_secret
    if secret is None or user.mfa_enabled:
        return None
    step = _totp_step(user, secret, _normal(code), now)
    if step is None:
        return None
    codes = ["-".join(_chunk(_recovery_code())) for _ in range(RECOVERY_CODES)]
    user.totp_last_step = step
    user.mfa_enabled_at = now
    user.recovery_codes = [sha256_hex(_normal(c)) for c in codes]
    session.add(user)
    await session.flush()
    return codes


def _recovery_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(16))  # 16 of 31: 79 bits


def _chunk(code: str) -> list[str]:
    return [code[i : i + 4] for i in range(0, len(code), 4)]


async def verify(session: AsyncSession, *, user: StaffUser, code: str, now: datetime) -> bool:
    """A login's second step: a current code from the app, or an unused recovery code (which
    is then spent)."""
    secret = user.totp_secret
    if secret is None or not user.mfa_enabled:
        return False
    given = _normal(code)
    step = _totp_step(user, secret, given, now) if given.isdigit() else None
    if step is not None:
        user.totp_last_step = step
    else:
        digest = sha256_hex(given)
        if not given or digest not in user.recovery_codes:
            return False
        user.recovery_codes = [h for h in user.recovery_codes if h != digest]
    session.add(user)
    await session.flush()
    return True


async def reset(session: AsyncSession, *, user: StaffUser) -> None:
    """An admin's reset (a lost phone): the user sets a second factor up again at next login."""
    user.totp_secret = None
    user.mfa_enabled_at = None
    user.totp_last_step = None
    user.recovery_codes = []
    session.add(user)
    await session.flush()
