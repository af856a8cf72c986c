"""The owner's capability link to a manual system's task page. Like the requester's links
(dsr.cases.tokens) the token is an HMAC of the secret key and the link's id, derived again when
the e-mail is rendered; only its hash is stored, and it expires after DSR_TASK_LINK_TTL_DAYS."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.data_system_models import CaseTask, DataSystem
from dsr.cases.models import Case
from dsr.credentials import derive_case_token, sha256_hex
from dsr.errors import InvalidLink
from dsr.fulfilment.models import TaskLink
from dsr.settings import Settings

PURPOSE = "task"
EXPIRED = (
    "This task link is not valid: it may be mistyped or expired. Ask the privacy team for a new "
    "one, or close the task with your tasks:write token."
)


@dataclass(frozen=True)
class LinkedTask:
    task: CaseTask
    case: Case
    system: DataSystem


def new_link(settings: Settings, *, task_id: uuid.UUID, now: datetime) -> TaskLink:
    link_id = uuid.uuid4()
    return TaskLink(
        id=link_id,
        task_id=task_id,
        token_hash=sha256_hex(link_token(settings, link_id)),
        created_at=now,
        expires_at=now + timedelta(days=settings.task_link_ttl_days),
    )


def link_token(settings: Settings, link_id: uuid.UUID) -> str:
    return derive_case_token(settings.secret_key, link_id, PURPOSE)


async def open_task(
    session: AsyncSession, *, task_id: uuid.UUID, token: str, now: datetime
) -> LinkedTask:
    """The task this link opens: 404 for a wrong token, another task's, or an expired one."""
    stmt = select(TaskLink).where(TaskLink.token_hash == sha256_hex(token))
    link = (await session.exec(stmt)).first()
    if link is None or link.task_id != task_id or link.expires_at <= now:
        raise InvalidLink(EXPIRED)
    task = await session.get(CaseTask, task_id)
    case = await session.get(Case, task.case_id) if task else None
    system = await session.get(DataSystem, task.data_system_id) if task else None
    if task is None or case is None or system is None:
        raise InvalidLink(EXPIRED)
    return LinkedTask(task=task, case=case, system=system)
