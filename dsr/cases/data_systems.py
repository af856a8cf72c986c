"""Data systems and case tasks: the registry, task creation on opening, and closing tasks."""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import datetime
from typing import Any, NamedTuple

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases import timeline
from dsr.cases.action_schemas import DataSystemIn
from dsr.cases.data_system_models import CaseTask, DataSystem
from dsr.cases.models import Case
from dsr.connectors.sql import messages as sql_messages
from dsr.connectors.sql import service as sql_service
from dsr.connectors.sql.plan import Subject
from dsr.domain.text_rules import CONTROL_MESSAGE, has_control_characters
from dsr.domain.vocabulary import TASK_OUTCOMES, Integration, TaskStatus
from dsr.errors import (
    DATA_SYSTEM_NAME_TAKEN,
    DATA_SYSTEM_NOT_FOUND,
    TASK_NOT_FOUND,
    Conflict,
    InvalidInput,
    NotFound,
)
from dsr.fulfilment import task_links, webhooks
from dsr.fulfilment.models import TaskLink
from dsr.notifications.outbox import enqueue, enqueue_many
from dsr.settings import Settings


class Saved(NamedTuple):
    """A saved system, its new signing secret (shown once) and what to warn about (an sql
    system's edges without an index)."""

    system: DataSystem
    secret: str | None
    warnings: list[str]


async def _sql_warnings(settings: Settings, data: DataSystemIn) -> list[str]:
    """An sql system's dataset checked against the live database before anything is written:
    422 naming a missing table or column (dsr.connectors.sql)."""
    if data.integration != Integration.SQL:
        return []
    assert data.connection_env is not None  # the schema insists on both
    assert data.dataset is not None
    return await sql_service.check(
        settings=settings, connection_env=data.connection_env, dataset_text=data.dataset
    )


async def create_system(session: AsyncSession, *, settings: Settings, data: DataSystemIn) -> Saved:
    """Register a system. A webhook system gets its signing secret, returned this once."""
    warnings = await _sql_warnings(settings, data)
    existing = (await session.exec(select(DataSystem).where(DataSystem.name == data.name))).first()
    if existing is not None:
        raise Conflict("a data system with that name already exists", code=DATA_SYSTEM_NAME_TAKEN)
    system = DataSystem(name=data.name, owner_email=str(data.owner_email))
    _assign(system, data)
    session.add(system)
    secret = _new_secret(settings, system) if system.integration == Integration.WEBHOOK else None
    await session.flush()
    return Saved(system, secret, warnings)


async def update_system(
    session: AsyncSession, *, settings: Settings, system_id: uuid.UUID, data: DataSystemIn
) -> Saved:
    """Change a system's registration. Becoming a webhook system issues its first secret."""
    system = await _get(session, system_id)
    warnings = await _sql_warnings(settings, data)
    clash = (await session.exec(select(DataSystem).where(DataSystem.name == data.name))).first()
    if clash is not None and clash.id != system.id:
        raise Conflict("a data system with that name already exists", code=DATA_SYSTEM_NAME_TAKEN)
    system.name, system.owner_email = data.name, str(data.owner_email)
    _assign(system, data)
    secret = None
    if system.integration == Integration.WEBHOOK and system.signing_secret is None:
        secret = _new_secret(settings, system)
    return Saved(system, secret, warnings)


async def rotate_secret(session: AsyncSession, *, settings: Settings, system_id: uuid.UUID) -> str:
    """A new signing secret for a webhook system; the old one stops working at once."""
    system = await _get(session, system_id)
    if system.integration != Integration.WEBHOOK:
        raise Conflict("only a webhook system has a signing secret")
    return _new_secret(settings, system)


async def test_sql_system(
    session: AsyncSession,
    *,
    settings: Settings,
    system_id: uuid.UUID,
    email: str | None,
    account_id: str | None,
) -> dict[str, Any]:
    """An sql system's dry run for one subject (dsr.connectors.sql.service.dry_run)."""
    system = await _get(session, system_id)
    if system.integration != Integration.SQL or not system.connection_env or not system.dataset:
        raise Conflict("only an sql system can be tested")
    return await sql_service.dry_run(
        settings=settings,
        connection_env=system.connection_env,
        dataset_text=system.dataset,
        subject=Subject(email=email, account_id=account_id),
    )


def signing_secret(settings: Settings, system: DataSystem) -> str | None:
    """The system's current secret in clear, to sign a delivery with."""
    if system.signing_secret is None:
        return None
    return settings.keyring.decrypt_text(system.signing_secret, system.id.bytes)


def _assign(system: DataSystem, data: DataSystemIn) -> None:
    system.categories = sorted(set(data.categories))
    system.request_types = sorted(set(data.request_types))
    system.integration = data.integration
    system.webhook_url = data.webhook_url if data.integration == Integration.WEBHOOK else None
    system.identities = sorted(set(data.identities))
    system.purposes, system.recipients = data.purposes, data.recipients
    system.retention, system.source = data.retention, data.source
    is_sql = data.integration == Integration.SQL
    system.connection_env = data.connection_env if is_sql else None
    system.dataset = data.dataset if is_sql else None


def _new_secret(settings: Settings, system: DataSystem) -> str:
    # Standard Webhooks: "whsec_" and the base64 of the HMAC key (24 random bytes here).
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    system.signing_secret = settings.keyring.encrypt_text(secret, system.id.bytes)
    return secret


async def get_system(session: AsyncSession, system_id: uuid.UUID) -> DataSystem:
    return await _get(session, system_id)


async def system_by_name(session: AsyncSession, name: str) -> DataSystem:
    system = (await session.exec(select(DataSystem).where(DataSystem.name == name))).first()
    if system is None:
        raise NotFound("no data system with that name", code=DATA_SYSTEM_NOT_FOUND)
    return system


