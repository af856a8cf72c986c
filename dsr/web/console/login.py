"""Console login and logout. The session is a signed cookie (SameSite=Lax, so links in staff
e-mails arrive logged in; CSRF tokens guard every form); logging in starts a new one (cleared,
then the user id set) with a new CSRF token, so nothing planted before the login survives it.
Login has its own rate-limit bucket, apart from public intake's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dsr.auth import service
from dsr.deps import SessionDep
from dsr.errors import RateLimited, Unauthorized
from dsr.http import client_ip
from dsr.web.console.render import flash, page
from dsr.web.console.session import SESSION_USER, FormUser, after_login, csrf_of
from dsr.web.forms import FormModel

router = APIRouter()

_FAILED = "The e-mail address or password is not right. Check them and try again."


def _login_page(
    request: Request, error: str | None = None, email: str = "", status: int = 200
) -> HTMLResponse:
    return page(request, "login.html", {"error": error, "email": email}, None, status=status)


class LoginForm(FormModel):
    email: str = ""
    password: str = ""


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    if request.session.get(SESSION_USER):
        return RedirectResponse("/console", status_code=303)
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request, session: SessionDep, form: Annotated[LoginForm, Form()]
) -> Response:
    await csrf_of(request).validate_form(request)
    email = form.email.strip()[:254]
    password = form.password[:1024]
    try:
        await request.app.state.rate_limiter.check_login(client_ip(request))
        user = await service.authenticate(session, email, password)
    except RateLimited as exc:
        return _login_page(request, exc.message, email, status=429)
    except Unauthorized:
        return _login_page(request, _FAILED, email, status=401)
    target = after_login(request)
    request.session.clear()
    request.session[SESSION_USER] = str(user.id)
    csrf = csrf_of(request)
    csrf.token(request, rotate=True)
    response = RedirectResponse(target, status_code=303)
    csrf.attach(request, response)
    return response


@router.post("/logout")
async def logout(request: Request, _principal: FormUser) -> Response:
    request.session.clear()
    flash(request, "You are logged out.")
    response = RedirectResponse("/console/login", status_code=303)
    csrf_of(request).clear(response)
    return response
