from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from dsr.auth import service
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.http import client_ip

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
) -> TokenOut:
    """OAuth2 password flow: a bearer token acting with the user's role."""
    await request.app.state.rate_limiter.check_login(client_ip(request))
    user = await service.authenticate(session, form.username, form.password)
    ttl = timedelta(minutes=settings.access_token_ttl_minutes)
    access = await service.issue_access_token(session, user, utcnow(), ttl)
    return TokenOut(access_token=access, expires_in=int(ttl.total_seconds()))