async def _get(session: AsyncSession, system_id: uuid.UUID) -> DataSystem:
    system = await session.get(DataSystem, system_id)
    if system is None:
        raise NotFound("no data system with that id", code=DATA_SYSTEM_NOT_FOUND)
    return system


async def list_systems(session: AsyncSession) -> list[DataSystem]:
    return list((await session.exec(select(DataSystem).order_by(col(DataSystem.name)))).all())


async def set_system_active(
    session: AsyncSession, system_id: uuid.UUID, active: bool
) -> DataSystem:
    system = await _get(session, system_id)
    system.active = active
    return system


async def task_counts(session: AsyncSession, case_id: uuid.UUID) -> dict[str, int]:
    """How many of the case's tasks are in each status (the fulfil guards ask)."""
    stmt = (
        select(CaseTask.status, func.count())
        .where(CaseTask.case_id == case_id)
        .group_by(col(CaseTask.status))
    )
    return {status: int(n) for status, n in (await session.exec(stmt)).all()}


async def tasks_for(session: AsyncSession, case_id: uuid.UUID) -> list[tuple[CaseTask, DataSystem]]:
    stmt = (
        select(CaseTask, DataSystem)
        .join(DataSystem, col(DataSystem.id) == col(CaseTask.data_system_id))
        .where(CaseTask.case_id == case_id)
        .order_by(col(DataSystem.name))
    )
    return [(t, s) for t, s in (await session.exec(stmt)).all()]


async def create_for_case(
    session: AsyncSession, case: Case, now: datetime, *, settings: Settings
) -> list[CaseTask]:
    """On opening: one task per active system that handles this request type; owners are told
    by e-mail that carries the reference and the task link, not the requester's data. A manual
    system's owner gets a capability link to the task's page (dsr.fulfilment.task_links)."""
    systems = (await session.exec(select(DataSystem).where(col(DataSystem.active)))).all()
    created = []
    links: list[TaskLink] = []
    for system in systems:
        if case.type not in system.request_types:
            continue
        task = CaseTask(case_id=case.id, data_system_id=system.id, created_at=now)
        session.add(task)
        created.append(task)
        if system.integration == Integration.SQL:
            # Carried out by dsr's worker itself, from the outbox like a webhook, so it commits
            # with the case and a failure is retried (dsr.connectors.sql.runner).
            await enqueue_many(session, [sql_messages.run_message(task, system)])
            continue
        if system.integration == Integration.WEBHOOK:
            # Pushed to the system instead of e-mailed to its owner, from the outbox, so it
            # commits with the case and is retried until acknowledged (dsr.fulfilment.webhooks).
            await enqueue_many(session, [webhooks.delivery_message(task, system, case)])
            continue
        link = None
        if system.integration == Integration.MANUAL:
            link = task_links.new_link(settings, task_id=task.id, now=now)
            links.append(link)
        await enqueue(
            session,
            kind="task_assigned",
            recipient=system.owner_email,
            dedup_key=f"task:{task.id}",
            case_id=case.id,
            context={
                "case_id": str(case.id),
                "reference": case.reference,
                "type": case.type,
                "system": system.name,
                "task_id": str(task.id),
                "respond_by": case.respond_by.isoformat(),
                "task_link": str(link.id) if link else None,
                "link_expires": link.expires_at.date().isoformat() if link else None,
            },
        )
    if links:
        await session.flush()  # the tasks first: a link refers to its task
        session.add_all(links)
    return created


async def get_task(session: AsyncSession, task_id: uuid.UUID) -> CaseTask:
    task = await session.get(CaseTask, task_id)
    if task is None:
        raise NotFound("no task with that id", code=TASK_NOT_FOUND)
    return task


async def close_task(
    session: AsyncSession,
    case: Case,
    task_id: uuid.UUID,
    *,
    status: str,
    note: str | None,
    actor_kind: str,
    actor_id: str,
    now: datetime,
    records_affected: int | None = None,
) -> tuple[CaseTask, DataSystem | None]:
    """Close a task with an outcome (done, not_found, retained: TASK_OUTCOMES) or waive it.
    Retaining names the exception that applies and waiving gives a reason, both in `note`."""
    if status not in (*TASK_OUTCOMES, TaskStatus.WAIVED):
        raise InvalidInput("status: must be done, not_found, retained or waived")
    if status == TaskStatus.WAIVED and not (note and note.strip()):
        raise InvalidInput("reason: waiving a task needs a reason")
    if status == TaskStatus.RETAINED and not (note and note.strip()):
        raise InvalidInput("note: retaining data needs the exception that applies")
    if note and has_control_characters(note):
        # The console passes its form text straight here, without a schema in between.
        raise InvalidInput(f"reason: {CONTROL_MESSAGE}")
    task = await session.get(CaseTask, task_id)
    if task is None or task.case_id != case.id:
        raise NotFound("no such task on this case", code=TASK_NOT_FOUND)
    if task.status != TaskStatus.OPEN:
        raise Conflict(f"the task is already {task.status}")
    if case.closed_at is not None:
        raise Conflict("the case is closed")
    task.status, task.note, task.closed_by, task.closed_at = status, note, actor_id, now
    task.records_affected = records_affected
    system = await session.get(DataSystem, task.data_system_id)
    await timeline.record(
        session,
        case,
        at=now,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=f"task_{status}",
        reason=note,
        data={"task_id": str(task.id), "system": system.name if system else None}
        | ({} if records_affected is None else {"records_affected": records_affected}),
    )
    # Touch the case so concurrent task closing and fulfilment conflict instead of racing.
    case.updated_at = now
    return task, system
