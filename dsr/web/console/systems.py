"""The data-system registry in the console: everyone sees it; admins add and edit systems (every
field the API takes), deactivate them and rotate a webhook system's signing secret. A new secret
is shown on the page that answers the POST, once: never in a redirect, a flash message (the
session is a readable cookie) or a page that can be opened again."""

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
from dsr.cases.data_system_models import DataSystem
from dsr.cases.schemas import REQUEST_TYPES
from dsr.deps import SessionDep, SettingsDep
from dsr.domain.vocabulary import Integration
from dsr.domain.workflow import Role
from dsr.errors import DATA_SYSTEM_NAME_TAKEN, DsrError, InvalidInput
from dsr.web.console import labels
from dsr.web.console.render import flash, page
from dsr.web.console.session import ConsoleUser, FormUser, require
from dsr.web.forms import FormModel, field_messages

router = APIRouter()

FIELDS = (
    "name",
    "owner_email",
    "categories",
    "request_types",
    "integration",
    "webhook_url",
    "identities",
    "purposes",
    "recipients",
    "retention",
    "source",
    "connection_env",
    "dataset",
)
_TEXTS = ("purposes", "recipients", "retention", "source")
_FRIENDLY = {
    "name": "Enter a name of 1 to 100 characters.",
    "owner_email": "Enter the owner's e-mail address, like name@example.com.",
    "categories": "Enter data categories of at most 200 characters each, separated by commas.",
    "request_types": "Choose at least one request type.",
    "integration": "Choose how dsr reaches the system.",
    "webhook_url": "Enter the URL webhooks are sent to, starting with https:// or http://.",
    "identities": "Choose at least one identity the system receives.",
    "connection_env": "Enter the name of an environment variable (letters, digits, _; not DSR_).",
    "dataset": "Paste the dataset (YAML), at most 200,000 characters.",
}
INTEGRATIONS = (Integration.MANUAL, Integration.WEBHOOK, Integration.PULL, Integration.SQL)


class DataSystemForm(FormModel):
    name: str = ""
    owner_email: str = ""
    categories: str = ""  # comma-separated
    request_types: list[str] = []  # one checkbox each
    integration: str = Integration.MANUAL
    webhook_url: str = ""
    identities: list[str] = []  # one checkbox each
    purposes: str = ""
    recipients: str = ""
    retention: str = ""
    source: str = ""
    connection_env: str = ""
    dataset: str = ""

    def values(self) -> dict[str, Any]:
        """The form as DataSystemIn takes it (an empty text is no text)."""
        values: dict[str, Any] = {
            "name": self.name.strip(),
            "owner_email": self.owner_email.strip(),
            "categories": [c.strip() for c in self.categories.split(",") if c.strip()],
            "request_types": self.request_types,
            "integration": self.integration,
            "webhook_url": self.webhook_url.strip() or None,
            "identities": self.identities,
            "connection_env": self.connection_env.strip() or None,
            "dataset": self.dataset if self.dataset.strip() else None,
        }
        for name in _TEXTS:
            values[name] = getattr(self, name).strip() or None
        return values


def _warned(warnings: list[str]) -> str:
    """An sql system's warnings (table and column names only) after the confirmation."""
    return "".join(f" Warning: {w}." for w in warnings)


def _is_admin(principal: Principal) -> bool:
    return principal.role is Role.ADMIN


def _values_of(system: DataSystem) -> dict[str, Any]:
    return {name: getattr(system, name) for name in FIELDS}


def _choices() -> dict[str, Any]:
    return {
        "types": REQUEST_TYPES,
        "integrations": {i: labels.INTEGRATION[i] for i in INTEGRATIONS},
        "identities": labels.IDENTITY,
    }


async def _list_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "nav": "systems",
        "systems": await registry.list_systems(session),
        "values": values or {"identities": list(labels.IDENTITY)},
        "errors": errors or {},
        **_choices(),
    }
    return page(request, "data_systems.html", context, principal, status=status)


def _system_page(
    request: Request,
    principal: Principal,
    system: DataSystem,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    secret: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "nav": "systems",
        "system": system,
        "values": values or _values_of(system),
        "errors": errors or {},
        "secret": secret,
        **_choices(),
    }
    return page(request, "data_system.html", context, principal, status=status)


