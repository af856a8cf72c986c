"""Who is using the console: the session cookie's user, redirecting to the login page when there
is none; the CSRF check for forms; role checks that answer with the console's error page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from dsr.auth import sessions as staff_sessions
from dsr.auth.principal import Principal
from dsr.auth.service import staff_principal
from dsr.auth.sessions import SESSION_ID
from dsr.db.types import utcnow
from dsr.deps import SessionDep
from dsr.domain.workflow import Role
from dsr.errors import Forbidden
from dsr.notifications import delivery
from dsr.web.csrf import Csrf

LOGIN_URL = "/console/login"
SESSION_NEXT = "next"


class LoginRequired(Exception):
    """No valid console session: answered with a redirect to the login page."""


def login_redirect(request: Request, _exc: Exception) -> RedirectResponse:
    """To the login page; a page asked for by GET (a link in an e-mail, say) is remembered in
    the session, not the URL, and shown after the login."""
    if request.method == "GET" and "session" in request.scope:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if len(wanted) <= 500:
            request.session[SESSION_NEXT] = wanted
    return RedirectResponse(LOGIN_URL, status_code=303)


def after_login(request: Request, role: str = "") -> str:
    """Where to go after logging in: the remembered console page, or the user's own list (the
    appeals for a reviewer, whose work they are; the case queue for everyone else). Only paths
    of this console, so the login cannot be made to send anyone elsewhere."""
    wanted = str(request.session.get(SESSION_NEXT) or "")
    ours = wanted.startswith(("/console/", "/console?")) and not wanted.startswith(LOGIN_URL)
    if ours and "\\" not in wanted:
        return wanted
    return "/console/appeals" if role == Role.REVIEWER else "/console"


def csrf_of(request: Request) -> Csrf:
    csrf: Csrf = request.app.state.csrf
    return csrf


async def console_user(request: Request, session: SessionDep) -> Principal:
    sid = request.session.get(SESSION_ID)
    settings = request.app.state.settings
    user = await staff_sessions.user_of(session, sid=sid, now=utcnow(), settings=settings)
    if user is None:
        if sid:
            request.session.clear()  # an ended session, or a deactivated user: forget it
        raise LoginRequired
    # The navigation shows how many cases have an e-mail that failed or is being retried.
    request.state.delivery_problems = await delivery.problem_case_count(session)
    return staff_principal(user)


ConsoleUser = Annotated[Principal, Depends(console_user)]


async def form_user(request: Request, principal: ConsoleUser) -> Principal:
    """Every console POST: logged in (else the login page), then the form must carry this
    session's CSRF token (else 403, nothing changed)."""
    await csrf_of(request).validate_form(request)
    return principal


FormUser = Annotated[Principal, Depends(form_user)]


def can_work_cases(principal: Principal) -> bool:
    """Who may run case actions at all (the state machine then judges each one)."""
    return principal.has_role(Role.HANDLER, Role.REVIEWER)


def can_audit(principal: Principal) -> bool:
    """Who may see a case's access log: auditors and admins."""
    return principal.has_role(Role.AUDITOR)


def can_handle(principal: Principal) -> bool:
    return principal.has_role(Role.HANDLER)


def require(allowed: bool, what: str) -> None:
    if not allowed:
        raise Forbidden(f"Your role may not {what}.")
