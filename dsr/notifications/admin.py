"""The outbox as an admin sees it: messages by status, and retrying one that failed. The router
(dsr.notifications.router) only parses and renders; the queries live here."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.models import Case
from dsr.db.types import utcnow
from dsr.domain.vocabulary import OutboxStatus
from dsr.errors import Conflict, NotFound
from dsr.notifications.catalogue import DELIVERY_KINDS
from dsr.notifications.models import OutboxMessage


class NotificationOut(BaseModel):
    id: int
    kind: str
    case_id: str | None
    # A webhook delivery's data system (by name); None for e-mails.
    data_system: str | None = None
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime


def out(m: OutboxMessage) -> NotificationOut:
    assert m.id is not None
    return NotificationOut(
        id=m.id,
        kind=m.kind,
        case_id=str(m.case_id) if m.case_id else None,
        data_system=m.context.get("system") if m.kind in DELIVERY_KINDS else None,
        status=m.status,
        attempts=m.attempts,
        last_error=m.last_error,
        created_at=m.created_at,
        next_attempt_at=m.next_attempt_at,
    )


async def list_messages(
    session: AsyncSession, status: OutboxStatus, limit: int = 100
) -> list[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == status)
        .order_by(col(OutboxMessage.id).desc())
    )
    return list((await session.exec(stmt.limit(limit))).all())


async def references(session: AsyncSession, messages: list[OutboxMessage]) -> dict[str, str]:
    """The case references of a list of messages, by case id (as a string)."""
    ids = {m.case_id for m in messages if m.case_id}
    if not ids:
        return {}
    stmt = select(Case.id, Case.reference).where(col(Case.id).in_(ids))
    return {str(i): ref for i, ref in (await session.exec(stmt)).all()}


async def retry(session: AsyncSession, message_id: int) -> OutboxMessage:
    """Send a message again from the start: attempts reset, due now, the worker woken."""
    msg = await session.get(OutboxMessage, message_id)
    if msg is None:
        raise NotFound("no notification with that id", code="notification_not_found")
    if msg.status == OutboxStatus.SENT:
        raise Conflict("that notification was sent already")
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=utcnow(), locked_until=None
        )
    )
    session.info["outbox_enqueued"] = True
    await session.refresh(msg)
    return msg
