"""Console login and logout. The signed session cookie carries a server-side session's random id
(dsr.auth.sessions): logging out ends that session for every copy of the cookie. Logging in
starts a new cookie (cleared, then the session id set) with a new CSRF token, so nothing planted
before the login survives it. With a second factor the password step leaves a short-lived
"pending" mark in the cookie, and only the code step starts the session; an account that must
have a second factor and has none is sent to set one up (dsr.web.console.account).
Login has its own rate-limit bucket, apart from public intake's, and a per-account lockout."""

from __future__ import annotations

import time
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dsr.auth import login as staff_login
from dsr.auth import repository as users
from dsr.auth import sessions as staff_sessions
from dsr.auth.models import StaffUser
from dsr.db.types import utcnow
from dsr.deps import SessionDep
from dsr.errors import RateLimited, Unauthorized
from dsr.http import client_ip
from dsr.web.console.render import flash, page
from dsr.web.console.session import FormUser, after_login, csrf_of
from dsr.web.forms import FormModel

router = APIRouter()

_FAILED = "The e-mail address or password is not right. Check them and try again."
_CODE_FAILED = "The code is not right. Enter the current code from your app, or a recovery code."
PENDING_USER = "pending_user"
PENDING_KIND = "pending_kind"
PENDING_AT = "pending_at"
PENDING_SECONDS = {"code": 300, "enrol": 900}  # to type a code; to set an app up


def _login_page(
    request: Request, error: str | None = None, email: str = "", status: int = 200
) -> HTMLResponse:
    return page(request, "login.html", {"error": error, "email": email}, None, status=status)


class LoginForm(FormModel):
    email: str = ""
    password: str = ""


class CodeForm(FormModel):
    code: str = ""


def start_session_response(request: Request, sid: str, target: str) -> Response:
    """The cookie of a new session (and a new CSRF token), then on to the target."""
    request.session.clear()
    request.session[staff_sessions.SESSION_ID] = sid
    csrf = csrf_of(request)
    csrf.token(request, rotate=True)
    response = RedirectResponse(target, status_code=303)
    csrf.attach(request, response)
    return response


def _pend(request: Request, user: StaffUser, kind: str, target: str) -> Response:
    request.session.clear()
    request.session.update(
        {PENDING_USER: str(user.id), PENDING_KIND: kind, PENDING_AT: int(time.time())}
    )
    request.session["next"] = target
    csrf = csrf_of(request)
    csrf.token(request, rotate=True)
    url = "/console/login/code" if kind == "code" else "/console/account/mfa"
    response = RedirectResponse(url, status_code=303)
    csrf.attach(request, response)
    return response


async def pending_user(request: Request, session: SessionDep, kind: str) -> StaffUser | None:
    """The user who gave the right password a moment ago and has `kind` still to do."""
    if request.session.get(PENDING_KIND) != kind:
        return None
    age = time.time() - float(request.session.get(PENDING_AT, 0))
    try:
        user_id = uuid.UUID(str(request.session.get(PENDING_USER)))
    except ValueError:
        return None
    if not 0 <= age <= PENDING_SECONDS[kind]:
        return None
    user = await users.user_by_id(session, user_id)
    return user if user is not None and user.is_active else None


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    if request.session.get(staff_sessions.SESSION_ID):
        return RedirectResponse("/console", status_code=303)
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request, session: SessionDep, form: Annotated[LoginForm, Form()]
) -> Response:
    await csrf_of(request).validate_form(request)
    settings = request.app.state.settings
    email = form.email.strip()[:254]
    password = form.password[:1024]
    now = utcnow()
    try:
        await request.app.state.rate_limiter.check_login(client_ip(request))
        user = await staff_login.check_password(
            session, email=email, password=password, now=now, settings=settings
        )
    except RateLimited as exc:
        return _login_page(request, exc.message[:1].upper() + exc.message[1:] + ".", email, 429)
    except Unauthorized:
        return _login_page(request, _FAILED, email, status=401)
    target = after_login(request, user.role)
    step = staff_login.second_step(user, settings)
    if step is not None:
        return _pend(request, user, step, target)
    await staff_login.succeeded(session, user=user, settings=settings)
    sid = await staff_sessions.start(session, user=user, now=now, settings=settings)
    return start_session_response(request, sid, target)


def _code_page(request: Request, error: str | None = None, status: int = 200) -> HTMLResponse:
    return page(request, "login_code.html", {"error": error}, None, status=status)


@router.get("/login/code", response_class=HTMLResponse)
async def code_form(request: Request, session: SessionDep) -> Response:
    if await pending_user(request, session, "code") is None:
        return RedirectResponse("/console/login", status_code=303)
    return _code_page(request)


@router.post("/login/code", response_class=HTMLResponse)
async def code(
    request: Request, session: SessionDep, form: Annotated[CodeForm, Form()]
) -> Response:
    await csrf_of(request).validate_form(request)
    settings = request.app.state.settings
    user = await pending_user(request, session, "code")
    if user is None:
        flash(request, "The login took too long. Log in again.")
        return RedirectResponse("/console/login", status_code=303)
    now = utcnow()
    try:
        await request.app.state.rate_limiter.check_login(client_ip(request))
        await staff_login.check_code(
            session, user=user, code=form.code[:64], now=now, settings=settings
        )
    except RateLimited as exc:
        return _code_page(request, exc.message[:1].upper() + exc.message[1:] + ".", 429)
    except Unauthorized:
        return _code_page(request, _CODE_FAILED, status=401)
    target = after_login(request, user.role)
    sid = await staff_sessions.start(session, user=user, now=now, settings=settings)
    return start_session_response(request, sid, target)


@router.post("/logout")
async def logout(request: Request, session: SessionDep, _principal: FormUser) -> Response:
    await staff_sessions.end(
        session, sid=request.session.get(staff_sessions.SESSION_ID), now=utcnow()
    )
    request.session.clear()
    flash(request, "You are logged out.")
    response = RedirectResponse("/console/login", status_code=303)
    csrf_of(request).clear(response)
    return response
