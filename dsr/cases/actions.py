"""Case actions: load, ask the state machine, apply, append the event, enqueue notices — one
transaction. Conflicting concurrent actions fail on the version column (409), never overwrite."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth import repository as auth_repo
from dsr.auth.principal import Principal
from dsr.cases import deadlines, effects, tasks, timeline
from dsr.cases.models import Case, CaseToken
from dsr.cases.notices import decision_context
from dsr.domain.events import reason_of
from dsr.domain.workflow import Actor, CaseContext, CaseStatus, Decision, Role, decide
from dsr.errors import CASE_NOT_FOUND, STALE, Conflict, NotFound
from dsr.notifications.outbox import enqueue
from dsr.settings import Settings

DECISIONS = {"deny": "denied", "fulfil": "fulfilled", "partially_fulfil": "partially_fulfilled"}
CLOSING = {"deny", "fulfil", "partially_fulfil", "withdraw"}


def today_in(settings: Settings, now: datetime) -> date:
    return now.astimezone(settings.tz).date()


def actor_of(principal: Principal) -> Actor:
    return Actor(kind="staff", id=str(principal.user_id), role=principal.role)


def appeal_terms(case: Case, settings: Settings) -> tuple[bool, date | None]:
    """An appeal is open where the law grants one (policy.appeal), or as a configured internal
    review elsewhere; for DSR_APPEAL_WINDOW_DAYS after the decision."""
    available = case.policy.get("appeal") is not None or settings.internal_review_days > 0
    ends = None
    if case.decided_at is not None:
        ends = today_in(settings, case.decided_at) + timedelta(days=settings.appeal_window_days)
    return available, ends


async def context_for(
    session: AsyncSession,
    case: Case,
    settings: Settings,
    now: datetime,
    assignee_role: Role | None = None,
) -> CaseContext:
    available, window_ends = appeal_terms(case, settings)
    return CaseContext(
        status=CaseStatus(case.status),
        today=today_in(settings, now),
        verified=case.verified_at is not None,
        extended=case.extended,
        extension_available=case.extended_respond_by is not None,
        # The extension must be notified within the first period (GDPR Art 12(3), 11 CCR 7021(b)).
        original_respond_by=case.extension_notice_by or case.original_respond_by,
        open_tasks=await tasks.open_tasks_count(session, case.id),
        appeal_available=available,
        appeal_window_ends=window_ends,
        duplicate_of=str(case.duplicate_of_id) if case.duplicate_of_id else None,
        assignee_role=assignee_role,
        decided_by=str(case.decided_by_id) if case.decided_by_id else None,
    )


async def status_token_id(session: AsyncSession, case_id: uuid.UUID) -> str | None:
    stmt = (
        select(CaseToken.id)
        .where(CaseToken.case_id == case_id, CaseToken.purpose == "status")
        .order_by(col(CaseToken.created_at).desc())
        .limit(1)
    )
    found = (await session.exec(stmt)).first()
    return str(found) if found else None


async def load(session: AsyncSession, case_id: uuid.UUID, expected_version: int | None) -> Case:
    case = await session.get(Case, case_id)
    if case is None:
        raise NotFound("no case with that id", code=CASE_NOT_FOUND)
    if expected_version is not None and case.version != expected_version:
        raise Conflict(
            "the case was changed by someone else since you loaded it; reload it and try again",
            code=STALE,
        )
    return case


async def run(
    session: AsyncSession,
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
    if action == "assign" and params.get("assignee"):
        assignee = await auth_repo.user_by_email(session, str(params["assignee"]))
        if assignee is not None and not assignee.is_active:
            assignee = None
    role = Role(assignee.role) if assignee is not None else None
    ctx = await context_for(session, case, settings, now, assignee_role=role)
    actor = actor_of(principal)
    decision = decide(ctx, action, actor, params)
    await apply(
        session, settings, case, decision, actor, now, assignee_id=assignee.id if assignee else None
    )
    return case


async def apply(
    session: AsyncSession,
    settings: Settings,
    case: Case,
    decision: Decision,
    actor: Actor,
    now: datetime,
    assignee_id: uuid.UUID | None = None,
) -> None:
    p = dict(decision.params)
    data: dict[str, Any] = {
        k: v for k, v in p.items() if k not in ("reason", "explanation", "text")
    }
    today = today_in(settings, now)
    action = decision.action
    if action == "assign":
        case.assignee_id = assignee_id
        data = {"assignee_id": str(assignee_id)}
    elif action == "request_info":
        case.clock_stops = [*case.clock_stops, {"requested": today.isoformat(), "received": None}]
        deadlines.refresh(case)
    elif action == "info_received":
        stops = [dict(s) for s in case.clock_stops]
        for stop in stops:
            if stop.get("received") is None:
                stop["received"] = today.isoformat()
        case.clock_stops = stops
        deadlines.refresh(case)
    elif action == "extend":
        case.extended = True
        deadlines.refresh(case)
    if action in DECISIONS:
        case.decided_by_id = uuid.UUID(actor.id) if actor.id else None
        case.decided_at = now
        case.decision_reason_code = p.get("reason_code")
        case.decision_explanation = p.get("explanation")
    if action in CLOSING:
        case.closed_at = now
    case.status = decision.to_status
    case.updated_at = now
    data["respond_by"] = case.respond_by.isoformat()
    await timeline.append(
        session,
        case.id,
        at=now,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action=action,
        from_status=decision.from_status,
        to_status=decision.to_status,
        reason=reason_of(p),
        data=data,
    )
    await _notify(session, settings, case, decision, now)
    await effects.after_transition(session, case, decision, now)


async def _notify(
    session: AsyncSession, settings: Settings, case: Case, decision: Decision, now: datetime
) -> None:
    action = decision.action
    seq = await timeline.last_event(session, case.id)
    key = f"{action}:{case.id}:{seq.seq if seq else 0}"
    base = {
        "case_id": str(case.id),
        "reference": case.reference,
        "type": case.type,
        "full_name": case.full_name,
        "respond_by": case.respond_by.isoformat(),
    }
    status_token = await status_token_id(session, case.id)
    tokens = {"status": status_token} if status_token else {}
    if action == "assign" and case.assignee_id is not None:
        user = await auth_repo.user_by_id(session, case.assignee_id)
        if user is not None:
            await enqueue(
                session,
                kind="handler_assignment",
                recipient=user.email,
                dedup_key=key,
                case_id=case.id,
                context={**base, "staff": True, "full_name": ""},
            )
    elif action == "request_info":
        await enqueue(
            session,
            kind="info_needed",
            recipient=case.email,
            dedup_key=key,
            case_id=case.id,
            context={
                **base,
                "reason": decision.params.get("reason"),
                "paused": case.clock_paused,
                "tokens": tokens,
            },
        )
    elif action == "extend":
        await enqueue(
            session,
            kind="extension",
            recipient=case.email,
            dedup_key=key,
            case_id=case.id,
            context={**base, "reason": decision.params.get("reason"), "tokens": tokens},
        )
    elif action in DECISIONS:
        available, window_ends = appeal_terms(case, settings)
        notice = decision_context(
            family=str(case.policy.get("family", "default")),
            jurisdiction=case.jurisdiction,
            outcome=DECISIONS[action],
            appeal_available=available,
            regulators_file=settings.regulators_file,
        )
        if notice["appeal_available"] and status_token:
            tokens = {**tokens, "appeal": status_token}
        await enqueue(
            session,
            kind="decision",
            recipient=case.email,
            dedup_key=key,
            case_id=case.id,
            context={
                **base,
                **notice,
                "reason_code": case.decision_reason_code,
                "explanation": case.decision_explanation,
                "appeal_window_ends": window_ends.isoformat() if window_ends else None,
                "statutory_appeal": case.policy.get("appeal") is not None,
                "tokens": tokens,
            },
        )
