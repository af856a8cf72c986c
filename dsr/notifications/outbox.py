"""enqueue() and enqueue_many(): write notifications in the caller's transaction. A dedup key
makes them idempotent: a second enqueue with the same key (a sweep run twice, a retried request)
adds nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.db.engine import dialect_name
from dsr.db.types import utcnow
from dsr.notifications.catalogue import KINDS
from dsr.notifications.models import OutboxMessage

# Bound parameters per INSERT (444 rows of 9 columns): well under PostgreSQL's 32,767 (asyncpg)
# and SQLite's 32,766 (3.32+; RETURNING below needs 3.35+ anyway), and big enough that a sweep's
# 39,000 rows take under a hundred statements.
MAX_PARAMS = 4000


@dataclass(frozen=True)
class Message:
    kind: str
    recipient: str
    dedup_key: str
    context: dict[str, Any] = field(default_factory=dict)
    case_id: uuid.UUID | None = None


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    recipient: str,
    dedup_key: str,
    context: dict[str, Any],
    case_id: uuid.UUID | None = None,
) -> bool:
    """Returns False when a message with this dedup key already exists."""
    message = Message(kind, recipient, dedup_key, context, case_id)
    return await enqueue_many(session, [message]) == 1


async def enqueue_many(session: AsyncSession, messages: Iterable[Message]) -> int:
    """Multi-row INSERT ... ON CONFLICT (dedup_key) DO NOTHING, a few hundred rows a statement.
    Returns how many were new. Of several messages with one dedup key in a call, the first wins,
    as it would in a series of enqueue() calls."""
    unique: dict[str, Message] = {}
    for m in messages:
        if m.kind not in KINDS:  # before any row is written: all or nothing
            raise ValueError(f"unknown notification kind {m.kind!r}")
        unique.setdefault(m.dedup_key, m)
    if not unique:
        return 0
    now = utcnow()
    rows = [
        {
            "kind": m.kind,
            "recipient": m.recipient,
            "dedup_key": m.dedup_key,
            "context": m.context,
            "case_id": m.case_id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for m in unique.values()
    ]
    table: sa.Table = OutboxMessage.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    # Given a list of rows, SQLAlchemy's "insertmanyvalues" writes multi-row INSERTs of
    # `page_size` rows each from one statement compiled (and cached) once: building a
    # VALUES clause of hundreds of rows with .values([...]) instead cost more to compile than
    # the database took to run it. RETURNING lists only the rows inserted, not the conflicts.
    stmt = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(table.c.id)
        .execution_options(insertmanyvalues_page_size=MAX_PARAMS // len(rows[0]))
    )
    if session.autoflush:
        # A Core statement does not autoflush the way an ORM insert through the session does:
        # a case added in this transaction must reach the database before rows that refer to it.
        await session.flush()
    conn = await session.connection()
    inserted = len((await conn.execute(stmt, rows)).all())
    if inserted:
        # The request's session dependency wakes the dispatcher after commit (dsr.deps).
        session.info["outbox_enqueued"] = True
    return inserted


async def queued_ids(session: AsyncSession, case_id: uuid.UUID) -> list[int]:
    """The ids of every outbox row of a case (the check step's "before")."""
    ids = await session.exec(
        sa.select(OutboxMessage.id).where(OutboxMessage.case_id == case_id)  # type: ignore[call-overload]
    )
    return [i for (i,) in ids.all()]


async def queued_since(
    session: AsyncSession, case_id: uuid.UUID, before: list[int]
) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, recipient, context) of the case's outbox rows not in `before`, oldest first."""
    table = OutboxMessage
    rows = await session.exec(
        sa.select(table.kind, table.recipient, table.context)  # type: ignore[call-overload]
        .where(table.case_id == case_id)
        .where(table.id.not_in(before))  # type: ignore[union-attr]
        .order_by(table.id)
    )
    return [tuple(r) for r in rows.all()]
