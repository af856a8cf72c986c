"""Staff API: state-machine actions, bulk actions, a case's tasks and the data-system registry.
Data systems' own task API is dsr.fulfilment.router."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from dsr.auth.principal import Principal
from dsr.cases import actions, data_systems, presenters
from dsr.cases.action_schemas import (
    ActionIn,
    BulkIn,
    BulkOut,
    DataSystemCreatedOut,
    DataSystemIn,
    DataSystemOut,
    SqlTestIn,
    SqlTestOut,
    TaskCloseIn,
    TaskOut,
)
from dsr.cases.bulk import run_bulk
from dsr.cases.data_system_models import CaseTask, DataSystem
from dsr.cases.deps import CaseDep
from dsr.cases.schemas import CaseOut
from dsr.db.types import utcnow
from dsr.deps import AnyStaff, Handler, SessionDep, SettingsDep, require_role
from dsr.domain.workflow import Role

router = APIRouter(prefix="/api/v1", tags=["case work (staff)"])
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
CaseWorker = Annotated[Principal, Depends(require_role(Role.HANDLER, Role.REVIEWER))]


@router.post("/cases/{case_id}/actions", response_model=CaseOut)
async def case_action(
    case_id: uuid.UUID,
    body: ActionIn,
    principal: CaseWorker,
    session: SessionDep,
    settings: SettingsDep,
) -> CaseOut:
    """Run one action of the case state machine (docs/architecture.md). 403 for a missing role, 409 when
    the action is not allowed now (the message says why), 422 for a missing field."""
    case = await actions.run(
        session,
        settings=settings,
        case_id=case_id,
        action=body.action,
        params=body.params(),
        principal=principal,
        now=utcnow(),
        expected_version=body.expected_version,
    )
    await session.flush()
    return await presenters.case_out_for(session, case)


@router.post("/cases/bulk", response_model=BulkOut)
async def bulk_action(
    body: BulkIn, principal: CaseWorker, session: SessionDep, settings: SettingsDep
) -> BulkOut:
    """Assign or deny many cases; each case succeeds or fails on its own (per-item results)."""
    return await run_bulk(session, settings, body, principal, utcnow())


def _task_out(task: CaseTask, system_name: str) -> TaskOut:
    return TaskOut(
        id=task.id,
        system=system_name,
        status=task.status,
        note=task.note,
        closed_by=task.closed_by,
        last_error=task.last_error,
    )


@router.get("/cases/{case_id}/tasks", response_model=list[TaskOut])
async def case_tasks(_principal: AnyStaff, session: SessionDep, case: CaseDep) -> list[TaskOut]:
    return [_task_out(t, s.name) for t, s in await data_systems.tasks_for(session, case.id)]


@router.post("/cases/{case_id}/tasks/{task_id}", response_model=TaskOut)
async def close_task_as_staff(
    task_id: uuid.UUID,
    body: TaskCloseIn,
    principal: Handler,
    session: SessionDep,
    case: CaseDep,
) -> TaskOut:
    """Staff mark a task done or waive it: handlers' work (reviewers decide appeals, not tasks).
    Data systems close their own tasks with their token at /api/v1/tasks/{id}/complete
    (dsr.fulfilment.router)."""
    task, system = await data_systems.close_task(
        session,
        case,
        task_id,
        status=body.status,
        note=body.reason,
        actor_kind="staff",
        actor_id=str(principal.user_id),
        now=utcnow(),
    )
    await session.flush()
    return _task_out(task, system.name if system else "")


@router.get("/data-systems", response_model=list[DataSystemOut], tags=["data systems"])
async def list_data_systems(_principal: AnyStaff, session: SessionDep) -> list[DataSystemOut]:
    return [
        DataSystemOut.model_validate(s, from_attributes=True)
        for s in await data_systems.list_systems(session)
    ]


@router.post(
    "/data-systems",
    response_model=DataSystemCreatedOut,
    status_code=status.HTTP_201_CREATED,
    tags=["data systems"],
)
async def create_data_system(
    body: DataSystemIn, _principal: Admin, session: SessionDep, settings: SettingsDep
) -> DataSystemCreatedOut:
    """Register a data system. A webhook system's `signing_secret` is in this answer only."""
    saved = await data_systems.create_system(session, settings=settings, data=body)
    return _created(saved.system, saved.secret, saved.warnings)


@router.put("/data-systems/{system_id}", response_model=DataSystemCreatedOut, tags=["data systems"])
async def update_data_system(
    system_id: uuid.UUID,
    body: DataSystemIn,
    _principal: Admin,
    session: SessionDep,
    settings: SettingsDep,
) -> DataSystemCreatedOut:
    saved = await data_systems.update_system(
        session, settings=settings, system_id=system_id, data=body
    )
    return _created(saved.system, saved.secret, saved.warnings)


@router.post(
    "/data-systems/{system_id}/rotate-secret",
    response_model=DataSystemCreatedOut,
    tags=["data systems"],
)
async def rotate_signing_secret(
    system_id: uuid.UUID, _principal: Admin, session: SessionDep, settings: SettingsDep
) -> DataSystemCreatedOut:
    """A new signing secret for a webhook system, shown once; the old one stops at once."""
    secret = await data_systems.rotate_secret(session, settings=settings, system_id=system_id)
    system = await data_systems.get_system(session, system_id)
    return _created(system, secret)


def _created(
    system: DataSystem, secret: str | None, warnings: list[str] | None = None
) -> DataSystemCreatedOut:
    out = DataSystemOut.model_validate(system, from_attributes=True)
    return DataSystemCreatedOut(**out.model_dump(), signing_secret=secret, warnings=warnings or [])


@router.post("/data-systems/{system_id}/test", response_model=SqlTestOut, tags=["data systems"])
async def dry_run_data_system(
    system_id: uuid.UUID,
    body: SqlTestIn,
    _principal: Admin,
    session: SessionDep,
    settings: SettingsDep,
) -> SqlTestOut:
    """A dry run of an sql system: the rows each table would give (access) or lose (deletion)
    for this subject, changing nothing."""
    return SqlTestOut.model_validate(
        await data_systems.test_sql_system(
            session,
            settings=settings,
            system_id=system_id,
            email=body.email,
            account_id=body.account_id,
        )
    )


@router.post(
    "/data-systems/{system_id}/deactivate", response_model=DataSystemOut, tags=["data systems"]
)
async def deactivate_data_system(
    system_id: uuid.UUID, _principal: Admin, session: SessionDep
) -> DataSystemOut:
    system = await data_systems.set_system_active(session, system_id, False)
    return DataSystemOut.model_validate(system, from_attributes=True)
