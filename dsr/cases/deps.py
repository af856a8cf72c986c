"""Dependencies that load what a path names, or answer 404: routers receive the row instead of
checking for None themselves. Declare them after the caller's principal, so an unauthenticated
or unauthorised caller learns nothing about which ids exist."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from dsr.cases import repository
from dsr.cases.data_system_models import CaseTask
from dsr.cases.models import Case
from dsr.deps import SessionDep
from dsr.errors import CASE_NOT_FOUND, TASK_NOT_FOUND, NotFound

NO_CASE = "no case with that id"
NO_TASK = "no task with that id"


async def load_case(case_id: uuid.UUID, session: SessionDep) -> Case:
    case = await repository.get(session, case_id)
    if case is None:
        raise NotFound(NO_CASE, code=CASE_NOT_FOUND)
    return case


async def load_task(task_id: uuid.UUID, session: SessionDep) -> tuple[CaseTask, Case]:
    found = await repository.task_with_case(session, task_id)
    if found is None:
        raise NotFound(NO_TASK, code=TASK_NOT_FOUND)
    return found


CaseDep = Annotated[Case, Depends(load_case)]
TaskDep = Annotated[tuple[CaseTask, Case], Depends(load_task)]
