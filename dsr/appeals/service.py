"""Appeals: a refused requester appeals with their status link; a reviewer other than the
original decider decides within the appeal deadline. Appeal steps go on the case's own
timeline, so one hash chain tells the whole story."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.appeals.models import Appeal
from dsr.auth import repository as auth_repo
from dsr.auth.principal import Principal
from dsr.cases import actions, effects, timeline, tokens
from dsr.cases.deadlines import compute_appeal, policy_from_snapshot, refresh
from dsr.cases.intake import INVALID_LINK, REQUESTER, SYSTEM, received_moment
from dsr.cases.models import Case
from dsr.cases.notices import refusal_rights, regulator_for
from dsr.domain.workflow import (
    AppealContext,
    AppealStatus,
    CaseContext,
    CaseStatus,
    Decision,
    Role,
    decide,
    decide_appeal,
)
from dsr.errors import APPEAL_NOT_FOUND, STALE, Conflict, InvalidLink, NotFound
from dsr.notifications.outbox import enqueue
from dsr.settings import Settings

OPEN_APPEAL = (AppealStatus.APPEALED.value, AppealStatus.APPEAL_IN_REVIEW.value)
CASE_MIRROR = {"uphold": "appeal_upheld", "overturn": "appeal_overturned"}


async def current_for_case(session: AsyncSession, case_id: uuid.UUID) -> Appeal | None:
    stmt = (
        select(Appeal)
        .where(Appeal.case_id == case_id)
        .order_by(col(Appeal.created_at).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def file(
    session: AsyncSession,
    settings: Settings,
    case_id: uuid.UUID,
    token: str,
    reason: str,
    now: datetime,
) -> Appeal:
    row = await tokens.find(session, case_id, "status", token)
    case = await session.get(Case, case_id) if row is not None and row.expires_at > now else None
    if case is None:
        raise InvalidLink(INVALID_LINK)
    ctx = await actions.context_for(session, case, settings, now)
    decision = decide(ctx, "appeal", REQUESTER, {"reason": reason})
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
    case.status = decision.to_status
    case.updated_at = now
    await timeline.append(
        session,
        case.id,
        at=now,
        actor_kind="requester",
        actor_id=None,
        action="appeal",
        from_status=decision.from_status,
        to_status=decision.to_status,
        reason=appeal.reason,
        data={"appeal_id": str(appeal.id), "appeal_respond_by": appeal.respond_by.isoformat()},
    )
    status_token = await actions.status_token_id(session, case.id)
    await enqueue(
        session,
        kind="appeal_received",
        recipient=case.email,
        dedup_key=f"appeal_received:{appeal.id}",
        case_id=case.id,
        context={
            "case_id": str(case.id),
            "reference": case.reference,
            "full_name": case.full_name,
            "respond_by": appeal.respond_by.isoformat(),
            "statutory": appeal.statutory,
            "tokens": {"status": status_token} if status_token else {},
        },
    )
    # Routed to reviewers; the original decider is never among them (design §2).
    reviewers = [
        u
        for u in await auth_repo.users_with_role(session, "reviewer")
        if u.id != case.decided_by_id
    ]
    if not reviewers:
        reviewers = [
            u
            for u in await auth_repo.users_with_role(session, "admin")
            if u.id != case.decided_by_id
        ]
    for user in reviewers:
        await enqueue(
            session,
            kind="appeal_assignment",
            recipient=user.email,
            dedup_key=f"appeal_new:{appeal.id}:{user.id}",
            case_id=case.id,
            context={**_staff_context(case, appeal), "new": True},
        )
    await session.flush()
    return appeal


def _staff_context(case: Case, appeal: Appeal) -> dict[str, Any]:
    return {
        "case_id": str(case.id),
        "reference": case.reference,
        "appeal_id": str(appeal.id),
        "respond_by": appeal.respond_by.isoformat(),
        "staff": True,
        "new": False,
    }


async def load(session: AsyncSession, appeal_id: uuid.UUID) -> tuple[Appeal, Case]:
    appeal = await session.get(Appeal, appeal_id)
    case = await session.get(Case, appeal.case_id) if appeal else None
    if appeal is None or case is None:
        raise NotFound("no appeal with that id", code=APPEAL_NOT_FOUND)
    return appeal, case


async def run(
    session: AsyncSession,
    settings: Settings,
    appeal_id: uuid.UUID,
    action: str,
    params: dict[str, Any],
    principal: Principal,
    now: datetime,
    expected_version: int | None = None,
) -> Appeal:
    appeal, case = await load(session, appeal_id)
    if expected_version is not None and appeal.version != expected_version:
        raise Conflict(
            "the appeal was changed by someone else since you loaded it; reload it and try again",
            code=STALE,
        )
    assignee = None
    if action == "assign" and params.get("assignee"):
        assignee = await auth_repo.user_by_email(session, str(params["assignee"]))
        if assignee is not None and not assignee.is_active:
            assignee = None
    ctx = AppealContext(
        status=AppealStatus(appeal.status),
        today=actions.today_in(settings, now),
        original_decider_id=str(appeal.original_decider_id) if appeal.original_decider_id else None,
        assignee_id=str(assignee.id) if assignee else None,
        assignee_role=Role(assignee.role) if assignee else None,
        extension_available=appeal.extended_respond_by is not None,
        extended=appeal.extended,
        respond_by=appeal.original_respond_by,
    )
    actor = actions.actor_of(principal)
    decision = decide_appeal(ctx, action, actor, params)
    await _apply(
        session, settings, appeal, case, decision, actor.id, now, assignee.id if assignee else None
    )
    return appeal


async def _apply(
    session: AsyncSession,
    settings: Settings,
    appeal: Appeal,
    case: Case,
    decision: Decision,
    actor_id: str | None,
    now: datetime,
    assignee_id: uuid.UUID | None,
) -> None:
    action = decision.action
    explanation = decision.params.get("explanation")
    case_from = case.status
    mirror = CASE_MIRROR.get(action)
    if action == "assign" and case.status == CaseStatus.APPEALED.value:
        mirror = "appeal_assigned"
    if mirror:
        ctx = CaseContext(status=CaseStatus(case.status), today=actions.today_in(settings, now))
        case.status = decide(ctx, mirror, SYSTEM, {}).to_status
    if action == "assign":
        appeal.assignee_id = assignee_id
    elif action == "extend":
        appeal.extended = True
        appeal.respond_by = appeal.extended_respond_by or appeal.respond_by
    elif action in CASE_MIRROR:
        appeal.decided_by_id = uuid.UUID(actor_id) if actor_id else None
        appeal.decided_at = now
        appeal.explanation = explanation
        if action == "overturn":
            # The refusal is withdrawn: the request must now be done by the appeal's deadline.
            case.closed_at = None
            case.decision_reason_code = case.decision_explanation = None
            case.decided_at = case.decided_by_id = None
            case.respond_by_override = appeal.respond_by
            refresh(case)
            await effects.after_overturn(session, case, now)
        else:
            case.closed_at = now
    appeal.status = decision.to_status
    appeal.updated_at = case.updated_at = now
    data: dict[str, Any] = {
        "appeal_id": str(appeal.id),
        "appeal_from": decision.from_status,
        "appeal_to": decision.to_status,
    }
    if assignee_id:
        data["assignee_id"] = str(assignee_id)
    if action == "extend":
        data["appeal_respond_by"] = appeal.respond_by.isoformat()
    await timeline.append(
        session,
        case.id,
        at=now,
        actor_kind="staff",
        actor_id=actor_id,
        action=f"appeal_{action}",
        from_status=case_from,
        to_status=case.status,
        reason=decision.params.get("reason") or explanation,
        data=data,
    )
    await _notify(session, settings, appeal, case, decision, now)


async def _notify(
    session: AsyncSession,
    settings: Settings,
    appeal: Appeal,
    case: Case,
    decision: Decision,
    now: datetime,
) -> None:
    action = decision.action
    last = await timeline.last_event(session, case.id)
    key = f"appeal_{action}:{appeal.id}:{last.seq if last else 0}"
    status_token = await actions.status_token_id(session, case.id)
    tokens_ctx = {"status": status_token} if status_token else {}
    base = {"case_id": str(case.id), "reference": case.reference, "full_name": case.full_name}
    if action == "assign" and appeal.assignee_id:
        user = await auth_repo.user_by_id(session, appeal.assignee_id)
        if user is not None:
            await enqueue(
                session,
                kind="appeal_assignment",
                recipient=user.email,
                dedup_key=key,
                case_id=case.id,
                context=_staff_context(case, appeal),
            )
    elif action == "extend":
        await enqueue(
            session,
            kind="extension",
            recipient=case.email,
            dedup_key=key,
            case_id=case.id,
            context={
                **base,
                "type": case.type,
                "reason": decision.params.get("reason"),
                "respond_by": appeal.respond_by.isoformat(),
                "appeal": True,
                "tokens": tokens_ctx,
            },
        )
    elif action in CASE_MIRROR:
        upheld = action == "uphold"
        regulator = regulator_for(case.jurisdiction, settings.regulators_file) if upheld else None
        await enqueue(
            session,
            kind="appeal_outcome",
            recipient=case.email,
            dedup_key=key,
            case_id=case.id,
            context={
                **base,
                "upheld": upheld,
                "explanation": appeal.explanation,
                "statutory": appeal.statutory,
                "respond_by": case.respond_by.isoformat(),
                "rights": refusal_rights(str(case.policy.get("family", ""))) if upheld else [],
                "regulator": regulator,
                "tokens": tokens_ctx,
            },
        )
