"""Admin pages: notifications that could not be sent (admins list and retry them; recipients are
not shown). The data-system registry is in systems.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dsr.auth.principal import Principal
from dsr.deps import SessionDep
from dsr.domain.vocabulary import OutboxStatus
from dsr.domain.workflow import Role
from dsr.limits import IntId
from dsr.notifications import admin as outbox_admin
from dsr.notifications.delivery import plain_reason
from dsr.web.console import names
from dsr.web.console.render import flash, page
from dsr.web.console.session import ConsoleUser, FormUser, require

router = APIRouter()


def _is_admin(principal: Principal) -> bool:
    return principal.role is Role.ADMIN


@router.get("/notifications", response_class=HTMLResponse)
async def failed_notifications(
    request: Request, principal: ConsoleUser, session: SessionDep
) -> HTMLResponse:
    require(_is_admin(principal), "see notifications")
    messages = await outbox_admin.list_messages(session, OutboxStatus.FAILED, 200)
    refs = await outbox_admin.references(session, messages)
    rows = [
        {
            "m": outbox_admin.out(m),
            "kind": names.message_kind(m.kind),
            "reference": refs.get(str(m.case_id)) if m.case_id else None,
            "why": plain_reason(m.last_error),
        }
        for m in messages
    ]
    return page(request, "notifications.html", {"nav": "notifications", "rows": rows}, principal)


@router.post("/notifications/{message_id}/retry", response_class=HTMLResponse)
async def retry_notification(
    message_id: Annotated[IntId, Path()], request: Request, principal: FormUser, session: SessionDep
) -> Response:
    require(_is_admin(principal), "retry notifications")
    await outbox_admin.retry(session, message_id)
    flash(request, f"Notification {message_id} will be sent again shortly.")
    return RedirectResponse("/console/notifications", status_code=303)
