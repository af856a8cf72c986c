"""Admin view of the outbox: messages that could not be sent, and retrying them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from dsr.auth.principal import Principal
from dsr.auth.roles import Role
from dsr.deps import SessionDep, require_role
from dsr.domain.vocabulary import OutboxStatus
from dsr.limits import IntId
from dsr.notifications.admin import NotificationOut, list_messages, out, retry

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications (admin)"])
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]


@router.get("", response_model=list[NotificationOut])
async def notifications(
    _principal: Admin,
    session: SessionDep,
    status: OutboxStatus = OutboxStatus.FAILED,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[NotificationOut]:
    """Recipients are not listed: the ids, kinds and errors are enough to act on."""
    return [out(m) for m in await list_messages(session, status, limit)]


@router.post("/{message_id}/retry", response_model=NotificationOut)
async def retry_notification(
    message_id: Annotated[IntId, Path()], _principal: Admin, session: SessionDep
) -> NotificationOut:
    return out(await retry(session, message_id))
