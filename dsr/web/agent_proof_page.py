"""The agent's upload page for the consumer's signed permission (/requests/{id}/agent-proof
?token=…, the link in the agent's e-mail and where the form sends an agent after submitting;
dsr.cases.proofs). The token is in the form's URL too, so it is checked before the body is read
and only then may the body be as large as DSR_MAX_PROOF_BYTES. A capability: no CSRF cookie."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from dsr.cases import proofs
from dsr.cases.models import Case
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.domain.vocabulary import AgentKind, CaseStatus
from dsr.errors import DsrError
from dsr.http import client_ip
from dsr.middleware import allow_large_body
from dsr.settings import Settings
from dsr.web.templating import templates

router = APIRouter(include_in_schema=False)

TokenParam = Annotated[str, Query(min_length=1, max_length=200)]
Flag = Annotated[int, Query(ge=0, le=1)]
# The page picks its own (translatable) words by these codes, not the exception's English.
_PROBLEMS = {413: "too_large", 415: "type", 409: "closed"}


async def _page(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    case: Case,
    token: str,
    *,
    new: bool = False,
    sent: bool = False,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        "public/agent_proof.html",
        {
            "case_id": case.id,
            "reference": case.reference,
            "token": token,
            "new": new,
            "waits": case.status == CaseStatus.PENDING_VERIFICATION,
            "power_of_attorney": case.agent_kind == AgentKind.POWER_OF_ATTORNEY,
            "received": len(await proofs.proofs_of(session, case.id)),
            "sent": sent,
            "error": error,
            "max_mb": settings.max_proof_bytes // (1024 * 1024),
        },
        status_code=status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/requests/{case_id}/agent-proof", response_class=HTMLResponse)
async def proof_page(
    request: Request,
    case_id: uuid.UUID,
    token: TokenParam,
    session: SessionDep,
    settings: SettingsDep,
    new: Flag = 0,
    sent: Flag = 0,
) -> HTMLResponse:
    case = await proofs.open_case(session, case_id, token, utcnow())
    return await _page(request, session, settings, case, token, new=bool(new), sent=bool(sent))


@router.post("/requests/{case_id}/agent-proof", response_class=HTMLResponse)
async def send_proof(
    request: Request,
    case_id: uuid.UUID,
    token: TokenParam,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    await request.app.state.rate_limiter.check_ip(client_ip(request))
    now = utcnow()
    case = await proofs.open_case(session, case_id, token, now)
    allow_large_body(request)
    try:
        form = await request.form(max_files=1, max_fields=1)
    except HTTPException:
        return await _page(request, session, settings, case, token, error="empty", status=422)
    try:
        part = form.get("file")
        data = await part.read() if isinstance(part, UploadFile) else b""
        declared = part.content_type if isinstance(part, UploadFile) else None
    finally:
        await form.close()
    if not data:
        return await _page(request, session, settings, case, token, error="empty", status=422)
    try:
        async with session.begin_nested():
            await proofs.store(
                session, settings=settings, case_id=case.id, data=data, declared=declared, now=now
            )
    except DsrError as exc:
        problem = _PROBLEMS.get(exc.status_code, "empty")
        return await _page(
            request, session, settings, case, token, error=problem, status=exc.status_code
        )
    return RedirectResponse(proof_page_path(case.id, token, sent=1), status_code=303)


def proof_page_path(case_id: uuid.UUID, token: str, **flags: int) -> str:
    return f"/requests/{case_id}/agent-proof?{urlencode({'token': token, **flags})}"
