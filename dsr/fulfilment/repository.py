"""Queries of the fulfilment package: task results, and the tasks a system pulls."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.data_system_models import CaseTask, DataSystem
from dsr.cases.models import Case
from dsr.fulfilment.models import TaskResult


async def lock_task(session: AsyncSession, task_id: uuid.UUID) -> CaseTask | None:
    """The task, locked until the transaction ends (PostgreSQL; SQLite writes one at a time), so
    two uploads to one task cannot both pass its size limit or race its completion."""
    stmt = select(CaseTask).where(CaseTask.id == task_id).with_for_update()
    return (await session.exec(stmt.execution_options(populate_existing=True))).first()


async def stored_bytes(session: AsyncSession, task_id: uuid.UUID) -> int:
    """What a task's results hold now (erased ones no longer count)."""
    stmt = select(func.coalesce(func.sum(TaskResult.size), 0)).where(
        TaskResult.task_id == task_id, col(TaskResult.erased_at).is_(None)
    )
    return int((await session.exec(stmt)).one())


async def results_for_tasks(
    session: AsyncSession, task_ids: Collection[uuid.UUID]
) -> list[TaskResult]:
    if not task_ids:
        return []
    stmt = (
        select(TaskResult)
        .where(col(TaskResult.task_id).in_(list(task_ids)))
        .order_by(col(TaskResult.created_at), col(TaskResult.id))
    )
    return list((await session.exec(stmt)).all())


async def system_tasks(
    session: AsyncSession,
    system_id: uuid.UUID,
    *,
    status: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[CaseTask, Case]]:
    """One system's tasks, oldest first (keyset on created_at, id), with their cases."""
    stmt = (
        select(CaseTask, Case)
        .join(Case, col(Case.id) == col(CaseTask.case_id))
        .where(CaseTask.data_system_id == system_id)
    )
    if status is not None:
        stmt = stmt.where(CaseTask.status == status)
    if after is not None:
        at, last_id = after
        stmt = stmt.where(
            (col(CaseTask.created_at) > at)
            | ((col(CaseTask.created_at) == at) & (col(CaseTask.id) > last_id))
        )
    stmt = stmt.order_by(col(CaseTask.created_at), col(CaseTask.id)).limit(limit)
    return [(t, c) for t, c in (await session.exec(stmt)).all()]


async def system(session: AsyncSession, system_id: uuid.UUID) -> DataSystem | None:
    return await session.get(DataSystem, system_id)
