"""Admin pages: the data-system registry (everyone sees it, admins change it) and notifications
that could not be sent (admins list and retry them; recipients are not shown)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth.principal import Principal
from dsr.cases import data_systems as registry
from dsr.cases.action_schemas import DataSystemIn
from dsr.cases.schemas import REQUEST_TYPES
from dsr.deps import SessionDep, SettingsDep
from dsr.domain.vocabulary import OutboxStatus
from dsr.domain.workflow import Role
from dsr.errors import DsrError
from dsr.notifications import admin as outbox_admin
from dsr.web.console.render import flash, page
from dsr.web.console.session import ConsoleUser, FormUser, require
from dsr.web.forms import FormModel, field_messages

router = APIRouter()


def _is_admin(principal: Principal) -> bool:
    return principal.role is Role.ADMIN


async def _systems_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    *,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "data_systems.html",
        {
            "nav": "systems",
            "systems": await registry.list_systems(session),
            "types": REQUEST_TYPES,
            "error": error,
            "values": values or {},
        },
        principal,
        status=status,
    )


@router.get("/data-systems", response_class=HTMLResponse)
async def data_systems(
    request: Request, principal: ConsoleUser, session: SessionDep
) -> HTMLResponse:
    return await _systems_page(request, session, principal)


class DataSystemForm(FormModel):
    name: str = ""
    owner_email: str = ""
    categories: str = ""  # comma-separated
    request_types: list[str] = []  # one checkbox each


@router.post("/data-systems", response_class=HTMLResponse)
async def create_data_system(
    request: Request,
    principal: FormUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[DataSystemForm, Form()],
) -> Response:
    require(_is_admin(principal), "change the data-system registry")
    values: dict[str, Any] = {
        "name": form.name.strip(),
        "owner_email": form.owner_email.strip(),
        "categories": [c.strip() for c in form.categories.split(",") if c.strip()],
        "request_types": form.request_types,
    }
    try:
        body = DataSystemIn.model_validate(values)
        async with session.begin_nested():
            await registry.create_system(session, settings=settings, data=body)
    except ValidationError as exc:
        names = sorted(field_messages(exc, DataSystemIn.model_fields, fallback=None))
        message = "Check these fields: " + ", ".join(n.replace("_", " ") for n in names) + "."
        return await _systems_page(
            request, session, principal, error=message, values=values, status=422
        )
    except DsrError as exc:
        return await _systems_page(
            request, session, principal, error=exc.message, values=values, status=exc.status_code
        )
    flash(request, f"The data system {body.name} was added.")
    return RedirectResponse("/console/data-systems", status_code=303)


@router.post("/data-systems/{system_id}/deactivate", response_class=HTMLResponse)
async def deactivate_data_system(
    system_id: uuid.UUID, request: Request, principal: FormUser, session: SessionDep
) -> Response:
    require(_is_admin(principal), "change the data-system registry")
    system = await registry.set_system_active(session, system_id, False)
    flash(request, f"The data system {system.name} was deactivated: new cases get no task for it.")
    return RedirectResponse("/console/data-systems", status_code=303)


@router.get("/notifications", response_class=HTMLResponse)
async def failed_notifications(
    request: Request, principal: ConsoleUser, session: SessionDep
) -> HTMLResponse:
    require(_is_admin(principal), "see notifications")
    messages = await outbox_admin.list_messages(session, OutboxStatus.FAILED, 200)
    return page(
        request,
        "notifications.html",
        {"nav": "notifications", "messages": [outbox_admin.out(m) for m in messages]},
        principal,
    )


@router.post("/notifications/{message_id}/retry", response_class=HTMLResponse)
async def retry_notification(
    message_id: int, request: Request, principal: FormUser, session: SessionDep
) -> Response:
    require(_is_admin(principal), "retry notifications")
    await outbox_admin.retry(session, message_id)
    flash(request, f"Notification {message_id} will be sent again shortly.")
    return RedirectResponse("/console/notifications", status_code=303)