def _problems(exc: ValidationError | DsrError) -> tuple[dict[str, str], int]:
    """Each problem beside its field, and the page's status."""
    if isinstance(exc, ValidationError):
        # The only check across fields is "a webhook system needs a webhook_url".
        return field_messages(exc, FIELDS, _FRIENDLY, fallback="webhook_url"), 422
    if exc.code == DATA_SYSTEM_NAME_TAKEN:
        return {"name": "A data system with this name already exists."}, exc.status_code
    if isinstance(exc, InvalidInput):  # an sql system's dataset against its database
        field = "connection_env" if exc.message.startswith("connection_env") else "dataset"
        # Beside the field, its name need not open the message.
        message = exc.message.removeprefix("connection_env: ")
        return {field: message[:1].upper() + message[1:]}, exc.status_code
    raise exc


@router.get("/data-systems", response_class=HTMLResponse)
async def data_systems(
    request: Request, principal: ConsoleUser, session: SessionDep
) -> HTMLResponse:
    return await _list_page(request, session, principal)


@router.post("/data-systems", response_class=HTMLResponse)
async def create_data_system(
    request: Request,
    principal: FormUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[DataSystemForm, Form()],
) -> Response:
    require(_is_admin(principal), "change the data-system registry")
    values = form.values()
    try:
        body = DataSystemIn.model_validate(values)
        async with session.begin_nested():
            system, secret, warnings = await registry.create_system(
                session, settings=settings, data=body
            )
    except (ValidationError, DsrError) as exc:
        errors, status = _problems(exc)
        return await _list_page(
            request, session, principal, values=values, errors=errors, status=status
        )
    if secret is not None:
        return _system_page(request, principal, system, secret=secret, status=201)
    flash(request, f"The data system {system.name} was added." + _warned(warnings))
    return RedirectResponse("/console/data-systems", status_code=303)


@router.get("/data-systems/{system_id}", response_class=HTMLResponse)
async def data_system(
    system_id: uuid.UUID, request: Request, principal: ConsoleUser, session: SessionDep
) -> HTMLResponse:
    system = await registry.get_system(session, system_id)
    return _system_page(request, principal, system)


@router.post("/data-systems/{system_id}", response_class=HTMLResponse)
async def update_data_system(
    system_id: uuid.UUID,
    request: Request,
    principal: FormUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[DataSystemForm, Form()],
) -> Response:
    require(_is_admin(principal), "change the data-system registry")
    values = form.values()
    try:
        body = DataSystemIn.model_validate(values)
        async with session.begin_nested():
            system, secret, warnings = await registry.update_system(
                session, settings=settings, system_id=system_id, data=body
            )
    except (ValidationError, DsrError) as exc:
        errors, status = _problems(exc)
        system = await registry.get_system(session, system_id)
        await session.refresh(system)  # what is stored, not what the refused change tried
        return _system_page(request, principal, system, values=values, errors=errors, status=status)
    if secret is not None:  # it has just become a webhook system
        return _system_page(request, principal, system, secret=secret)
    flash(request, f"The data system {system.name} was saved." + _warned(warnings))
    return RedirectResponse(f"/console/data-systems/{system.id}", status_code=303)


@router.post("/data-systems/{system_id}/rotate-secret", response_class=HTMLResponse)
async def rotate_secret(
    system_id: uuid.UUID,
    request: Request,
    principal: FormUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    require(_is_admin(principal), "change the data-system registry")
    secret = await registry.rotate_secret(session, settings=settings, system_id=system_id)
    system = await registry.get_system(session, system_id)
    return _system_page(request, principal, system, secret=secret)


@router.post("/data-systems/{system_id}/deactivate", response_class=HTMLResponse)
async def deactivate_data_system(
    system_id: uuid.UUID, request: Request, principal: FormUser, session: SessionDep
) -> Response:
    require(_is_admin(principal), "change the data-system registry")
    system = await registry.set_system_active(session, system_id, False)
    flash(request, f"The data system {system.name} was deactivated: new cases get no task for it.")
    return RedirectResponse("/console/data-systems", status_code=303)
