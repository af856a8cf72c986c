"""Recording a request received by e-mail, post, phone or an agent, with its real receipt date:
the console's POST /api/v1/cases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from dsr.auth.principal import Principal
from dsr.cases import intake
from dsr.cases.receipt import received_in_future
from dsr.cases.schemas import REQUEST_TYPES, StaffCaseIn
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.domain.workflow import Actor
from dsr.i18n import LANGUAGES, NATIVE_NAMES
from dsr.web.choices import JURISDICTIONS
from dsr.web.console import labels
from dsr.web.console.render import flash, page
from dsr.web.console.session import ConsoleUser, FormUser, can_handle, require
from dsr.web.forms import RequestForm, field_messages
from dsr.web.request_form import REQUEST_FIELDS, type_object

router = APIRouter()

FIELDS = (*REQUEST_FIELDS, "received_at", "channel", "language")
_FRIENDLY = {
    "type": "Choose the request type.",
    "jurisdiction": "Choose where the requester lives.",
    "email": "Enter a valid e-mail address.",
    "full_name": "Enter the requester's name.",
    "received_at": "Enter the date the request arrived (not in the future).",
    "channel": "Choose how the request arrived.",
}


def _body(v: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        k: v[k] or None
        for k in ("type", "jurisdiction", "email", "full_name", "account_id", "details")
    }
    body.update(
        received_at=v["received_at"] or None,
        channel=v["channel"] or None,
        # Empty: the jurisdiction's default (Quebec: French), else English (dsr.i18n.choose).
        language=v.get("language") or None,
        identity_verified=v.get("identity_verified") == "yes",
    )
    body.update(type_object(v))
    return body


def _form(
    request: Request,
    principal: Principal,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "new_case.html",
        {
            "nav": "new",
            "values": values,
            "errors": errors,
            "types": REQUEST_TYPES,
            "jurisdictions": JURISDICTIONS,
            "channels": labels.CHANNEL,
            "languages": [(code, NATIVE_NAMES[code]) for code in LANGUAGES],
        },
        principal,
        status=status,
    )


@router.get("/new", response_class=HTMLResponse)
async def new_case_form(request: Request, principal: ConsoleUser) -> HTMLResponse:
    require(can_handle(principal), "record requests")
    return _form(request, principal, {"channel": "email"}, {})


class NewCaseForm(RequestForm):
    received_at: str = ""
    channel: str = ""
    language: str = ""  # the requester's language (README, "Languages")
    identity_verified: str = ""  # a checkbox: "yes" when ticked


@router.post("/new", response_class=HTMLResponse)
async def new_case(
    request: Request,
    principal: FormUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[NewCaseForm, Form()],
) -> Response:
    require(can_handle(principal), "record requests")
    values = form.values(strip=True)
    values["identity_verified"] = "yes" if form.identity_verified == "yes" else ""
    now = utcnow()
    errors: dict[str, str] = {}
    try:
        body = StaffCaseIn.model_validate(_body(values))
    except ValidationError as exc:
        errors = field_messages(exc, FIELDS, _FRIENDLY)
    else:
        if received_in_future(settings, body.received_at, now):
            errors["received_at"] = _FRIENDLY["received_at"]
    if errors:
        return _form(request, principal, values, errors, status=422)
    case = await intake.submit(
        session,
        settings=settings,
        data=body,
        now=now,
        channel=body.channel,
        received=body.received_at,
        identity_verified=body.identity_verified,
        actor=Actor(kind="staff", id=str(principal.user_id), role=principal.role),
    )
    flash(request, f"Request {case.reference} was recorded.")
    return RedirectResponse(f"/console/cases/{case.id}", status_code=303)
