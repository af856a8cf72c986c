"""enqueue(): write a notification in the caller's transaction. A dedup key makes it idempotent:
a second enqueue with the same key (a sweep run twice, a retried request) adds nothing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.db.engine import dialect_name
from dsr.db.types import utcnow
from dsr.notifications.catalogue import KINDS
from dsr.notifications.models import OutboxMessage


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
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    values = {
        "kind": kind,
        "recipient": recipient,
        "dedup_key": dedup_key,
        "context": context,
        "case_id": case_id,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": utcnow(),
        "created_at": utcnow(),
    }
    insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    stmt = (
        insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
    )
    result = await session.exec(stmt)
    inserted = bool(result.rowcount)
    if inserted:
        session.info["outbox_enqueued"] = True
    return inserted
