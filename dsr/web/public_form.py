"""The public request form as a journey: the form, a "check your answers" page, then the
request is sent. Nothing is stored before the person confirms: the check page carries what was
typed in hidden fields, under the CSRF token, and the confirming POST judges it all again (a
hidden field can be edited like any other). "Change" buttons post the same fields back to the
form, so no personal data ever travels in a URL."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from dsr.cases import intake, proofs
from dsr.cases.schemas import RequestIn
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.domain.vocabulary import CaseStatus
from dsr.errors import Forbidden
from dsr.http import client_ip
from dsr.notifications.catalogue import N_
from dsr.web.agent_form import agent_from_form
from dsr.web.agent_proof_page import proof_page_path
from dsr.web.choices import JURISDICTIONS, TYPE_LABELS, TYPES
from dsr.web.csrf import Csrf
from dsr.web.forms import RequestForm, field_messages
from dsr.web.language import page_language
from dsr.web.request_form import REQUEST_FIELDS, type_object
from dsr.web.templating import templates

router = APIRouter(include_in_schema=False)

# The fields the check page carries, in the order they are shown.
CARRIED = (*REQUEST_FIELDS, "agent_kind", "agent_name", "agent_email", "language")
# Each type's own questions: the check page carries only the chosen type's (without JavaScript
# every type's questions show, and may hold text typed before the type was changed).
_TYPE_FIELDS = {
    "correction": ("inaccurate_data", "corrected_data"),
    "output_removal": ("personal_data", "examples", "models"),
}
# What the submitted page shows once: kept in the signed session, never in the URL.
_SUBMITTED = "submitted"

# Marked N_(): the form's template translates every message when it shows it.
_FRIENDLY = {
    # A type that is not one of ours: the other messages about "type" (a type's own object that
    # does not validate) are the validator's own.
    "type:literal_error": N_("Choose what you would like us to do."),
    "type:enum": N_("Choose what you would like us to do."),
    "jurisdiction": N_("Choose where you live."),
    "email": N_("Enter a valid e-mail address, like name@example.com."),
    # Only for an empty name: a refused character or line break keeps the validator's words.
    "full_name:string_too_short": N_("Enter your full name."),
}


class PublicRequestForm(RequestForm):
    website: str = ""  # the honeypot: people leave it empty, bots fill it in
    agent_kind: str = ""  # an authorized agent acting for the consumer (dsr.cases.agents)
    agent_name: str = ""
    agent_email: str = ""
    language: str = ""  # the e-mails' language (dsr.i18n): the page's unless the person changed it
    change: str = ""  # which answer the person chose to change on the check page


FormDep = Annotated[PublicRequestForm, Form()]


def _csrf(request: Request) -> Csrf:
    csrf: Csrf = request.app.state.csrf
    return csrf


def _form_page(
    request: Request,
    settings: Any,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    focus: str = "",
    status: int = 200,
) -> HTMLResponse:
    values.pop("website", None)
    return templates.TemplateResponse(
        request,
        "public/form.html",
        {
            "types": TYPES,
            "jurisdictions": JURISDICTIONS,
            "values": values,
            "errors": errors,
            "focus": focus,
            "verify_hours": settings.verification_ttl_hours,
        },
        status_code=status,
    )


def _to_body(values: dict[str, str]) -> dict[str, Any]:
    def opt(name: str) -> str | None:
        return values.get(name) or None

    body: dict[str, Any] = {
        "type": values.get("type", ""),
        "jurisdiction": values.get("jurisdiction", ""),
        "email": values.get("email", ""),
        "full_name": values.get("full_name", ""),
        "account_id": opt("account_id"),
        "details": opt("details"),
        "website": opt("website"),
        "language": opt("language"),
    }
    body.update(type_object(values))
    return body


def _judge(values: dict[str, str]) -> tuple[RequestIn | None, dict[str, str]]:
    """The API's own schema judges the form: the request body, or the problems by field."""
    agent, agent_errors = agent_from_form(values)
    try:
        body = RequestIn.model_validate({**_to_body(values), "agent": agent})
    except ValidationError as exc:
        return None, {
            **field_messages(exc, (*REQUEST_FIELDS, "language"), _FRIENDLY),
            **agent_errors,
        }
    return (None, agent_errors) if agent_errors else (body, {})


def _values(request: Request, form: PublicRequestForm) -> dict[str, str]:
    values = form.values()
    # No language field (an old page, a script): the page's own, when the browser asked for one.
    values["language"] = values.get("language") or page_language(request) or ""
    return values


def _jurisdiction_name(code: str) -> str:
    for _group, options in JURISDICTIONS:
        for value, name in options:
            if value == code:
                return name
    return code


