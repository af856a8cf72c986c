"""Rendering console pages: the shared context (who is logged in, the CSRF token, a one-time
message), no caching of pages that show personal data, and date formatting."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from dsr.auth.principal import Principal
from dsr.domain.workflow import Role
from dsr.settings import Settings
from dsr.web.console import labels, names
from dsr.web.console.session import can_handle, csrf_of
from dsr.web.templating import templates

FLASH = "flash"


def flash(request: Request, message: str) -> None:
    """A message for the next page (never personal data: the session is a readable cookie)."""
    request.session[FLASH] = message


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    principal: Principal | None,
    *,
    status: int = 200,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    csrf = csrf_of(request)
    token = csrf.token(request)
    base = {
        "user": principal,
        "csrf_token": token,
        "flash": request.session.pop(FLASH, None),
        "is_admin": principal is not None and principal.role is Role.ADMIN,
        "can_handle": principal is not None and can_handle(principal),
        "labels": labels,
        "jurisdiction_label": names.jurisdiction,
        "fmt_date": fmt_date,
        "fmt_time": lambda at: fmt_time(at, settings),
        "tz_name": settings.timezone,
        "delivery_problems": getattr(request.state, "delivery_problems", None),
    }
    response = templates.TemplateResponse(
        request, f"console/{template}", {**base, **context}, status_code=status
    )
    csrf.attach(request, response)
    response.headers["Cache-Control"] = "no-store"
    return response


def fmt_date(value: date | None) -> str:
    return value.strftime("%-d %b %Y") if value else "—"


def fmt_time(value: datetime | None, settings: Settings) -> str:
    if value is None:
        return "—"
    return value.astimezone(settings.tz).strftime("%-d %b %Y %H:%M")
