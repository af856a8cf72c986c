"""The periodic sweep: each step is idempotent (stable dedup keys, status guards), so running it
twice, or in two workers at once, changes nothing the second time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import or_
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.appeals.models import Appeal
from dsr.auth import repository as auth_repo
from dsr.cases.models import Case
from dsr.cases.transitions import apply_case_decision
from dsr.credentials import sha256_hex
from dsr.db.engine import dialect_name
from dsr.domain.context import SYSTEM, CaseContext
from dsr.domain.vocabulary import (
    ACTIVE_STATUSES,
    OPEN_APPEAL_STATUSES,
    CaseAction,
    CaseStatus,
    Role,
)
from dsr.domain.workflow import decide
from dsr.fulfilment.expiry import erase_expired_packages
from dsr.notifications.outbox import Message, enqueue_many
from dsr.settings import Settings

BATCH = 500
log = logging.getLogger("dsr.sweep")


async def expire_unverified(
    factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> int:
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
                ctx = CaseContext(
                    status=CaseStatus(case.status), today=settings.today(now), now=now
                )
                decision = decide(ctx, CaseAction.EXPIRE, SYSTEM, {})
                await apply_case_decision(session, settings=settings, case=case, decision=decision)
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
    Watch("case", Case, tuple(ACTIVE_STATUSES), Role.ADMIN),
    Watch("appeal", Appeal, tuple(OPEN_APPEAL_STATUSES), Role.REVIEWER),
)


def _select(watch: Watch, *conditions: Any) -> Any:
    """Only the columns a notice needs: no ORM objects to build, none to flush."""
    m = watch.model
    stmt: Any = sa.select(
        col(m.id).label("id"),
        col(m.respond_by).label("respond_by"),
        col(m.assignee_id).label("assignee_id"),
        col(Case.id).label("case_id"),
        col(Case.reference).label("reference"),
        col(Case.type).label("type"),
        col(Case.jurisdiction).label("jurisdiction"),
    ).select_from(m)
    if m is not Case:
        stmt = stmt.join(Case, col(Case.id) == m.case_id)
    return stmt.where(col(m.status).in_(watch.statuses), *conditions).limit(BATCH)


async def _rows(session: AsyncSession, stmt: Any, watch: Watch) -> list[Any]:
    if dialect_name(session) == "postgresql":
        # Two workers sweeping at once take disjoint rows, so they never wait on (or deadlock
        # over) each other's outbox keys; and respond_by cannot change under the row until the
        # batch commits, which _mark_sent relies on. SQLite has one writer at a time anyway.
        stmt = stmt.with_for_update(skip_locked=True, of=watch.model)
    return list((await session.exec(stmt)).all())


async def _mark_sent(session: AsyncSession, watch: Watch, column: str, ids: list[Any]) -> None:
    """Record that the rows were told about their current deadline, in one Core UPDATE. Not the
    ORM: it would bump the optimistic-lock version (version_id_col), so a staff member with the
    case or appeal open would get a 409 for a change that was not theirs to review, and it sends
    one UPDATE per versioned row. `SET ... = respond_by` stores the deadline the notices were
    written for: the rows stay locked from _rows (PostgreSQL) or the writer is alone (SQLite,
    BEGIN IMMEDIATE) until commit, so no extension can move it in between."""
    if not ids:
        return
    table: sa.Table = watch.model.__table__
    conn = await session.connection()
    await conn.execute(
        sa.update(table).where(table.c.id.in_(ids)).values({column: table.c.respond_by})
    )


async def _write_notices(
    session: AsyncSession,
    watch: Watch,
    column: str,
    rows: list[Any],
    build: Callable[[Any], list[Message]],
) -> tuple[int, int]:
    """Enqueue the rows' notices and mark them sent; returns (done, failed). The whole batch is
    tried in one savepoint (hundreds of rows a statement); if the database refuses it, each row
    is tried in its own, so one bad row fails alone and is tried again on the next run instead
    of stopping every reminder (issue 12, defect 3). The log names the case and the error's
    class, never its message: a database error may quote the values, e-mail addresses."""
    if not rows:
        return 0, 0
    try:
        async with session.begin_nested():
            await enqueue_many(session, [m for r in rows for m in build(r)])
            await _mark_sent(session, watch, column, [r.id for r in rows])
        return len(rows), 0
    except sa.exc.DBAPIError:
        pass
    failed = 0
    for r in rows:
        try:
            async with session.begin_nested():
                await enqueue_many(session, build(r))
                await _mark_sent(session, watch, column, [r.id])
        except sa.exc.DBAPIError as error:
            failed += 1
            log.warning(
                "sweep: the notices of %s %s failed (%s); tried next run",
                watch.name,
                r.id,
                type(error).__name__,
            )
    return len(rows) - failed, failed


async def remind_and_escalate(
    factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime, watch: Watch
) -> tuple[int, int, int]:
    """Tell the assignee (or, when nobody is assigned, the fallback role) a few days before a
    deadline; escalate overdue ones to every admin. Each is sent once per deadline: the row
    remembers the deadline it last warned about and the outbox dedup key repeats that date, so
    neither a second sweep nor a second worker sends it again. An extension moves the deadline
    and so earns a new reminder. At most BATCH rows of each kind per call (one transaction).
    Returns (reminded, escalated, failed).

    Dedup keys hold ids, dates and a SHA-256 of an address, never user text: a key that grows
    with its input overflows its column (200 characters) sooner or later."""
    today = settings.today(now)
    horizon = today + timedelta(days=settings.reminder_days_ahead)
    m = watch.model
    async with factory() as session, session.begin():
        admins = await auth_repo.users_with_role(session, Role.ADMIN)
        fallback = await auth_repo.users_with_role(session, watch.fallback_role) or admins
        due_soon = _select(
            watch,
            col(m.respond_by) <= horizon,
            col(m.respond_by) >= today,
            or_(col(m.reminder_sent_for).is_(None), col(m.reminder_sent_for) != col(m.respond_by)),
        )
        due = await _rows(session, due_soon, watch)
        assignees = await auth_repo.emails_by_id(
            session, {r.assignee_id for r in due if r.assignee_id is not None}, active_only=True
        )
        fallback_emails = [u.email for u in fallback]

        def reminders(r: Any) -> list[Message]:
            context = _staff_context(watch, r, today)
            to = [assignees[r.assignee_id]] if r.assignee_id in assignees else fallback_emails
            key = f"reminder:{watch.name}:{r.id}:{r.respond_by.isoformat()}"
            return [
                Message(
                    "deadline_approaching", email, f"{key}:{sha256_hex(email)}", context, r.case_id
                )
                for email in to
            ]

        reminded, failed = await _write_notices(session, watch, "reminder_sent_for", due, reminders)
        overdue_stmt = _select(
            watch,
            col(m.respond_by) < today,
            or_(
                col(m.escalation_sent_for).is_(None),
                col(m.escalation_sent_for) != col(m.respond_by),
            ),
        )
        overdue = await _rows(session, overdue_stmt, watch)

        def escalations(r: Any) -> list[Message]:
            context = _staff_context(watch, r, today)
            key = f"overdue:{watch.name}:{r.id}:{r.respond_by.isoformat()}"
            return [
                Message("deadline_missed", a.email, f"{key}:{a.id}", context, r.case_id)
                for a in admins
            ]

        escalated, failed_too = await _write_notices(
            session, watch, "escalation_sent_for", overdue, escalations
        )
    return reminded, escalated, failed + failed_too


def _staff_context(watch: Watch, row: Any, today: date) -> dict[str, Any]:
    return {
        "case_id": str(row.case_id),
        "appeal_id": str(row.id) if watch.name == "appeal" else None,
        "what": watch.name,
        "reference": row.reference,
        "type": row.type,
        "jurisdiction": row.jurisdiction,
        "due": row.respond_by.isoformat(),
        "days_left": (row.respond_by - today).days,
        "staff": True,
    }


async def sweep(
    factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> dict[str, int]:
    expired = await expire_unverified(factory, settings, now)
    reminded = escalated = failed = 0
    for watch in WATCHES:
        while True:  # in batches, so a backlog never makes one huge transaction
            r, e, f = await remind_and_escalate(factory, settings, now, watch)
            reminded, escalated, failed = reminded + r, escalated + e, failed + f
            # Failed rows are selected again: stop when a batch was not full, or did nothing.
            if (r + f < BATCH and e < BATCH) or r + e == 0:
                break
    erased = await erase_expired_packages(factory, settings, now)
    # Imported here: dsr.retention reaches the audit and fulfilment modules, which import cases.
    from dsr.retention.service import run as retention

    kept = await retention(factory, settings, now)
    return {
        "expired": expired,
        "reminded": reminded,
        "escalated": escalated,
        "failed": failed,
        "packages_erased": erased,
        "cases_redacted": kept.cases,
        "messages_purged": kept.messages,
    }
