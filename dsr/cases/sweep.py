"""The periodic sweep: each step is idempotent (stable dedup keys, status guards), so running it
twice, or in two workers at once, changes nothing the second time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.appeals.models import Appeal
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


@dataclass(frozen=True)
class Watch:
    """Something with a deadline that staff must hear about: cases, and appeals."""

    name: str
    model: Any  # Case or Appeal: both have status, respond_by, assignee_id, *_sent_for
    statuses: tuple[str, ...]
    fallback_role: str  # who hears of an unassigned one


WATCHES = (
    Watch("case", Case, tuple(st.value for st in ACTIVE_STATUSES), "admin"),
    Watch("appeal", Appeal, ("appealed", "appeal_in_review"), "reviewer"),
)


def _select(watch: Watch, *conditions: Any) -> Any:
    m = watch.model
    stmt = select(m, Case) if m is not Case else select(Case)
    if m is not Case:
        stmt = stmt.join(Case, col(Case.id) == m.case_id)
    return stmt.where(col(m.status).in_(watch.statuses), *conditions).limit(BATCH)


async def _rows(session: AsyncSession, stmt: Any, watch: Watch) -> list[tuple[Any, Case]]:
    result = (await session.exec(stmt)).all()
    return [(r, r) for r in result] if watch.model is Case else [(r, c) for r, c in result]


async def remind_and_escalate(
    factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime, watch: Watch
) -> tuple[int, int]:
    """Tell the assignee (or, when nobody is assigned, the fallback role) a few days before a
    deadline; escalate overdue ones to every admin. Each is sent once per deadline: the row
    remembers the deadline it last warned about and the outbox dedup key repeats that date, so
    neither a second sweep nor a second worker sends it again. An extension moves the deadline
    and so earns a new reminder."""
    today = now.astimezone(settings.tz).date()
    horizon = today + timedelta(days=settings.reminder_days_ahead)
    m = watch.model
    reminded = escalated = 0
    async with factory() as session, session.begin():
        admins = await auth_repo.users_with_role(session, "admin")
        fallback = await auth_repo.users_with_role(session, watch.fallback_role) or admins
        due_soon = _select(
            watch,
            col(m.respond_by) <= horizon,
            col(m.respond_by) >= today,
            or_(col(m.reminder_sent_for).is_(None), col(m.reminder_sent_for) != col(m.respond_by)),
        )
        for row, case in await _rows(session, due_soon, watch):
            for email in await _assignee_or(session, row.assignee_id, fallback):
                await enqueue(
                    session,
                    kind="deadline_approaching",
                    recipient=email,
                    dedup_key=f"reminder:{watch.name}:{row.id}:{row.respond_by.isoformat()}:{email}",
                    case_id=case.id,
                    context=_staff_context(watch, row, case, today),
                )
            row.reminder_sent_for = row.respond_by
            reminded += 1
        overdue = _select(
            watch,
            col(m.respond_by) < today,
            or_(
                col(m.escalation_sent_for).is_(None),
                col(m.escalation_sent_for) != col(m.respond_by),
            ),
        )
        for row, case in await _rows(session, overdue, watch):
            for admin in admins:
                await enqueue(
                    session,
                    kind="deadline_missed",
                    recipient=admin.email,
                    dedup_key=f"overdue:{watch.name}:{row.id}:{row.respond_by.isoformat()}:{admin.id}",
                    case_id=case.id,
                    context=_staff_context(watch, row, case, today),
                )
            row.escalation_sent_for = row.respond_by
            escalated += 1
    return reminded, escalated


async def _assignee_or(
    session: AsyncSession, assignee_id: Any, fallback: list[StaffUser]
) -> list[str]:
    if assignee_id is not None:
        user = await auth_repo.user_by_id(session, assignee_id)
        if user is not None and user.is_active:
            return [user.email]
    return [u.email for u in fallback]


def _staff_context(watch: Watch, row: Any, case: Case, today: date) -> dict[str, Any]:
    return {
        "case_id": str(case.id),
        "appeal_id": str(row.id) if watch.name == "appeal" else None,
        "what": watch.name,
        "reference": case.reference,
        "type": case.type,
        "jurisdiction": case.jurisdiction,
        "due": row.respond_by.isoformat(),
        "days_left": (row.respond_by - today).days,
        "staff": True,
    }


async def sweep(
    factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> dict[str, int]:
    expired = await expire_unverified(factory, now)
    reminded = escalated = 0
    for watch in WATCHES:
        while True:  # in batches, so a backlog never makes one huge transaction
            r, e = await remind_and_escalate(factory, settings, now, watch)
            reminded, escalated = reminded + r, escalated + e
            if r < BATCH and e < BATCH:
                break
    return {"expired": expired, "reminded": reminded, "escalated": escalated}
