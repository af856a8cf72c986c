"""The requester's status page (behind the status link's token) and their withdrawal. The page
says where the request stands in the requester's terms: the deadline while we work, what we
asked while we wait for them, the decision with its date and what they can do next (appeal, or
the regulator) once we decided, and a dated history of the steps they may see: no staff names,
notes or assignments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dsr.appeals import repository as appeals_repo
from dsr.cases import intake, timeline, withdrawal
from dsr.cases.models import Case, CaseEvent
from dsr.cases.notices import regulator_for
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.domain.vocabulary import APPEALABLE_STATUSES, CaseStatus
from dsr.http import client_ip
from dsr.settings import Settings
from dsr.web.public import appeal_offer
from dsr.web.templating import templates

router = APIRouter(include_in_schema=False)

Token = Annotated[str, Query(min_length=1, max_length=200)]

# The timeline's steps a requester is shown (templates/public/_history.html words each); the
# rest (assignments, notes, tasks, the appeal's assignment) is the staff's own business.
REQUESTER_STEPS = frozenset(
    {
        "submit",
        "verify",
        "open_without_verification",
        "accept_agent_proof",
        "expire",
        "request_info",
        "info_received",
        "extend",
        "deny",
        "fulfil",
        "partially_fulfil",
        "withdraw",
        "duplicate_linked",
        "mark_duplicate",
        "appeal",
        "appeal_extend",
        "appeal_uphold",
        "appeal_overturn",
        "package_built",
    }
)


def history(events: list[CaseEvent], settings: Settings) -> list[dict[str, Any]]:
    return [
        {"action": ev.action, "date": settings.today(ev.at)}
        for ev in events
        if ev.action in REQUESTER_STEPS
    ]


def _last(events: list[CaseEvent], action: str) -> CaseEvent | None:
    return next((ev for ev in reversed(events) if ev.action == action), None)


async def _page(
    request: Request, session: Any, settings: Settings, case: Case, token: str, now: datetime
) -> HTMLResponse:
    appeal = await appeals_repo.current_for_case(session, case.id)
    events = await timeline.events_for(session, case.id)
    can_appeal, window_ends, _ = appeal_offer(settings, case, now)
    status = CaseStatus(case.status)
    refused = status in APPEALABLE_STATUSES or status == CaseStatus.APPEAL_UPHELD
    asked = _last(events, "request_info") if status == CaseStatus.AWAITING_INFO else None
    response = templates.TemplateResponse(
        request,
        "public/status.html",
        {
            "case": case,
            "token": token,
            "status": status.value,
            # The deadline is ours to meet only while the request is being worked on.
            "working": status
            in {CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.AWAITING_INFO},
            "decided": case.decided_at is not None,  # cleared when an appeal overturns it
            "decided_on": settings.today(case.decided_at) if case.decided_at else None,
            "asked": asked.reason if asked else None,
            "asked_on": settings.today(asked.at) if asked else None,
            "appeal": appeal,
            "appeal_decided_on": settings.today(appeal.decided_at)
            if appeal and appeal.decided_at
            else None,
            "can_appeal": can_appeal and appeal is None,
            "appeal_until": window_ends,
            "regulator": regulator_for(case.jurisdiction, settings.regulators_file)
            if refused
            else None,
            "can_withdraw": await withdrawal.can_withdraw(session, case, settings, now),
            "history": history(events, settings),
        },
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/requests/{case_id}", response_class=HTMLResponse)
async def status_page(
    request: Request, case_id: uuid.UUID, token: Token, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    now = utcnow()
    case = await intake.status_case(session, case_id, token, now)
    return await _page(request, session, settings, case, token, now)


@router.get("/requests/{case_id}/withdraw", response_class=HTMLResponse)
async def withdraw_page(
    request: Request, case_id: uuid.UUID, token: Token, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    """The confirmation step: what withdrawing means, and the button that does it."""
    now = utcnow()
    case = await intake.status_case(session, case_id, token, now)
    allowed = await withdrawal.can_withdraw(session, case, settings, now)
    response = templates.TemplateResponse(
        request,
        "public/withdraw.html",
        {"case": case, "token": token, "allowed": allowed},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/requests/{case_id}/withdraw", response_class=HTMLResponse)
async def withdraw_submit(
    request: Request,
    case_id: uuid.UUID,
    token: Annotated[str, Form(min_length=1, max_length=200)],
    version: Annotated[int, Form(ge=1, le=2**31 - 1)],
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    await request.app.state.rate_limiter.check_ip(client_ip(request))
    await withdrawal.withdraw(
        session,
        settings=settings,
        case_id=case_id,
        token=token,
        now=utcnow(),
        expected_version=version,
    )
    # Back to the status page, which now says the request is withdrawn. The token is already
    # in this page's URL (the e-mailed link): the redirect adds nothing new to any log.
    return RedirectResponse(f"/requests/{case_id}?token={token}", status_code=303)
