"""Queries over cases. Only repositories build queries."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from dsr.cases.data_system_models import CaseTask
from dsr.cases.models import Case
from dsr.db.sealed_columns import email_lookup_key, keyring_of, lookup_hashes
from dsr.domain.vocabulary import ACTIVE_STATUSES
from dsr.errors import InvalidInput
from dsr.notifications.models import OutboxMessage, problem_clause


@dataclass(frozen=True)
class CaseFilter:
    statuses: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    assignee_id: uuid.UUID | None = None
    unassigned: bool = False
    due_before: date | None = None
    due_from: date | None = None  # respond_by on or after
    # Only cases with an e-mail that failed or is being retried (dsr.notifications.delivery).
    delivery_problem: bool = False


def encode_key(due: date, row_id: uuid.UUID) -> str:
    """An opaque keyset cursor: the (deadline, id) of the last row of a page."""
    raw = json.dumps([due.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def encode_cursor(case: Case) -> str:
    return encode_key(case.respond_by, case.id)


def decode_cursor(cursor: str) -> tuple[date, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due, case_id = json.loads(raw)
        return date.fromisoformat(due), uuid.UUID(case_id)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("cursor: not a cursor returned by this API") from exc


def filtered(stmt: SelectOfScalar[Case], f: CaseFilter) -> SelectOfScalar[Case]:
    if f.statuses:
        stmt = stmt.where(col(Case.status).in_(f.statuses))
    if f.types:
        stmt = stmt.where(col(Case.type).in_(f.types))
    if f.jurisdictions:
        stmt = stmt.where(col(Case.jurisdiction).in_(f.jurisdictions))
    if f.assignee_id is not None:
        stmt = stmt.where(col(Case.assignee_id) == f.assignee_id)
    if f.unassigned:
        stmt = stmt.where(col(Case.assignee_id).is_(None))
    if f.due_before is not None:
        stmt = stmt.where(col(Case.respond_by) < f.due_before)
    if f.due_from is not None:
        stmt = stmt.where(col(Case.respond_by) >= f.due_from)
    if f.delivery_problem:
        problems = sa.select(col(OutboxMessage.case_id)).where(problem_clause())
        stmt = stmt.where(col(Case.id).in_(problems))
    return stmt


# Up to this many statuses are read as one ordered branch each (see page()).
MAX_BRANCHES = 12


def _ordered(f: CaseFilter, after: tuple[date, uuid.UUID] | None, n: int) -> SelectOfScalar[Case]:
    stmt = filtered(select(Case), f)
    if after is not None:
        stmt = stmt.where(
            sa.tuple_(col(Case.respond_by), col(Case.id))
            > sa.tuple_(sa.literal(after[0]), sa.literal(after[1], sa.Uuid()))
        )
    return stmt.order_by(col(Case.respond_by), col(Case.id)).limit(n)


async def page(
    session: AsyncSession, f: CaseFilter, limit: int, cursor: str | None
) -> tuple[list[Case], str | None]:
    """Keyset pagination in deadline order: (respond_by, id) > cursor. Deep pages cost the same
    as the first one.

    Several statuses (the console's default "open work" is three) are read as one branch per
    status, each an ordered range of an index that starts with the status, merged by UNION ALL:
    with `status IN (...)` the planner instead collects every matching row and sorts them, which
    at a million cases took 50-60 ms a page (bench/queue.py). The branches carry only the keys;
    the page's rows are read once, by id, after the merge."""
    after = decode_cursor(cursor) if cursor else None
    if 1 < len(f.statuses) <= MAX_BRANCHES:
        keys = (col(Case.respond_by), col(Case.id))
        branches = [
            sa.select(
                _ordered(replace(f, statuses=(s,)), after, limit + 1)
                .with_only_columns(*keys)
                .subquery()
            )
            for s in f.statuses
        ]
        merged = sa.union_all(*branches).subquery()
        top = (
            sa.select(merged.c.respond_by, merged.c.id)
            .order_by(merged.c.respond_by, merged.c.id)
            .limit(limit + 1)
            .subquery()
        )
        stmt: SelectOfScalar[Case] = (
            select(Case).join(top, col(Case.id) == top.c.id).order_by(top.c.respond_by, top.c.id)
        )
    else:
        stmt = _ordered(f, after, limit + 1)
    rows = list((await session.exec(stmt)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1]) if more and rows else None)


async def get(session: AsyncSession, case_id: uuid.UUID) -> Case | None:
    return await session.get(Case, case_id)


async def task_with_case(session: AsyncSession, task_id: uuid.UUID) -> tuple[CaseTask, Case] | None:
    """A task and the case it belongs to, or None when either is missing."""
    task = await session.get(CaseTask, task_id)
    case = await session.get(Case, task.case_id) if task else None
    return (task, case) if task is not None and case is not None else None


def _email_hashes(session: AsyncSession, email: str) -> list[str]:
    keyring = keyring_of(session.get_bind().dialect)
    return lookup_hashes(keyring, email_lookup_key(email))


async def by_email(session: AsyncSession, email: str, limit: int = 100) -> list[Case]:
    """A requester's cases, newest first: the console's search by e-mail (by its keyed hash
    under each configured key, on the subject index)."""
    stmt = (
        select(Case)
        .where(col(Case.email_hash).in_(_email_hashes(session, email)))
        .order_by(col(Case.received_at).desc())
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())


async def by_reference(session: AsyncSession, reference: str) -> list[Case]:
    """The case with this reference (a list: none or one), on its unique index."""
    stmt = select(Case).where(col(Case.reference) == reference)
    return list((await session.exec(stmt)).all())


async def duplicates_of(session: AsyncSession, case_id: uuid.UUID) -> list[Case]:
    """Requests closed as duplicates of this one: they share its outcome."""
    stmt = select(Case).where(col(Case.duplicate_of_id) == case_id).order_by(col(Case.received_at))
    return list((await session.exec(stmt)).all())


async def earliest_open_duplicate(session: AsyncSession, case: Case) -> Case | None:
    """The earliest other request of the same type from the same subject that is still worked."""
    stmt = (
        select(Case)
        .where(
            col(Case.email_hash).in_(_email_hashes(session, case.email)),
            col(Case.type) == case.type,
            col(Case.status).in_(ACTIVE_STATUSES),
            col(Case.id) != case.id,
        )
        .order_by(col(Case.received_at))
        .limit(1)
    )
    return (await session.exec(stmt)).first()
