"""Appeals: the requester's appeal (public, with the status token) and the reviewers' API."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from dsr.appeals import presenters, repository, service
from dsr.appeals.deps import AppealDep
from dsr.appeals.models import Appeal
from dsr.appeals.schemas import AppealActionIn, AppealIn, AppealOut, AppealPage, PublicAppealOut
from dsr.auth import repository as auth_repo
from dsr.auth.principal import Principal
from dsr.cases import access_log
from dsr.db.types import utcnow
from dsr.deps import AnyStaff, SessionDep, SettingsDep, require_role
from dsr.domain.workflow import Role
from dsr.http import client_ip
from dsr.queues import AppealQueryDep

router = APIRouter(tags=["appeals"])
Reviewer = Annotated[Principal, Depends(require_role(Role.REVIEWER))]


@router.post(
    "/api/v1/requests/{request_id}/appeal",
    status_code=status.HTTP_201_CREATED,
    response_model=PublicAppealOut,
    tags=["requests (public)"],
)
async def appeal_request(
    request_id: uuid.UUID,
    body: AppealIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> PublicAppealOut:
    """Appeal a refusal with the status token from your e-mails. 404 for a wrong token (which
    does not tell whether the request exists); 409 when nothing can be appealed, or too late."""
    await request.app.state.rate_limiter.check_ip(client_ip(request))
    appeal = await service.file(
        session,
        settings=settings,
        case_id=request_id,
        token=body.token,
        reason=body.reason,
        now=utcnow(),
    )
    return presenters.public(appeal)


@router.get("/api/v1/appeals", response_model=AppealPage)
async def list_appeals(
    principal: AnyStaff, session: SessionDep, settings: SettingsDep, q: AppealQueryDep
) -> AppealPage:
    rows, next_cursor = await repository.page(
        session,
        statuses=q.statuses,
        assignee_id=q.assignee_id(principal.user_id),
        unassigned=q.unassigned,
        limit=q.limit,
        cursor=q.cursor,
    )
    emails = await auth_repo.emails_by_id(
        session, {a.assignee_id for a, _ in rows if a.assignee_id}
    )
    today = settings.today(utcnow())
    items = [
        presenters.summary(a, c, today, emails.get(a.assignee_id) if a.assignee_id else None)
        for a, c in rows
    ]
    return AppealPage(items=items, next_cursor=next_cursor)


@router.get("/api/v1/appeals/{appeal_id}", response_model=AppealOut)
async def get_appeal(principal: AnyStaff, session: SessionDep, loaded: AppealDep) -> AppealOut:
    appeal, case = loaded
    # The requester's own words: a view of the case's personal data (README, "Access log").
    await access_log.record(
        session, principal=principal, case_ids=[case.id], kind="api_appeal", now=utcnow()
    )
    return await presenters.appeal_out(session, appeal, case)


@router.post("/api/v1/appeals/{appeal_id}/actions", response_model=AppealOut)
async def appeal_action(
    appeal_id: uuid.UUID,
    body: AppealActionIn,
    principal: Reviewer,
    session: SessionDep,
    settings: SettingsDep,
) -> AppealOut:
    """assign (to a reviewer), uphold or overturn (with an explanation), extend (Colorado).
    The person who made the original decision may not decide the appeal (403)."""
    appeal: Appeal = await service.run(
        session,
        settings=settings,
        appeal_id=appeal_id,
        action=body.action,
        params=body.params(),
        principal=principal,
        now=utcnow(),
        expected_version=body.expected_version,
    )
    await session.flush()
    appeal, case = await service.load(session, appeal.id)
    return await presenters.appeal_out(session, appeal, case)
