"""The user's own account page: setting up the second factor (a QR code for the app, confirmed
by its first code; recovery codes shown once) and "log out everywhere". Reached logged in, or
straight after the password when DSR_REQUIRE_MFA asks for a second factor the account lacks
(dsr.web.console.login's pending mark): confirming it then starts the session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dsr.auth import mfa
from dsr.auth import sessions as staff_sessions
from dsr.auth.models import StaffUser
from dsr.auth.service import staff_principal
from dsr.db.types import utcnow
from dsr.deps import SessionDep
from dsr.web.console.login import CodeForm, pending_user
from dsr.web.console.render import flash, page
from dsr.web.console.session import FormUser, LoginRequired, after_login, csrf_of

router = APIRouter()
PAGE = "/console/account/mfa"


async def _who(request: Request, session: SessionDep) -> tuple[StaffUser, bool]:
    """(the user, whether logged in): a live session, or a password just given by an account
    that must set up a second factor."""
    settings = request.app.state.settings
    sid = request.session.get(staff_sessions.SESSION_ID)
    user = await staff_sessions.user_of(session, sid=sid, now=utcnow(), settings=settings)
    if user is not None:
        return user, True
    pending = await pending_user(request, session, "enrol")
    if pending is None:
        raise LoginRequired
    return pending, False


def _account_page(request: Request, user: StaffUser, logged_in: bool) -> HTMLResponse:
    context = {"account": user, "logged_in": logged_in, "nav": "account"}
    return page(request, "account.html", context, staff_principal(user) if logged_in else None)


@router.get("/account/mfa", response_class=HTMLResponse)
async def account(request: Request, session: SessionDep) -> HTMLResponse:
    user, logged_in = await _who(request, session)
    return _account_page(request, user, logged_in)


def _enrol_page(
    request: Request, user: StaffUser, logged_in: bool, secret: str, uri: str, error: str | None
) -> HTMLResponse:
    context = {"secret": secret, "qr": mfa.qr_svg(uri), "error": error, "nav": "account"}
    principal = staff_principal(user) if logged_in else None
    return page(request, "mfa_enrol.html", context, principal, status=422 if error else 200)


@router.post("/account/mfa/start", response_class=HTMLResponse)
async def start(request: Request, session: SessionDep) -> HTMLResponse:
    await csrf_of(request).validate_form(request)
    user, logged_in = await _who(request, session)
    secret, uri = await mfa.begin_enrolment(session, user=user)
    return _enrol_page(request, user, logged_in, secret, uri, None)


@router.post("/account/mfa/confirm", response_class=HTMLResponse)
async def confirm(
    request: Request, session: SessionDep, form: Annotated[CodeForm, Form()]
) -> Response:
    await csrf_of(request).validate_form(request)
    user, logged_in = await _who(request, session)
    settings = request.app.state.settings
    now = utcnow()
    codes = await mfa.confirm_enrolment(session, user=user, code=form.code[:64], now=now)
    if codes is None:
        pending = mfa.pending_uri(user)
        if pending is None:
            return RedirectResponse(PAGE, status_code=303)
        error = "The code is not right. Enter the 6-digit code your app shows now."
        return _enrol_page(request, user, logged_in, *pending, error)
    # Sessions begun with the password alone end: from now on every session had the code.
    target = after_login(request) if not logged_in else "/console"
    await staff_sessions.end_all(session, user_id=user.id, now=now)
    sid = await staff_sessions.start(session, user=user, now=now, settings=settings)
    request.session.clear()
    request.session[staff_sessions.SESSION_ID] = sid
    csrf_of(request).token(request, rotate=True)
    context = {"codes": codes, "target": target, "nav": "account"}
    return page(request, "mfa_codes.html", context, staff_principal(user))


@router.post("/sessions/end-all")
async def end_all(request: Request, session: SessionDep, principal: FormUser) -> Response:
    """Log out everywhere: this browser and every other one."""
    assert principal.user_id is not None
    await staff_sessions.end_all(session, user_id=principal.user_id, now=utcnow())
    request.session.clear()
    flash(request, "You are logged out on every device.")
    response = RedirectResponse("/console/login", status_code=303)
    csrf_of(request).clear(response)
    return response
