"""Appeals: a refused requester appeals with their status link; a reviewer other than the
original decider decides within the appeal deadline. Appeal steps go on the case's own
timeline, so one hash chain tells the whole story."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.appeals.messages import FILING_MESSAGES
from dsr.appeals.models import Appeal
from dsr.appeals.transitions import apply_appeal_decision
from dsr.auth import repository as auth_repo
from dsr.auth.principal import Principal
from dsr.cases import actions, tokens
from dsr.cases.deadlines import compute_appeal, policy_from_snapshot
from dsr.cases.models import Case
from dsr.cases.receipt import received_moment
from dsr.cases.transitions import apply_case_decision
from dsr.domain.context import REQUESTER
from dsr.domain.vocabulary import AppealStatus, CaseAction, Role
from dsr.domain.workflow import AppealContext, decide, decide_appeal
from dsr.errors import APPEAL_NOT_FOUND, Conflict, InvalidLink, NotFound, ensure_version
from dsr.settings import Settings


async def file(
    session: AsyncSession,
    *,
    settings: Settings,
    case_id: uuid.UUID,
    token: str,
    reason: str,
    now: datetime,
) -> Appeal:
    row = await tokens.find(session, case_id, "status", token)
    case = await session.get(Case, case_id) if row is not None and row.expires_at > now else None
    if case is None:
        raise InvalidLink()
    ctx = await actions.context_for(session, case, settings, now)
    decision = decide(ctx, CaseAction.APPEAL, REQUESTER, {"reason": reason})
    policy = policy_from_snapshot(case.policy)
    received_at, received_date = received_moment(settings, None, now)
    deadlines = compute_appeal(policy, received_date, settings)
    if deadlines.respond_by is None:  # the guard above already refused; belt and braces
        raise Conflict("no appeal is available for this request")
    appeal = Appeal(
        case_id=case.id,
        status=AppealStatus.APPEALED.value,
        statutory=policy.appeal is not None,
        reason=decision.params["reason"],
        received_at=received_at,
        received_date=received_date,
        respond_by=deadlines.respond_by,
        original_respond_by=deadlines.respond_by,
        extended_respond_by=deadlines.extended_respond_by,
        original_decider_id=case.decided_by_id,
        created_at=now,
        updated_at=now,
    )
    session.add(appeal)
    await apply_case_decision(
        session,
        settings=settings,
        case=case,
        decision=decision,
        data={"appeal_id": str(appeal.id), "appeal_respond_by": appeal.respond_by.isoformat()},
        messages=FILING_MESSAGES,
        notice_extra={"appeal": appeal},
    )
    await session.flush()
    return appeal


async def load(session: AsyncSession, appeal_id: uuid.UUID) -> tuple[Appeal, Case]:
    appeal = await session.get(Appeal, appeal_id)
    case = await session.get(Case, appeal.case_id) if appeal else None
    if appeal is None or case is None:
        raise NotFound("no appeal with that id", code=APPEAL_NOT_FOUND)
    return appeal, case


async def run(
    session: AsyncSession,
    *,
    settings: Settings,
    appeal_id: uuid.UUID,
    action: str,
    params: dict[str, Any],
    principal: Principal,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    appeal, case = await load(session, appeal_id)
    ensure_version(appeal.version, expected_version, "appeal")
    assignee = None
    if action == "assign":
        assignee = await auth_repo.active_user_by_email(session, params.get("assignee"))
    ctx = AppealContext(
        status=AppealStatus(appeal.status),
        today=settings.today(now),
        now=now,
        original_decider_id=str(appeal.original_decider_id) if appeal.original_decider_id else None,
        assignee_id=str(assignee.id) if assignee else None,
        assignee_role=Role(assignee.role) if assignee else None,
        extension_available=appeal.extended_respond_by is not None,
        extended=appeal.extended,
        respond_by=appeal.original_respond_by,
    )
    decision = decide_appeal(ctx, action, actions.actor_of(principal), params)
    await apply_appeal_decision(
        session,
        settings=settings,
        appeal=appeal,
        case=case,
        decision=decision,
        assignee_id=assignee.id if assignee else None,
    )
    return appeal
