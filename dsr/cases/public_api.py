"""Public JSON API for requesters: submit, verify, follow."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, status

from dsr.appeals import presenters as appeal_presenters
from dsr.appeals import repository as appeals_repo
from dsr.bodies import read_body
from dsr.cases import intake, presenters, proofs, withdrawal
from dsr.cases.schemas import (
    AgentProofOut,
    RequestIn,
    RequestStatusOut,
    SubmissionOut,
    VerifyIn,
    WithdrawIn,
)
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.http import client_ip
from dsr.middleware import allow_large_body

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
    upload = await proofs.upload_token_id(session, case.id) if case.agent_email else None
    return SubmissionOut(
        id=case.id,
        reference=case.reference,
        status=case.status,
        agent_proof_token=proofs.token_value(settings, upload) if upload else None,
    )


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


_PROOF_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            kind: {"schema": {"type": "string", "format": "binary"}} for kind in proofs.MAGIC
        },
    }
}


@router.post(
    "/{request_id}/agent-proof",
    response_model=AgentProofOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_PROOF_BODY,
    responses={404: {}, 409: {}, 413: {}, 415: {}},
)
async def upload_agent_proof(
    request_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[
        str,
        Header(
            alias="X-Agent-Proof-Token",
            min_length=1,
            max_length=200,
            description="agent_proof_token from the submission, or the token in the agent's link",
        ),
    ],
) -> AgentProofOut:
    """An authorized agent's signed permission: the file itself as the body (PDF, PNG or JPEG,
    told by its first bytes), up to DSR_MAX_PROOF_BYTES. Repeatable (a few files per request)
    while the request waits or is worked on."""
    await request.app.state.rate_limiter.check_ip(client_ip(request))
    now = utcnow()
    await proofs.open_case(session, request_id, token, now)
    allow_large_body(request)  # only a holder of the link may make the server read a file
    proof = await proofs.store(
        session,
        settings=settings,
        case_id=request_id,
        data=bytes(await read_body(request)),
        declared=request.headers.get("content-type"),
        now=now,
    )
    return AgentProofOut(
        id=proof.id,
        content_type=proof.content_type,
        size=proof.size,
        sha256=proof.sha256,
        uploaded_at=proof.created_at,
    )
