"""Public JSON API for requesters: submit, verify, follow."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from dsr.appeals import presenters as appeal_presenters
from dsr.appeals import repository as appeals_repo
from dsr.cases import intake, presenters, withdrawal
from dsr.cases.schemas import RequestIn, RequestStatusOut, SubmissionOut, VerifyIn, WithdrawIn
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.http import client_ip

router = APIRouter(prefix="/api/v1/requests", tags=["requests (public)"])

TokenQuery = Annotated[
    str, Query(min_length=1, max_length=200, description="Status token from the e-mail")
]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SubmissionOut)
async def submit_request(
    body: RequestIn, request: Request, session: SessionDep, settings: SettingsDep
) -> SubmissionOut:
    limiter = request.app.state.rate_limiter
    await limiter.check_ip(client_ip(request))
    await limiter.check_email(str(body.email))
    case = await intake.submit(session, settings=settings, data=body, now=utcnow())
    return SubmissionOut(id=case.id, reference=case.reference, status=case.status)


@router.post("/{request_id}/verify", response_model=SubmissionOut)
async def verify_request(
    request_id: uuid.UUID,
    body: VerifyIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> SubmissionOut:
    await request.app.state.rate_limiter.check_ip(client_ip(request))
    case = await intake.verify(
        session, settings=settings, case_id=request_id, token=body.token, now=utcnow()
    )
    return SubmissionOut(id=case.id, reference=case.reference, status=case.status)


@router.post("/{request_id}/withdraw", response_model=SubmissionOut)
async def withdraw_request(
    request_id: uuid.UUID,
    body: WithdrawIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> SubmissionOut:
    """Withdraw the request with its status token: 404 for a wrong token (nothing revealed),
    409 once the request is closed or when `version` is not the request's current one."""
    await request.app.state.rate_limiter.check_ip(client_ip(request))
    case = await withdrawal.withdraw(
        session,
        settings=settings,
        case_id=request_id,
        token=body.token,
        now=utcnow(),
        expected_version=body.version,
    )
    return SubmissionOut(id=case.id, reference=case.reference, status=case.status)


@router.get("/{request_id}", response_model=RequestStatusOut)
async def request_status(
    request_id: uuid.UUID, token: TokenQuery, session: SessionDep
) -> RequestStatusOut:
    case = await intake.status_case(session, request_id, token, utcnow())
    out = presenters.status_out(case)
    appeal = await appeals_repo.current_for_case(session, case.id)
    if appeal is not None:
        out.appeal = appeal_presenters.public(appeal).model_dump(mode="json")
    return out