@router.get("/", response_class=HTMLResponse)
async def form(request: Request, settings: SettingsDep) -> HTMLResponse:
    return _form_page(request, settings, {}, {})


@router.post("/requests", response_class=HTMLResponse)
async def check_answers(request: Request, settings: SettingsDep, form: FormDep) -> HTMLResponse:
    """The form sent: its problems on the form again, or the answers to check."""
    values = _values(request, form)
    body, errors = _judge(values)
    if body is None:
        return _form_page(request, settings, values, errors, status=422)
    return _check_page(request, values)


def _check_page(request: Request, values: dict[str, str], *, expired: bool = False) -> HTMLResponse:
    csrf = _csrf(request)
    kind = values.get("type", "")
    other = {f for t, fields in _TYPE_FIELDS.items() if t != kind for f in fields}
    response = templates.TemplateResponse(
        request,
        "public/check.html",
        {
            "values": {k: "" if k in other else values.get(k, "") for k in CARRIED},
            "type_label": TYPE_LABELS.get(values.get("type", ""), values.get("type", "")),
            "jurisdiction_name": _jurisdiction_name(values.get("jurisdiction", "")),
            "examples": [x for x in values.get("examples", "").splitlines() if x.strip()],
            "csrf_token": csrf.token(request),
            "expired": expired,
        },
    )
    csrf.attach(request, response)
    response.headers["Cache-Control"] = "no-store"  # the page holds what was typed
    return response


@router.post("/requests/change", response_class=HTMLResponse)
async def change_answer(request: Request, settings: SettingsDep, form: FormDep) -> HTMLResponse:
    """A "Change" button on the check page: the form again, as typed, focus on that answer."""
    values = form.values()
    focus = form.change if form.change in CARRIED else ""
    return _form_page(request, settings, values, {}, focus=focus)


@router.post("/requests/confirm", response_class=HTMLResponse)
async def confirm(
    request: Request, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    try:
        await _csrf(request).validate_form(request)
    except Forbidden:
        # An old page, or cookies lost: nothing is sent; the answers are shown again with a
        # fresh token, so sending them is one press away (a forged post gets no further).
        return _check_page(request, form.values(), expired=True)
    limiter = request.app.state.rate_limiter
    await limiter.check_ip(client_ip(request))
    values = _values(request, form)
    body, errors = _judge(values)  # judged again: hidden fields can be edited too
    if body is None:
        return _form_page(request, settings, values, errors, status=422)
    await limiter.check_email(str(body.email))
    case = await intake.submit(session, settings=settings, data=body, now=utcnow())
    request.session[_SUBMITTED] = {
        "id": str(case.id),
        "reference": case.reference,
        "email": case.email,
    }
    if body.agent is not None and (upload := await proofs.upload_token_id(session, case.id)):
        # The agent goes on to their upload page: what happens next, and where the consumer's
        # signed permission goes (the link is in their e-mail too).
        token = proofs.token_value(settings, upload)
        return RedirectResponse(proof_page_path(case.id, token, new=1), status_code=303)
    # An opt-out opened at once (no confirmation asked): the page says so instead.
    done = "?opened=1" if case.status != CaseStatus.PENDING_VERIFICATION else ""
    if not done and body.agent is not None:
        done = "?agent=1"  # the consumer, not the agent, got the confirmation link
    # The page after this one speaks the language the e-mails will (README, "Languages").
    if case.language != "en":
        done += ("&" if done else "?") + f"lang={case.language}"
    return RedirectResponse(f"/requests/{case.id}/submitted{done}", status_code=303)


@router.get("/requests/{case_id}/submitted", response_class=HTMLResponse)
async def submitted(
    request: Request,
    case_id: uuid.UUID,
    settings: SettingsDep,
    opened: Annotated[int, Query(ge=0, le=1)] = 0,
    agent: Annotated[int, Query(ge=0, le=1)] = 0,
) -> HTMLResponse:
    # Shown once, to the browser that sent the request: the reference and the address the
    # link went to, so a mistyped address is noticed now rather than never.
    shown = request.session.pop(_SUBMITTED, None)
    if not isinstance(shown, dict) or shown.get("id") != str(case_id):
        shown = {}
    kind = "agent" if agent else "opened" if opened else "verify"
    response = templates.TemplateResponse(
        request,
        "public/submitted.html",
        {
            "kind": kind,
            "reference": shown.get("reference"),
            "email": shown.get("email"),
            "verify_hours": settings.verification_ttl_hours,
        },
    )
    response.headers["Cache-Control"] = "no-store"
    return response
