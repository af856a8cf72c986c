from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.appeals.models import Appeal
from dsr.cases.models import Case
from dsr.cases.repository import decode_cursor, encode_key


async def page(
    session: AsyncSession,
    *,
    statuses: tuple[str, ...],
    assignee_id: uuid.UUID | None,
    unassigned: bool,
    limit: int,
    cursor: str | None,
) -> tuple[list[tuple[Appeal, Case]], str | None]:
    """The appeals queue in deadline order, keyset-paginated like the case queue."""
    stmt = select(Appeal, Case).join(Case, col(Case.id) == col(Appeal.case_id))
    if statuses:
        stmt = stmt.where(col(Appeal.status).in_(statuses))
    if assignee_id is not None:
        stmt = stmt.where(col(Appeal.assignee_id) == assignee_id)
    if unassigned:
        stmt = stmt.where(col(Appeal.assignee_id).is_(None))
    if cursor:
        due, appeal_id = decode_cursor(cursor)
        stmt = stmt.where(
            sa.tuple_(col(Appeal.respond_by), col(Appeal.id))
            > sa.tuple_(sa.literal(due), sa.literal(appeal_id, sa.Uuid()))
        )
    stmt = stmt.order_by(col(Appeal.respond_by), col(Appeal.id)).limit(limit + 1)
    rows = [(a, c) for a, c in (await session.exec(stmt)).all()]
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1][0] if rows else None
    return rows, (encode_key(last.respond_by, last.id) if more and last else None)


async def current_for_case(session: AsyncSession, case_id: uuid.UUID) -> Appeal | None:
    stmt = (
        select(Appeal)
        .where(Appeal.case_id == case_id)
        .order_by(col(Appeal.created_at).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()
