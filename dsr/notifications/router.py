"""Admin view of the outbox: messages that could not be sent, and retrying them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import col, select

from dsr.auth.principal import Principal
from dsr.db.types import utcnow
from dsr.deps import SessionDep, require_role
from dsr.domain.workflow import Role
from dsr.errors import Conflict, NotFound
from dsr.notifications.models import OutboxMessage

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications (admin)"])
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]


class NotificationOut(BaseModel):
    id: int
    kind: str
    case_id: str | None
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
        status=m.status,
        attempts=m.attempts,
        last_error=m.last_error,
        created_at=m.created_at,
        next_attempt_at=m.next_attempt_at,
    )


async def list_messages(session: SessionDep, status: str, limit: int = 100) -> list[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.status == status)
        .order_by(col(OutboxMessage.id).desc())
    )
    return list((await session.exec(stmt.limit(limit))).all())


async def retry(session: SessionDep, message_id: int) -> OutboxMessage:
    msg = await session.get(OutboxMessage, message_id)
    if msg is None:
        raise NotFound("no notification with that id")
    if msg.status == "sent":
        raise Conflict("that notification was sent already")
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(status="pending", attempts=0, next_attempt_at=utcnow(), locked_until=None)
    )
    session.info["outbox_enqueued"] = True
    await session.refresh(msg)
    return msg


@router.get("", response_model=list[NotificationOut])
async def notifications(
    principal: Admin,
    session: SessionDep,
    status: Annotated[str, Query(pattern="^(pending|sent|failed)$")] = "failed",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NotificationOut]:
    """Recipients are not listed: the ids, kinds and errors are enough to act on."""
    return [out(m) for m in await list_messages(session, status, limit)]


@router.post("/{message_id}/retry", response_model=NotificationOut)
async def retry_notification(
    message_id: int, principal: Admin, session: SessionDep
) -> NotificationOut:
    return out(await retry(session, message_id))
