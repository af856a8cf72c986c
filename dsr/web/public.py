"""Public pages: the request form, the confirmation page behind the e-mailed link, the status
page. Pages that change something are POSTs; links in e-mails only ever show a page, so a mail
scanner that follows links cannot confirm a request on someone's behalf. Over 300 lines: each
page is a few lines of glue, and splitting the form from its follow-up pages would scatter one
flow."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from dsr.appeals import repository as appeals_repo
from dsr.appeals import service as appeals
from dsr.cases import intake, proofs
from dsr.cases.appeal_terms import appeal_terms
from dsr.cases.models import Case
from dsr.cases.schemas import RequestIn
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.domain.offers import AppealBar, appeal_bar
from dsr.domain.text_rules import CONTROL_CHARACTERS, has_control_characters
from dsr.domain.vocabulary import CaseStatus
from dsr.http import client_ip
from dsr.notifications.catalogue import N_
from dsr.settings import Settings
from dsr.web.agent_form import agent_from_form
from dsr.web.agent_proof_page import proof_page_path
from dsr.web.choices import APPEAL_STATUS_LABELS, JURISDICTIONS, STATUS_LABELS, TYPE_LABELS, TYPES
from dsr.web.forms import RequestForm, field_messages
from dsr.web.language import page_language
from dsr.web.request_form import REQUEST_FIELDS, type_object
from dsr.web.templating import templates

router = APIRouter(include_in_schema=False)


def _form_page(
    request: Request,
    settings: Any,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "public/form.html",
        {
            "types": TYPES,
            "jurisdictions": JURISDICTIONS,
            "values": values,
            "errors": errors,
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


_FRIENDLY = {
    # A type that is not one of ours: the other messages about "type" (a type's own object that
    # does not validate) are the validator's own.
    "type:literal_error": "Choose what you would like us to do.",
    "type:enum": "Choose what you would like us to do.",
    "jurisdiction": "Choose where you live.",
    "email": "Enter a valid e-mail address, like name@example.com.",
    # Only for an empty name: a refused character or line break keeps the validator's words.
    "full_name:string_too_short": "Enter your full name.",
}


class PublicRequestForm(RequestForm):
    website: str = ""  # the honeypot: people leave it empty, bots fill it in
    agent_kind: str = ""  # an authorized agent acting for the consumer (dsr.cases.agents)
    agent_name: str = ""
    agent_email: str = ""
    language: str = ""  # the e-mails' language (dsr.i18n): the page's unless the person changed it


@router.get("/", response_class=HTMLResponse)
async def form(request: Request, settings: SettingsDep) -> HTMLResponse:
    return _form_page(request, settings, {}, {})


@router.post("/requests", response_class=HTMLResponse)
async def submit_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[PublicRequestForm, Form()],
) -> Response:
    limiter = request.app.state.rate_limiter
    await limiter.check_ip(client_ip(request))
    values = form.values()
    # No language field (an old page, a script): the page's own, when the browser asked for one.
    values["language"] = values.get("language") or page_language(request) or ""
    agent, agent_errors = agent_from_form(values)
    try:
        body = RequestIn.model_validate({**_to_body(values), "agent": agent})
    except ValidationError as exc:
        values.pop("website", None)
        errors = {**field_messages(exc, (*REQUEST_FIELDS, "language"), _FRIENDLY), **agent_errors}
        return _form_page(request, settings, values, errors, status=422)
    if agent_errors:
        values.pop("website", None)
        return _form_page(request, settings, values, agent_errors, status=422)
    await limiter.check_email(str(body.email))
    case = await intake.submit(session, settings=settings, data=body, now=utcnow())
    if agent is not None and (upload := await proofs.upload_token_id(session, case.id)):
        # The agent goes on to their upload page: what happens next, and where the consumer's
        # signed permission goes (the link is in their e-mail too).
        token = proofs.token_value(settings, upload)
        return RedirectResponse(proof_page_path(case.id, token, new=1), status_code=303)
    # An opt-out opened at once (no confirmation asked): the page says so instead.
    done = "?opened=1" if case.status != CaseStatus.PENDING_VERIFICATION else ""
    # The page after this one speaks the language the e-mails will (README, "Languages").
    if case.language != "en":
        done += ("&" if done else "?") + f"lang={case.language}"
    return RedirectResponse(f"/requests/{case.id}/submitted{done}", status_code=303)


@router.get("/requests/{case_id}/submitted", response_class=HTMLResponse)
async def submitted(
    request: Request,
    case_id: uuid.UUID,  # noqa: ARG001 (the path must be a request id)
    settings: SettingsDep,
    opened: Annotated[int, Query(ge=0, le=1)] = 0,
) -> HTMLResponse:
    title, paragraphs = (
        "Check your e-mail",
        [
            "We have sent you an e-mail with a link to confirm your request.",
            f"Open it within {settings.verification_ttl_hours} hours. If it does not arrive, "
            "check your spam folder, or send the form again.",
        ],
    )
    if opened:  # an opt-out: nothing to confirm
        title, paragraphs = "Request received", [_OPENED]
    return templates.TemplateResponse(
        request, "public/message.html", {"title": title, "paragraphs": paragraphs}
    )


_OPENED = (
    "We have received your request and sent a confirmation to your e-mail address. "
    "You do not need to do anything more."
)


@router.get("/requests/{case_id}/verify", response_class=HTMLResponse)
async def verify_page(
    request: Request,
    case_id: uuid.UUID,
    token: Annotated[str, Query(min_length=1, max_length=200)],
    session: SessionDep,
) -> HTMLResponse:
    # An agent's request: the consumer confirms they gave the agent permission, so the page
    # names the agent, for a valid link only. Opening the page changes nothing.
    agent = await intake.agent_to_confirm(session, case_id, token, utcnow())
    return templates.TemplateResponse(
        request, "public/verify.html", {"case_id": case_id, "token": token, "agent": agent}
    )


@router.post("/requests/{case_id}/verify", response_class=HTMLResponse)
async def verify_submit(
    request: Request,
    case_id: uuid.UUID,
    token: Annotated[str, Form(min_length=1, max_length=200)],
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    await request.app.state.rate_limiter.check_ip(client_ip(request))
    case = await intake.verify(
        session, settings=settings, case_id=case_id, token=token, now=utcnow()
    )
    return templates.TemplateResponse(
        request,
        "public/message.html",
        {
            "title": "Thank you: your request is confirmed",
            "paragraphs": [
                "We have opened your request and will send you an e-mail confirming it, with a link "
                "where you can follow its progress and see the date by which we must answer.",
            ],
            "reference": case.reference,
        },
    )


@router.get("/requests/{case_id}", response_class=HTMLResponse)
async def status_page(
    request: Request,
    case_id: uuid.UUID,
    token: Annotated[str, Query(min_length=1, max_length=200)],
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    now = utcnow()
    case = await intake.status_case(session, case_id, token, now)
    appeal = await appeals_repo.current_for_case(session, case.id)
    can_appeal, _, _ = _appeal_terms(settings, case, now)
    return templates.TemplateResponse(
        request,
        "public/status.html",
        {
            "case": case,
            "token": token,
            "type_label": TYPE_LABELS.get(case.type, case.type),
            "status_label": STATUS_LABELS.get(case.status, case.status),
            "appeal": appeal,
            "appeal_status_label": APPEAL_STATUS_LABELS.get(appeal.status, appeal.status)
            if appeal
            else None,
            "can_appeal": can_appeal,
        },
    )


# Why the page offers no appeal (dsr.domain.offers decides which), in the requester's words.
_APPEAL_BARRED = {
    AppealBar.NOT_REFUSED: N_("Only a refused or partly refused request can be appealed."),
    AppealBar.NOT_AVAILABLE: N_("No appeal is available for this request."),
    AppealBar.WINDOW_ENDED: N_("The time to appeal this decision has ended."),
}


def _appeal_terms(settings: Settings, case: Case, now: datetime) -> tuple[bool, date | None, str]:
    """Whether this requester may appeal now, until when, and if not, why (in plain words)."""
    available, window_ends = appeal_terms(case, settings)
    bar = appeal_bar(case.status, available, window_ends, settings.today(now))
    return bar is None, window_ends, _APPEAL_BARRED[bar] if bar else ""


@router.get("/requests/{case_id}/appeal", response_class=HTMLResponse)
async def appeal_page(
    request: Request,
    case_id: uuid.UUID,
    token: Annotated[str, Query(min_length=1, max_length=200)],
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    now = utcnow()
    case = await intake.status_case(session, case_id, token, now)
    return await _appeal_form(request, settings, case, token, now)


async def _appeal_form(
    request: Request,
    settings: Settings,
    case: Case,
    token: str,
    now: datetime,
    *,
    error: str | None = None,
    reason: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    can_appeal, window_ends, not_available = _appeal_terms(settings, case, now)
    return templates.TemplateResponse(
        request,
        "public/appeal.html",
        {
            "case": case,
            "token": token,
            "can_appeal": can_appeal,
            "window_ends": window_ends,
            "not_available": not_available,
            "statutory": case.policy.get("appeal") is not None,
            "error": error,
            "reason": reason,
        },
        status_code=status,
    )


@router.post("/requests/{case_id}/appeal", response_class=HTMLResponse)
async def appeal_submit(
    request: Request,
    case_id: uuid.UUID,
    token: Annotated[str, Form(min_length=1, max_length=200)],
    session: SessionDep,
    settings: SettingsDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    await request.app.state.rate_limiter.check_ip(client_ip(request))
    now = utcnow()
    case = await intake.status_case(session, case_id, token, now)
    if not reason.strip():
        return await _appeal_form(
            request,
            settings,
            case,
            token,
            now,
            error=N_("Tell us why we should change our decision."),
            status=422,
        )
    if has_control_characters(reason):
        # The API refuses these through AppealIn; the page does too, and gives the text back
        # without them so nothing needs retyping.
        return await _appeal_form(
            request,
            settings,
            case,
            token,
            now,
            error=N_(
                "Your reason contains control characters we cannot accept. "
                "We removed them: check the text and send it again."
            ),
            reason=CONTROL_CHARACTERS.sub("", reason),
            status=422,
        )
    appeal = await appeals.file(
        session, settings=settings, case_id=case_id, token=token, reason=reason, now=now
    )
    return templates.TemplateResponse(
        request,
        "public/message.html",
        {
            "title": "Your appeal is received",
            "paragraphs": [
                "Someone who did not make the original decision will review it.",
                f"We will tell you the outcome in writing by {appeal.respond_by.strftime('%-d %B %Y')} at the latest.",
            ],
            "reference": case.reference,
        },
        status_code=201,
    )
