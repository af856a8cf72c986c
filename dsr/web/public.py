"""Public pages behind the e-mailed links: the confirmation page and the appeal form (the form
is dsr.web.public_form, the status page dsr.web.public_status). Pages that change something are
POSTs; links in e-mails only ever show a page, so a mail scanner that follows links cannot
confirm a request on someone's behalf."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from dsr.appeals import service as appeals
from dsr.cases import intake
from dsr.cases.appeal_terms import appeal_terms
from dsr.cases.models import Case
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.domain.offers import AppealBar, appeal_bar
from dsr.domain.text_rules import CONTROL_CHARACTERS, has_control_characters
from dsr.errors import AlreadyConfirmed
from dsr.http import client_ip
from dsr.notifications.catalogue import N_
from dsr.settings import Settings
from dsr.web.templating import templates

router = APIRouter(include_in_schema=False)


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
    try:
        case = await intake.verify(
            session, settings=settings, case_id=case_id, token=token, now=utcnow()
        )
    except AlreadyConfirmed:
        # The right link pressed again: only its holder gets here (a wrong token is a 404).
        return templates.TemplateResponse(
            request, "public/message.html", {"kind": "already_confirmed"}
        )
    return templates.TemplateResponse(
        request, "public/message.html", {"kind": "confirmed", "reference": case.reference}
    )


# Why the page offers no appeal (dsr.domain.offers decides which), in the requester's words.
_APPEAL_BARRED = {
    AppealBar.NOT_REFUSED: N_("Only a refused or partly refused request can be appealed."),
    AppealBar.NOT_AVAILABLE: N_("No appeal is available for this request."),
    AppealBar.WINDOW_ENDED: N_("The time to appeal this decision has ended."),
}


def appeal_offer(settings: Settings, case: Case, now: datetime) -> tuple[bool, date | None, str]:
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
    can_appeal, window_ends, not_available = appeal_offer(settings, case, now)
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
        {"kind": "appeal_received", "reference": case.reference, "date": appeal.respond_by},
        status_code=201,
    )
