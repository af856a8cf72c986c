"""The admin's Access page (issue 12, defect 10): staff users, deactivated and reactivated at
once, and service tokens, revoked at once. The same services as `dsr users` and `dsr tokens`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dsr.auth import access, lockout
from dsr.auth import repository as users_repo
from dsr.auth import sessions as staff_sessions
from dsr.auth.principal import Principal
from dsr.db.types import utcnow
from dsr.deps import SessionDep
from dsr.domain.workflow import Role
from dsr.web.console.render import flash, page
from dsr.web.console.session import ConsoleUser, FormUser, require

router = APIRouter()
PAGE = "/console/access"


def _is_admin(principal: Principal) -> bool:
    return principal.role is Role.ADMIN


@router.get("/access", response_class=HTMLResponse)
async def access_page(
    request: Request, principal: ConsoleUser, session: SessionDep
) -> HTMLResponse:
    require(_is_admin(principal), "manage access")
    now = utcnow()
    tokens = await access.list_service_tokens(session)
    users = await access.list_users(session)
    settings = request.app.state.settings
    locked = await lockout.locked_emails(
        session, emails=[u.email for u in users], now=now, settings=settings
    )
    return page(
        request,
        "access.html",
        {
            "nav": "access",
            "users": users,
            "locked": locked,
            "live_sessions": await staff_sessions.live_counts(session, now=now),
            "tokens": [(t, t.state(now)) for t in tokens],
        },
        principal,
    )


async def _set_active(
    request: Request, principal: Principal, session: SessionDep, user_id: uuid.UUID, active: bool
) -> Response:
    require(_is_admin(principal), "manage access")
    await access.set_active(session, user_id=user_id, active=active, now=utcnow())
    # No e-mail address in the message: the session cookie is readable (render.flash).
    flash(request, "The user was reactivated." if active else "The user was deactivated.")
    return RedirectResponse(PAGE, status_code=303)


@router.post("/access/users/{user_id}/deactivate", response_class=HTMLResponse)
async def deactivate(
    user_id: uuid.UUID, request: Request, principal: FormUser, session: SessionDep
) -> Response:
    return await _set_active(request, principal, session, user_id, active=False)


@router.post("/access/users/{user_id}/reactivate", response_class=HTMLResponse)
async def reactivate(
    user_id: uuid.UUID, request: Request, principal: FormUser, session: SessionDep
) -> Response:
    return await _set_active(request, principal, session, user_id, active=True)


@router.post("/access/tokens/{token_id}/revoke", response_class=HTMLResponse)
async def revoke(
    token_id: uuid.UUID, request: Request, principal: FormUser, session: SessionDep
) -> Response:
    require(_is_admin(principal), "manage access")
    await access.revoke_service_tokens(session, token_id=token_id, now=utcnow())
    flash(request, "The token was revoked.")
    return RedirectResponse(PAGE, status_code=303)


@router.post("/access/users/{user_id}/end-sessions", response_class=HTMLResponse)
async def end_sessions(
    user_id: uuid.UUID, request: Request, principal: FormUser, session: SessionDep
) -> Response:
    """Log another user out everywhere (a lost laptop, say)."""
    require(_is_admin(principal), "manage access")
    await access.end_sessions(session, user_id=user_id, now=utcnow())
    flash(request, "The user's console sessions were ended.")
    return RedirectResponse(PAGE, status_code=303)


@router.post("/access/users/{user_id}/reset-mfa", response_class=HTMLResponse)
async def reset_mfa(
    user_id: uuid.UUID, request: Request, principal: FormUser, session: SessionDep
) -> Response:
    require(_is_admin(principal), "manage access")
    await access.reset_mfa(session, user_id=user_id, now=utcnow())
    flash(request, "The user's second factor was reset; they set it up again at their next login.")
    return RedirectResponse(PAGE, status_code=303)


@router.post("/access/users/{user_id}/unlock", response_class=HTMLResponse)
async def unlock(
    user_id: uuid.UUID, request: Request, principal: FormUser, session: SessionDep
) -> Response:
    require(_is_admin(principal), "manage access")
    user = await users_repo.user_by_id(session, user_id)
    if user is not None:
        await lockout.unlock(session, email=user.email, settings=request.app.state.settings)
    flash(request, "The user's failed logins were cleared.")
    return RedirectResponse(PAGE, status_code=303)
