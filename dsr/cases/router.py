"""Staff JSON API over cases."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import StringConstraints

from dsr.auth import repository as auth_repo
from dsr.cases import intake, repository, timeline, views
from dsr.cases.schemas import (
    REQUEST_TYPES,
    CaseOut,
    CasePage,
    EventOut,
    StaffCaseIn,
)
from dsr.db.types import utcnow
from dsr.deps import AnyStaff, Handler, SessionDep, SettingsDep
from dsr.domain.workflow import Actor, CaseStatus
from dsr.errors import InvalidInput, NotFound

router = APIRouter(prefix="/api/v1/cases", tags=["cases (staff)"])

# What cases store in `jurisdiction` (design §3.2 codes and DEFAULT); anything else, a NUL byte
# included, is a 422 rather than a query the database may refuse.
PolicyCode = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseOut)
async def create_case(
    body: StaffCaseIn, principal: Handler, session: SessionDep, settings: SettingsDep
) -> CaseOut:
    now = utcnow()
    received = body.received_at
    if intake.received_in_future(settings, received, now):
        raise InvalidInput("received_at: must not be in the future")
    case = await intake.submit(
        session,
        settings,
        body,
        now,
        channel=body.channel,
        received=received,
        identity_verified=body.identity_verified,
        actor=Actor(kind="staff", id=str(principal.user_id), role=principal.role),
    )
    return await views.case_out_for(session, case)


@router.get("", response_model=CasePage)
async def list_cases(
    principal: AnyStaff,
    session: SessionDep,
    settings: SettingsDep,
    status_: Annotated[list[CaseStatus] | None, Query(alias="status")] = None,
    type_: Annotated[list[str] | None, Query(alias="type")] = None,
    jurisdiction: Annotated[
        list[PolicyCode] | None, Query(description="a policy code: EU, GB, US-CA, DEFAULT, …")
    ] = None,
    assignee: Annotated[str | None, Query(description="a staff user id, 'me' or 'none'")] = None,
    due_before: date | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> CasePage:
    for t in type_ or []:
        if t not in REQUEST_TYPES:
            raise InvalidInput(f"type: must be one of {', '.join(REQUEST_TYPES)}")
    assignee_id: uuid.UUID | None = None
    if assignee not in (None, "none", "me"):
        try:
            assignee_id = uuid.UUID(assignee)
        except ValueError:
            raise InvalidInput("assignee: a staff user id, 'me' or 'none'") from None
    elif assignee == "me":
        assignee_id = principal.user_id
    f = repository.CaseFilter(
        statuses=tuple(s.value for s in status_ or []),
        types=tuple(type_ or []),
        jurisdictions=tuple(j.upper() for j in jurisdiction or []),
        assignee_id=assignee_id,
        unassigned=assignee == "none",
        due_before=due_before,
    )
    rows, next_cursor = await repository.page(session, f, limit, cursor)
    emails = await auth_repo.emails_by_id(session, {c.assignee_id for c in rows if c.assignee_id})
    today = utcnow().astimezone(settings.tz).date()
    items = [
        views.summary(c, today, emails.get(c.assignee_id) if c.assignee_id else None) for c in rows
    ]
    return CasePage(items=items, next_cursor=next_cursor)


@router.get("/{case_id}", response_model=CaseOut)
async def get_case(case_id: uuid.UUID, principal: AnyStaff, session: SessionDep) -> CaseOut:
    case = await repository.get(session, case_id)
    if case is None:
        raise NotFound("no case with that id")
    return await views.case_out_for(session, case)


@router.get("/{case_id}/events", response_model=list[EventOut])
async def case_events(
    case_id: uuid.UUID, principal: AnyStaff, session: SessionDep
) -> list[EventOut]:
    if await repository.get(session, case_id) is None:
        raise NotFound("no case with that id")
    return [
        EventOut.model_validate(e, from_attributes=True)
        for e in await timeline.events_for(session, case_id)
    ]
