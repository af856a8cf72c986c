"""Staff JSON API over cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from dsr.auth import repository as auth_repo
from dsr.auth.principal import Principal
from dsr.cases import access_log, intake, presenters, repository, timeline
from dsr.cases.deps import CaseDep
from dsr.cases.receipt import received_in_future
from dsr.cases.schemas import (
    AccessLogEntryOut,
    CaseOut,
    CasePage,
    EventOut,
    StaffCaseIn,
)
from dsr.db.types import utcnow
from dsr.deps import AnyStaff, Handler, SessionDep, SettingsDep, require_role
from dsr.domain.workflow import Actor, Role
from dsr.errors import InvalidInput
from dsr.queues import CaseQueryDep

router = APIRouter(prefix="/api/v1/cases", tags=["cases (staff)"])
Auditor = Annotated[Principal, Depends(require_role(Role.AUDITOR))]  # and admins


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseOut)
async def create_case(
    body: StaffCaseIn, principal: Handler, session: SessionDep, settings: SettingsDep
) -> CaseOut:
    now = utcnow()
    received = body.received_at
    if received_in_future(settings, received, now):
        raise InvalidInput("received_at: must not be in the future")
    case = await intake.submit(
        session,
        settings=settings,
        data=body,
        now=now,
        channel=body.channel,
        received=received,
        identity_verified=body.identity_verified,
        actor=Actor(kind="staff", id=str(principal.user_id), role=principal.role),
    )
    return await presenters.case_out_for(session, case)


@router.get("", response_model=CasePage)
async def list_cases(
    principal: AnyStaff, session: SessionDep, settings: SettingsDep, q: CaseQueryDep
) -> CasePage:
    f = q.case_filter(principal.user_id)
    rows, next_cursor = await repository.page(session, f, q.limit, q.cursor)
    emails = await auth_repo.emails_by_id(session, {c.assignee_id for c in rows if c.assignee_id})
    today = utcnow().astimezone(settings.tz).date()
    items = [
        presenters.summary(c, today, emails.get(c.assignee_id) if c.assignee_id else None)
        for c in rows
    ]
    return CasePage(items=items, next_cursor=next_cursor)


@router.get("/{case_id}", response_model=CaseOut)
async def get_case(principal: AnyStaff, session: SessionDep, case: CaseDep) -> CaseOut:
    """The case with the requester's personal data: the view is in its access log."""
    await access_log.record(
        session, principal=principal, case_ids=[case.id], kind="api_case", now=utcnow()
    )
    return await presenters.case_out_for(session, case)


@router.get("/{case_id}/access-log", response_model=list[AccessLogEntryOut])
async def case_access_log(
    _principal: Auditor,
    session: SessionDep,
    case: CaseDep,
    limit: Annotated[int, Query(ge=1, le=access_log.MAX_ROWS)] = access_log.MAX_ROWS,
) -> list[AccessLogEntryOut]:
    """Who viewed the case's personal data, when, and how (newest first; admins and auditors).
    README, "Access log"."""
    entries = await access_log.for_case(session, case_id=case.id, limit=limit)
    return [AccessLogEntryOut.model_validate(e, from_attributes=True) for e in entries]


@router.get("/{case_id}/events", response_model=list[EventOut])
async def case_events(principal: AnyStaff, session: SessionDep, case: CaseDep) -> list[EventOut]:
    await access_log.record(
        session, principal=principal, case_ids=[case.id], kind="api_timeline", now=utcnow()
    )
    return [
        EventOut.model_validate(e, from_attributes=True)
        for e in await timeline.events_for(session, case.id)
    ]
