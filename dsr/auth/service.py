"""Staff users and API tokens. Services never commit: the caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth import repository
from dsr.auth.models import ApiToken, StaffUser
from dsr.auth.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from dsr.auth.principal import Principal
from dsr.auth.roles import ROLES, SCOPES, Role, Scope
from dsr.credentials import new_api_token, sha256_hex
from dsr.domain.text_rules import has_control_characters, is_clean_line
from dsr.errors import Conflict, InvalidInput, Unauthorized

LOGIN_FAILED = "incorrect email or password"
ACCESS_PREFIX = "access:"  # the name of every access token from POST /auth/token
TOKEN_NAME_MAX = 200  # api_token.name; case_event.actor_id and case_task.closed_by hold as much


def normalise_staff_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(f"email: {exc}") from None


async def create_user(session: AsyncSession, email: str, role: str, password: str) -> StaffUser:
    email = normalise_staff_email(email)
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(sorted(ROLES))}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if await repository.user_by_email(session, email) is not None:
        raise Conflict("a staff user with that email already exists")
    user = StaffUser(email=email, role=role, password_hash=hash_password(password))
    session.add(user)
    await session.flush()
    return user


async def authenticate(session: AsyncSession, email: str, password: str) -> StaffUser:
    if has_control_characters(email):
        # No staff address can contain one (create_user validates it), and PostgreSQL refuses
        # a NUL outright: answer as for any unknown address, which reveals nothing.
        raise Unauthorized(LOGIN_FAILED)
    user = await repository.user_by_email(session, email)
    ok = verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        raise Unauthorized(LOGIN_FAILED)
    return user


async def create_service_token(
    session: AsyncSession,
    name: str,
    scopes: Iterable[str],
    *,
    data_system_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
) -> str:
    """A service token; bound to a data system, it may carry only tasks:write and reaches that
    system's tasks only (README, "Pull systems and the task API"). Its name is what
    `dsr tokens revoke` and the timeline name it by."""
    if not name or len(name) > TOKEN_NAME_MAX or not is_clean_line(name):
        # Token names reach the timeline as actors and the CLI's listings: one clean line.
        raise InvalidInput(
            f"name: 1 to {TOKEN_NAME_MAX} characters on a single line, no control characters"
        )
    if name.startswith(ACCESS_PREFIX):
        raise InvalidInput(f"name: {ACCESS_PREFIX!r} is kept for access tokens")
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise InvalidInput(f"scopes must be among {', '.join(sorted(SCOPES))}")
    if data_system_id is not None and scopes != [Scope.tasks_write.value]:
        raise InvalidInput(f"a token bound to a data system has the scope {Scope.tasks_write} only")
    token = new_api_token()
    session.add(
        ApiToken(
            name=name,
            token_hash=sha256_hex(token),
            scopes=scopes,
            data_system_id=data_system_id,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return token


async def issue_access_token(
    session: AsyncSession, user: StaffUser, now: datetime, ttl: timedelta
) -> str:
    token = new_api_token()
    session.add(
        ApiToken(
            name=f"{ACCESS_PREFIX}{user.id}",
            token_hash=sha256_hex(token),
            user_id=user.id,
            expires_at=now + ttl,
        )
    )
    await session.flush()
    return token


async def principal_for_token(session: AsyncSession, token: str, now: datetime) -> Principal | None:
    row = await repository.active_token(session, sha256_hex(token), now)
    if row is None:
        return None
    if row.user_id is None:
        return Principal(
            kind="service",
            token_name=row.name,
            scopes=frozenset(row.scopes),
            data_system_id=row.data_system_id,
        )
    user = await repository.user_by_id(session, row.user_id)
    if user is None or not user.is_active:
        return None
    return staff_principal(user)


def staff_principal(user: StaffUser) -> Principal:
    return Principal(kind="staff", user_id=user.id, email=user.email, role=Role(user.role))
