"""The staff console under /console: session login, the queue, case pages with a form for every
action the state machine allows, bulk actions, the appeals queue and appeal pages, data systems,
failed notifications, DRP agents, staff users and service tokens (Access), requests recorded by staff, and
the dashboard.
Thin routes over the case and appeal services; CSRF on every form."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from dsr.settings import Settings
from dsr.web.console import (
    access,
    account,
    admin,
    agents,
    appeals,
    cases,
    dashboard,
    login,
    new_case,
    proofs,
    queue,
    search,
    subjects,
    systems,
)
from dsr.web.console.session import LoginRequired, login_redirect
from dsr.web.csrf import Csrf
from dsr.web.templating import templates


def install(app: FastAPI, settings: Settings) -> None:
    app.state.csrf = Csrf(settings)
    app.add_exception_handler(LoginRequired, login_redirect)
    for module in (
        login,
        account,
        queue,
        search,
        cases,
        proofs,
        admin,
        access,
        agents,
        systems,
        new_case,
        appeals,
        subjects,
        dashboard,
    ):
        app.include_router(module.router, prefix="/console", include_in_schema=False)


def render_error(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    """Errors raised on console pages (403, 404, 422 …), in the console's layout."""
    text = message[:1].upper() + message[1:] if message else title
    response = templates.TemplateResponse(
        request,
        "console/error.html",
        {"title": title, "message": text, "status": status},
        status_code=status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
