"""The `user_verification_url` of a DRP request (spec §3.02.1): our page for the consumer.

The consumer confirms through our own verification flow: the link e-mailed to the address the
agent gave (dsr.cases.intake), never a link the agent holds, so the agent cannot confirm for
them (11 CCR 7063; docs/legal.md §1.10). This page says so. The agent's `redirect_to` is offered
as a link back only when it points to the host of the request's own status_callback: any other
address would make this page an open redirect. We never redirect by ourselves, since the
confirmation happens later, from the e-mail."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from dsr.deps import SessionDep, SettingsDep
from dsr.domain.vocabulary import CaseStatus
from dsr.drp import service
from dsr.http import client_ip
from dsr.web.templating import templates

router = APIRouter(include_in_schema=False)


def back_link(redirect_to: str | None, callback: str | None) -> str | None:
    if not redirect_to or not callback or len(redirect_to) > 2000:
        return None
    target, home = urlsplit(redirect_to), urlsplit(callback)
    if target.scheme not in ("https", "http") or target.scheme != home.scheme:
        return None
    return redirect_to if target.netloc and target.netloc == home.netloc else None


@router.get("/drp/verify/{request_id}", response_class=HTMLResponse)
async def verify_page(
    request: Request,
    request_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    redirect_to: Annotated[str | None, Query(max_length=2000)] = None,
    rid: Annotated[uuid.UUID | None, Query(alias="request_id")] = None,
) -> HTMLResponse:
    await request.app.state.rate_limiter.check_ip(client_ip(request))
    drp, case = await service.for_verification_page(session, request_id, rid)
    return templates.TemplateResponse(
        request,
        "public/drp_verify.html",
        {
            "pending": case.status == CaseStatus.PENDING_VERIFICATION,
            "agent_name": case.agent_name or drp.agent_id,
            "hours": settings.verification_ttl_hours,
            "back": back_link(redirect_to, drp.status_callback),
        },
    )
