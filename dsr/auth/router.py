from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from dsr.auth import login, service
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.errors import Unauthorized
from dsr.http import client_ip

TOTP_HELP = (
    "For an account with a second factor: the current 6-digit code from the authenticator app, "
    "or one of the account's recovery codes (spent by its use)."
)
CODE_NEEDED = (
    "this account uses a second factor: send the current code from the authenticator app "
    "(or a recovery code) in the form field totp"
)
NO_SECOND_FACTOR = (
    "this account must set up a second factor before it can log in: log in to the console "
    "to set it up"
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


@router.post("/token", response_model=TokenOut)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    totp: Annotated[str, Form(max_length=64, description=TOTP_HELP)] = "",
) -> TokenOut:
    """OAuth2 password flow: a bearer token acting with the user's role. An account with a
    second factor also sends the current code in `totp` (README, "Staff sessions and second
    factor"); failures count towards the account's lockout (429 while locked)."""
    await request.app.state.rate_limiter.check_login(client_ip(request))
    now = utcnow()
    user = await login.check_password(
        session, email=form.username, password=form.password, now=now, settings=settings
    )
    step = login.second_step(user, settings)
    if step == "enrol":
        raise Unauthorized(NO_SECOND_FACTOR)
    if step == "code":
        if not totp.strip():
            raise Unauthorized(CODE_NEEDED)
        await login.check_code(session, user=user, code=totp, now=now, settings=settings)
    else:
        await login.succeeded(session, user=user, settings=settings)
    ttl = timedelta(minutes=settings.access_token_ttl_minutes)
    access = await service.issue_access_token(session, user, now, ttl)
    return TokenOut(access_token=access, expires_in=int(ttl.total_seconds()))
