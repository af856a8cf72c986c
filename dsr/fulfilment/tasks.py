"""The task API's operations for a data system's own token: list its tasks, read one, report
results, complete it. Services never commit: the request's transaction holds everything one call
stores, so an error anywhere leaves nothing of it behind."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases import repository as case_repository
from dsr.cases.data_system_models import CaseTask, DataSystem
from dsr.cases.data_systems import close_task
from dsr.cases.models import Case
from dsr.domain.vocabulary import TaskStatus
from dsr.errors import TASK_NOT_FOUND, Forbidden, InvalidInput, NotFound
from dsr.fulfilment import repository, results
from dsr.fulfilment.models import TaskResult
from dsr.fulfilment.presenters import system_task
from dsr.fulfilment.schemas import SystemTaskOut, TaskCompleteIn, TaskPage
from dsr.settings import Settings

PAGE_SIZE = 50


@dataclass(frozen=True)
class Upload:
    """One file part of a multipart results upload."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class SystemTask:
    task: CaseTask
    case: Case
    system: DataSystem


async def task_page(
    session: AsyncSession,
    *,
    settings: Settings,
    system_id: uuid.UUID,
    status: TaskStatus | None,
    cursor: str | None,
    limit: int = PAGE_SIZE,
) -> TaskPage:
    """The system's tasks, oldest first; `next_cursor` while more may follow."""
    system = await repository.system(session, system_id)
    if system is None:  # the system was deleted under its token: nothing to show
        return TaskPage(items=[])
    after = decode_cursor(cursor) if cursor else None
    rows = await repository.system_tasks(
        session, system_id, status=status, after=after, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = [system_task(t, system, c, settings.base_url) for t, c in rows]
    next_cursor = encode_cursor(rows[-1][0]) if more else None
    return TaskPage(items=items, next_cursor=next_cursor)


async def own_task(
    session: AsyncSession, *, system_id: uuid.UUID, task_id: uuid.UUID
) -> SystemTask:
    """A task of this system: 404 when there is no such task, 403 when it is another system's."""
    found = await case_repository.task_with_case(session, task_id)
    if found is None:
        raise NotFound("no task with that id", code=TASK_NOT_FOUND)
    task, case = found
    if task.data_system_id != system_id:
        raise Forbidden("this task belongs to another data system")
    system = await repository.system(session, system_id)
    if system is None:
        raise Forbidden("this task belongs to another data system")
    return SystemTask(task=task, case=case, system=system)


async def add_results(
    session: AsyncSession,
    *,
    settings: Settings,
    task: CaseTask,
    values: list[Any],
    files: list[Upload],
) -> list[TaskResult]:
    """Store what one request sent: JSON values and files, all or (on any error) none."""
    if not values and not files:
        raise InvalidInput("file: send a JSON body or at least one file part")
    stored = [
        await results.store_json(session, settings=settings, task=task, value=v) for v in values
    ]
    for upload in files:
        stored.append(
            await results.store_file(
                session,
                settings=settings,
                task=task,
                filename=upload.filename,
                content_type=upload.content_type,
                data=upload.data,
            )
        )
    return stored


async def complete(
    session: AsyncSession,
    *,
    settings: Settings,
    found: SystemTask,
    body: TaskCompleteIn,
    actor: str,
    now: datetime,
) -> SystemTaskOut:
    """Close the task with the system's outcome: one timeline event on the case, through the
    same service as staff closing it."""
    task, system = await close_task(
        session,
        found.case,
        found.task.id,
        status=body.outcome,
        note=body.note,
        actor_kind="service",
        actor_id=actor,
        now=now,
        records_affected=body.records_affected,
    )
    await session.flush()
    return system_task(task, system or found.system, found.case, settings.base_url)


def encode_cursor(task: CaseTask) -> str:
    """An opaque keyset cursor: the (created_at, id) of the last task of a page."""
    raw = json.dumps([task.created_at.isoformat(), str(task.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, task_id = json.loads(raw)
        return datetime.fromisoformat(at), uuid.UUID(task_id)
    except (ValueError, TypeError) as exc:
        raise InvalidInput("cursor: not a cursor returned by this API") from exc
