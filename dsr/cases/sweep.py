"""The periodic sweep: each step is idempotent (stable dedup keys, status guards), so running it
twice, or in two workers at once, changes nothing the second time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth import repository as auth_repo
from dsr.auth.models import StaffUser
from dsr.cases import timeline
from dsr.cases.models import Case
from dsr.db.engine import dialect_name
from dsr.domain.workflow import ACTIVE_STATUSES, Actor, CaseContext, CaseStatus, decide
from dsr.notifications.outbox import enqueue
from dsr.settings import Settings

SYSTEM = Actor(kind="system")
BATCH = 500


async def expire_unverified(factory: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """pending_verification --expire--> unverified once the verification window has passed."""
    expired = 0
    while True:
        async with factory() as session, session.begin():
            stmt = (
                select(Case)
                .where(
                    col(Case.status) == CaseStatus.PENDING_VERIFICATION.value,
                    col(Case.expires_at) <= now,
                )
                .order_by(col(Case.expires_at))
                .limit(BATCH)
            )
            if dialect_name(session) == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            cases = list((await session.exec(stmt)).all())
            for case in cases:
                d = decide(
                    CaseContext(status=CaseStatus(case.status), today=now.date()),
                    "expire",
                    SYSTEM,
                    {},
                )
                case.status = d.to_status
                case.closed_at = now
                case.updated_at = now
                await timeline.append(
                    session,
                    case.id,
                    at=now,
                    actor_kind="system",
                    actor_id=None,
                    action="expire",
                    from_status=d.from_status,
                    to_status=d.to_status,
                )
        expired += len(cases)
        if len(cases) < BATCH:
            return expired


async def remind_and_escalate(
    factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> tuple[int, int]:
    """Tell the assignee (or every admin, when nobody is assigned) a few days before a deadline;
    escalate overdue cases to every admin. Each is sent once per deadline: the case remembers
    the deadline it last warned about and the outbox dedup key repeats that date, so neither a
    second sweep nor a second worker sends it again. An extension moves the deadline and so
    earns a new reminder."""
    today = now.astimezone(settings.tz).date()
    horizon = today + timedelta(days=settings.reminder_days_ahead)
    active = [st.value for st in ACTIVE_STATUSES]
    reminded = escalated = 0
    async with factory() as session, session.begin():
        admins = await auth_repo.users_with_role(session, "admin")
        due_soon = select(Case).where(
            col(Case.status).in_(active),
            col(Case.respond_by) <= horizon,
            col(Case.respond_by) >= today,
            or_(
                col(Case.reminder_sent_for).is_(None),
                col(Case.reminder_sent_for) != col(Case.respond_by),
            ),
        )
        for case in (await session.exec(due_soon.limit(BATCH))).all():
            for email in await _assignee_or_admins(session, case, admins):
                await enqueue(
                    session,
                    kind="deadline_approaching",
                    recipient=email,
                    dedup_key=f"reminder:{case.id}:{case.respond_by.isoformat()}:{email}",
                    case_id=case.id,
                    context=_staff_context(case, today),
                )
            case.reminder_sent_for = case.respond_by
            reminded += 1
        overdue = select(Case).where(
            col(Case.status).in_(active),
            col(Case.respond_by) < today,
            or_(
                col(Case.escalation_sent_for).is_(None),
                col(Case.escalation_sent_for) != col(Case.respond_by),
            ),
        )
        for case in (await session.exec(overdue.limit(BATCH))).all():
            for admin in admins:
                await enqueue(
                    session,
                    kind="deadline_missed",
                    recipient=admin.email,
                    dedup_key=f"overdue:{case.id}:{case.respond_by.isoformat()}:{admin.id}",
                    case_id=case.id,
                    context=_staff_context(case, today),
                )
            case.escalation_sent_for = case.respond_by
            escalated += 1
    return reminded, escalated


async def _assignee_or_admins(
    session: AsyncSession, case: Case, admins: list[StaffUser]
) -> list[str]:
    if case.assignee_id is not None:
        user = await auth_repo.user_by_id(session, case.assignee_id)
        if user is not None and user.is_active:
            return [user.email]
    return [a.email for a in admins]


def _staff_context(case: Case, today: date) -> dict[str, Any]:
    return {
        "case_id": str(case.id),
        "reference": case.reference,
        "type": case.type,
        "jurisdiction": case.jurisdiction,
        "due": case.respond_by.isoformat(),
        "days_left": (case.respond_by - today).days,
        "staff": True,
    }


async def sweep(
    factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> dict[str, int]:
    expired = await expire_unverified(factory, now)
    reminded = escalated = 0
    while True:  # in batches, so a backlog never makes one huge transaction
        r, e = await remind_and_escalate(factory, settings, now)
        reminded, escalated = reminded + r, escalated + e
        if r < BATCH and e < BATCH:
            break
    return {"expired": expired, "reminded": reminded, "escalated": escalated}
