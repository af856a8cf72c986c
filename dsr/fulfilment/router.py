"""The task API for data systems (docs/design §4.1; README, "Pull systems and the task API").

Every route needs a data system's own token (`dsr tokens create --scope tasks:write
--data-system NAME`) and reaches that system's tasks only: another system's task is 403, and so
is any token not bound to a system, staff included (staff work tasks on the case, under
/api/v1/cases/{id}/tasks)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, status
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from dsr.auth.principal import Principal
from dsr.bodies import read_body
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep, SystemPrincipal
from dsr.domain.vocabulary import TaskStatus
from dsr.errors import InvalidInput, UnsupportedMediaType
from dsr.fulfilment import tasks
from dsr.fulfilment.results import JSON, media_type
from dsr.fulfilment.schemas import (
    SystemTaskOut,
    TaskCompleteIn,
    TaskPage,
    TaskResultOut,
    TaskResultsOut,
)
from dsr.middleware import allow_large_body

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks (data systems)"])
MULTIPART = "multipart/form-data"
MAX_FILE_PARTS = 100

_RESULTS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            JSON: {"schema": {"description": "any JSON value: what the system found"}},
            MULTIPART: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "array", "items": {"type": "string", "format": "binary"}}
                    },
                    "required": ["file"],
                }
            },
        },
    }
}


async def _own_task(
    task_id: uuid.UUID, principal: SystemPrincipal, session: SessionDep
) -> tasks.SystemTask:
    assert principal.data_system_id is not None  # require_system checked it
    return await tasks.own_task(session, system_id=principal.data_system_id, task_id=task_id)


OwnTask = Annotated[tasks.SystemTask, Depends(_own_task)]


@router.get("", response_model=TaskPage)
async def list_tasks(
    principal: SystemPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    status_: Annotated[TaskStatus | None, Query(alias="status")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = tasks.PAGE_SIZE,
) -> TaskPage:
    """This system's tasks, oldest first; pass `next_cursor` back as `cursor` for the next page."""
    assert principal.data_system_id is not None
    return await tasks.task_page(
        session,
        settings=settings,
        system_id=principal.data_system_id,
        status=status_,
        cursor=cursor,
        limit=limit,
    )


@router.get("/{task_id}", response_model=SystemTaskOut)
async def get_task(found: OwnTask, settings: SettingsDep) -> SystemTaskOut:
    from dsr.fulfilment.presenters import system_task

    return system_task(found.task, found.system, found.case, settings.base_url)


@router.post(
    "/{task_id}/results",
    response_model=TaskResultsOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_RESULTS_BODY,
    responses={409: {}, 413: {}, 415: {}, 422: {}},
)
async def post_results(
    request: Request, found: OwnTask, session: SessionDep, settings: SettingsDep
) -> TaskResultsOut:
    """What the system found: one JSON value (`application/json`), or files
    (`multipart/form-data`, parts named `file`: JSON, CSV, plain text, PDF, PNG, JPEG).
    Repeatable while the task is open; all of one request is stored, or none of it."""
    allow_large_body(request)  # the system's token and its task were checked (OwnTask)
    values, files = await _read_results(request)
    stored = await tasks.add_results(
        session, settings=settings, task=found.task, values=values, files=files
    )
    return TaskResultsOut(
        results=[TaskResultOut.model_validate(r, from_attributes=True) for r in stored]
    )


@router.post("/{task_id}/complete", response_model=SystemTaskOut, responses={409: {}})
async def complete_task(
    body: TaskCompleteIn,
    found: OwnTask,
    principal: SystemPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> SystemTaskOut:
    """Close the task: `done`, `not_found`, or `retained` with the exception in `note`."""
    return await tasks.complete(
        session,
        settings=settings,
        found=found,
        body=body,
        actor=_actor(principal),
        now=utcnow(),
    )


def _actor(principal: Principal) -> str:
    return principal.token_name or "service"


async def _read_results(request: Request) -> tuple[list[Any], list[tasks.Upload]]:
    """Parse the body by its type: 415 for any type but JSON and multipart, 422 if malformed."""
    kind = media_type(request.headers.get("content-type"))
    if kind == JSON:
        raw = await read_body(request)
        try:
            # orjson parses the bytes as they are (UTF-8 checked): no decoded copy of the body.
            return [orjson.loads(raw)], []
        except orjson.JSONDecodeError:
            raise InvalidInput("body: not valid JSON (UTF-8)") from None
    if kind != MULTIPART:
        raise UnsupportedMediaType(f"the body must be {JSON} or {MULTIPART}")
    try:
        form = await request.form(max_files=MAX_FILE_PARTS, max_fields=MAX_FILE_PARTS)
    except HTTPException:
        raise InvalidInput("body: not a valid multipart/form-data body") from None
    uploads = []
    try:
        for name, part in form.multi_items():
            if name != "file" or not isinstance(part, UploadFile):
                raise InvalidInput("file: send files in parts named file, and nothing else")
            uploads.append(
                tasks.Upload(
                    filename=part.filename or "",
                    content_type=part.content_type or "",
                    data=await part.read(),
                )
            )
    finally:
        await form.close()
    return [], uploads
