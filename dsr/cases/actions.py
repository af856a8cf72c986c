"""Case actions: load, ask the state machine, apply its decision (dsr.cases.transitions) — one
transaction. Conflicting concurrent actions fail on the version column (409), never overwrite."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth import repository as auth_repo
from dsr.auth.principal import Principal
from dsr.cases import data_systems
from dsr.cases.appeal_terms import appeal_terms
from dsr.cases.models import Case
from dsr.cases.transitions import apply_case_decision
from dsr.domain.vocabulary import NO_VERIFICATION_TYPES, TaskStatus
from dsr.domain.workflow import Actor, CaseContext, CaseStatus, Role, decide
from dsr.errors import CASE_NOT_FOUND, NotFound, ensure_version
from dsr.settings import Settings


def actor_of(principal: Principal) -> Actor:
    return Actor(kind="staff", id=str(principal.user_id), role=principal.role)


async def context_for(
    session: AsyncSession,
    case: Case,
    settings: Settings,
    now: datetime,
    assignee_role: Role | None = None,
) -> CaseContext:
    available, window_ends = appeal_terms(case, settings)
    counts = await data_systems.task_counts(session, case.id)
    return CaseContext(
        status=CaseStatus(case.status),
        today=settings.today(now),
        now=now,
        # An opt-out needs no verification (11 CCR 7026(d)), so it may be fulfilled without it.
        verified=case.verified_at is not None or case.type in NO_VERIFICATION_TYPES,
        extended=case.extended,
        extension_available=case.extended_respond_by is not None,
        # The extension must be notified within the first period (GDPR Art 12(3), 11 CCR 7021(b)).
        original_respond_by=case.extension_notice_by or case.original_respond_by,
        open_tasks=counts.get(TaskStatus.OPEN, 0),
        retained_tasks=counts.get(TaskStatus.RETAINED, 0),
        appeal_available=available,
        appeal_window_ends=window_ends,
        duplicate_of=str(case.duplicate_of_id) if case.duplicate_of_id else None,
        assignee_role=assignee_role,
        decided_by=str(case.decided_by_id) if case.decided_by_id else None,
        has_agent=case.agent_email is not None,
    )


async def load(session: AsyncSession, case_id: uuid.UUID, expected_version: int | None) -> Case:
    case = await session.get(Case, case_id)
    if case is None:
        raise NotFound("no case with that id", code=CASE_NOT_FOUND)
    ensure_version(case.version, expected_version, "case")
    return case


async def run(
    session: AsyncSession,
    *,
    settings: Settings,
    case_id: uuid.UUID,
    action: str,
    params: dict[str, Any],
    principal: Principal,
    now: datetime,
    expected_version: int | None = None,
) -> Case:
    case = await load(session, case_id, expected_version)
    assignee = None
    if action == "assign":
        assignee = await auth_repo.active_user_by_email(session, params.get("assignee"))
    role = Role(assignee.role) if assignee is not None else None
    ctx = await context_for(session, case, settings, now, assignee_role=role)
    decision = decide(ctx, action, actor_of(principal), params)
    await apply_case_decision(
        session,
        settings=settings,
        case=case,
        decision=decision,
        assignee_id=assignee.id if assignee else None,
    )
    return case
