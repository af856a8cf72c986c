"""The worker's run of one `sql` task (an outbox message of kind `task_sql`, sent by
dsr.notifications.dispatcher with the outbox's claims, retries and backoff).

- access: each table's reachable rows become one JSON result
  (`{"table", "category", "rows"}`), and the task is closed `done` (`not_found` when no table
  has a row), so the rows reach the requester's package;
- deletion: each table's `erase` in one transaction on the target; the outcome is `retained`
  with the reasons when a reachable table keeps rows, else `done` (`not_found` when nothing was
  there), with the counts per table in the note. Run twice, the second run finds nothing more to
  delete and changes nothing;
- correction: the rows found are stored as results for staff, who make the change and close the
  task (corrections are free text, docs/design §4.1); other types are left to staff.

A failure leaves the task open with `last_error` (no personal data) and the outbox retries."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases import repository as case_repository
from dsr.cases.data_system_models import CaseTask, DataSystem
from dsr.cases.data_systems import close_task
from dsr.connectors.sql import service
from dsr.connectors.sql.dataset import Dataset, parse
from dsr.connectors.sql.plan import Subject
from dsr.db.types import utcnow
from dsr.domain.context import SYSTEM
from dsr.domain.vocabulary import Identity, Integration, RequestType, TaskStatus
from dsr.fulfilment import repository, results
from dsr.settings import Settings

log = logging.getLogger("dsr.sql")
ACTOR = "sql connector"


async def run_task(
    factory: async_sessionmaker[AsyncSession], settings: Settings, task_id: uuid.UUID
) -> str | None:
    """Carry out one task; None when done (or nothing is left to do), else the error."""
    async with factory() as session, session.begin():
        found = await case_repository.task_with_case(session, task_id)
        system = await repository.system(session, found[0].data_system_id) if found else None
    if found is None or system is None or found[0].status != TaskStatus.OPEN:
        return None
    case = found[1]
    if system.integration != Integration.SQL or not system.connection_env or not system.dataset:
        return await _failed(factory, task_id, "the system is no longer set up as an sql system")
    subject = Subject(
        email=case.email if Identity.EMAIL in system.identities else None,
        account_id=case.account_id if Identity.ACCOUNT_ID in system.identities else None,
    )
    try:
        dataset = parse(system.dataset)
        if case.type in (RequestType.ACCESS, RequestType.CORRECTION):
            await _read(factory, settings, system, dataset, subject, task_id, case.type)
        elif case.type == RequestType.DELETION:
            erased, retained = await service.erase(
                settings=settings,
                system_name=system.name,
                connection_env=system.connection_env,
                dataset=dataset,
                subject=subject,
            )
            await _close_deletion(factory, dataset, task_id, erased, retained)
    except Exception as exc:  # every failure is retried; said without personal data
        error = f"{system.name}: {service.describe_failure(exc)}"
        log.warning("sql task %s failed: %s", task_id, error)
        return await _failed(factory, task_id, error)
    log.info("sql task %s carried out (%s)", task_id, case.type)
    return None


async def _read(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    system: DataSystem,
    dataset: Dataset,
    subject: Subject,
    task_id: uuid.UUID,
    kind: str,
) -> None:
    assert system.connection_env is not None
    found, _ = await service.read(
        settings=settings, connection_env=system.connection_env, dataset=dataset, subject=subject
    )
    tables = [n for n in dataset.order if found.rows.get(n)]
    async with factory() as session, session.begin():
        task = await repository.lock_task(session, task_id)
        if task is None or task.status != TaskStatus.OPEN:
            return
        if kind == RequestType.CORRECTION and await repository.stored_bytes(session, task_id):
            return  # shown to staff already (a repeated run after a crash)
        for name in tables:
            value = {"table": name, "category": dataset.tables[name].category}
            value["rows"] = found.rows[name]  # type: ignore[assignment]
            await results.store_json(session, settings=settings, task=task, value=value)
        task.last_error = None
        if kind == RequestType.ACCESS:
            total = sum(len(found.rows[n]) for n in tables)
            await _close(session, task, "done" if total else "not_found", None, total)


async def _close_deletion(
    factory: async_sessionmaker[AsyncSession],
    dataset: Dataset,
    task_id: uuid.UUID,
    erased: dict[str, int],
    retained: dict[str, int],
) -> None:
    parts = [f"{n}: {c} {dataset.tables[n].erase.describe()}" for n, c in erased.items()]
    note = "; ".join(parts) or None
    outcome = "done" if erased else "not_found"
    if retained:
        reasons = [f"{n} ({c} rows): {dataset.tables[n].erase.reason}" for n, c in retained.items()]
        note = "Retained " + "; ".join(reasons) + (f". Erased {note}" if note else "")
        outcome = "retained"
    async with factory() as session, session.begin():
        task = await repository.lock_task(session, task_id)
        if task is None or task.status != TaskStatus.OPEN:
            return
        task.last_error = None
        await _close(session, task, outcome, note, sum(erased.values()))


async def _close(
    session: AsyncSession, task: CaseTask, outcome: str, note: str | None, count: int
) -> None:
    case = await case_repository.get(session, task.case_id)
    assert case is not None  # a task belongs to its case
    await close_task(
        session,
        case,
        task.id,
        status=outcome,
        note=note,
        actor_kind=SYSTEM.kind,
        actor_id=ACTOR,
        now=utcnow(),
        records_affected=count,
    )


async def _failed(factory: async_sessionmaker[AsyncSession], task_id: uuid.UUID, error: str) -> str:
    async with factory() as session, session.begin():
        task = await session.get(CaseTask, task_id)
        if task is not None:
            task.last_error = error[:500]
    return error
