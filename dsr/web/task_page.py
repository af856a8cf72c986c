"""The owner's task page for manual systems (/tasks/{id}?token=…, the link in the task e-mail):
what is asked, what was sent so far, a form to send JSON or files, and one to close the task as
done, not found or retained with the exception that applies. Opening the link changes nothing;
the forms are POSTs carrying the token (a capability: no CSRF cookie is needed, as on the
requester's pages)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import UploadFile

from dsr.cases.data_systems import close_task
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.domain.vocabulary import TaskStatus
from dsr.errors import DsrError
from dsr.fulfilment import manual, results, task_links
from dsr.fulfilment.presenters import system_task
from dsr.http import client_ip
from dsr.middleware import allow_large_body
from dsr.settings import Settings
from dsr.web.console.labels import TYPE
from dsr.web.forms import FormModel, field_messages
from dsr.web.result_views import views
from dsr.web.templating import templates

router = APIRouter(include_in_schema=False)

TokenParam = Annotated[str, Query(min_length=1, max_length=200)]
OUTCOMES = {
    TaskStatus.DONE: "Done: we did what was asked",
    TaskStatus.NOT_FOUND: "Not found: we hold nothing about this person",
    TaskStatus.RETAINED: "Retained: we keep some data under a legal exception",
}
_FRIENDLY = {
    "outcome": "Choose how the task ended.",
    "records_affected": "Enter a whole number of records, or leave it empty.",
    "note": "Name the exception that applies (for example, a legal hold or a tax law).",
}


@dataclass(frozen=True)
class SentResults:
    """The results form (pasted JSON and files), read by `read_results` after the route has
    checked who sends it: the form may be as large as the task's result limit, which only a
    holder of the task's link or a console user may make the server read (dsr/middleware.py)."""

    token: str
    pasted: str
    uploads: list[manual.Upload]


async def read_results(request: Request) -> SentResults:
    form = await request.form()  # cached: the console's CSRF check may have parsed it already
    try:
        token, pasted = form.get("token"), form.get("pasted")
        return SentResults(
            token=token if isinstance(token, str) else "",
            pasted=pasted if isinstance(pasted, str) else "",
            uploads=await uploads_of(form.getlist("files")),
        )
    finally:
        await form.close()


class CloseForm(FormModel):
    token: str = ""
    outcome: str = ""
    records_affected: str = ""
    note: str = ""

    def body(self) -> dict[str, Any]:
        count = self.records_affected.strip()
        return {
            "outcome": self.outcome,
            "records_affected": count or None,
            "note": self.note.strip() or None,
        }


async def uploads_of(files: Sequence[UploadFile | str]) -> list[manual.Upload]:
    """The files chosen, without the empty part a browser sends when none is (which may arrive
    as a string)."""
    out = []
    for f in files:
        if isinstance(f, str):
            continue
        data = await f.read()
        if f.filename or data:
            out.append(manual.Upload(f.filename or "", f.content_type or "", data))
    return out


def upload_problem(exc: DsrError) -> dict[str, str]:
    """The field a refused upload is shown beside, by the error's code."""
    message = exc.message.removeprefix("file: ").removeprefix("json: ")
    message = message[:1].upper() + message[1:] + "."
    if exc.code == manual.INVALID_JSON:
        return {"pasted": "This is not valid JSON: check the brackets, quotes and commas."}
    if exc.code == manual.NOTHING_SENT:
        return {"pasted": "Paste JSON or choose a file to send."}
    return {"files": message}


async def _page(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    linked: task_links.LinkedTask,
    token: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    task, case, system = linked.task, linked.case, linked.system
    found = (await results.results_for_tasks(session, [task.id]))[task.id]
    response = templates.TemplateResponse(
        request,
        "public/task.html",
        {
            "task": task,
            "case": case,
            "system": system,
            "asked": system_task(task, system, case, settings.base_url),
            "type_label": TYPE.get(case.type, case.type),
            "results": views(settings, found),
            "outcomes": OUTCOMES,
            "token": token,
            "errors": errors or {},
            "values": values or {},
            "max_mb": settings.max_result_bytes // (1024 * 1024),
        },
        status_code=status,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
async def task_page(
    request: Request,
    task_id: uuid.UUID,
    token: TokenParam,
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    linked = await task_links.open_task(session, task_id=task_id, token=token, now=utcnow())
    return await _page(request, session, settings, linked, token)


@router.post("/tasks/{task_id}/results", response_class=HTMLResponse)
async def send_results(
    request: Request,
    task_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Response:
    """The page's form sends the link's token in its URL too, so it is checked before the body
    is read and only then may the body be as large as the task's results. A form that carries
    the token in its body alone is held to the public limit."""
    await request.app.state.rate_limiter.check_ip(client_ip(request))
    if token is not None:
        linked = await task_links.open_task(session, task_id=task_id, token=token, now=utcnow())
        allow_large_body(request)
        form = await read_results(request)
    else:
        form = await read_results(request)
        token = form.token
        linked = await task_links.open_task(session, task_id=task_id, token=token, now=utcnow())
    try:
        async with session.begin_nested():
            stored = await manual.add_results(
                session,
                settings=settings,
                task=linked.task,
                pasted=form.pasted,
                uploads=form.uploads,
            )
    except DsrError as exc:
        errors = upload_problem(exc) if exc.status_code != 409 else {"task": exc.message}
        values = {"pasted": form.pasted}
        return await _page(
            request,
            session,
            settings,
            linked,
            token,
            errors=errors,
            values=values,
            status=exc.status_code,
        )
    sent = f"{len(stored)} result{'s' if len(stored) > 1 else ''} received."
    return await _page(request, session, settings, linked, token, values={"sent": sent})


@router.post("/tasks/{task_id}/complete", response_class=HTMLResponse)
async def complete(
    request: Request,
    task_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[CloseForm, Form()],
) -> Response:
    await request.app.state.rate_limiter.check_ip(client_ip(request))
    linked = await task_links.open_task(session, task_id=task_id, token=form.token, now=utcnow())
    try:
        body = manual.TaskCloseFormIn.model_validate(form.body())
        async with session.begin_nested():
            await close_task(
                session,
                linked.case,
                linked.task.id,
                status=body.outcome,
                note=body.note,
                records_affected=body.records_affected,
                actor_kind="system",
                actor_id=f"owner of {linked.system.name}",
                now=utcnow(),
            )
    except (ValidationError, DsrError) as exc:
        if isinstance(exc, ValidationError):
            fields = manual.TaskCloseFormIn.model_fields
            errors, status = field_messages(exc, fields, _FRIENDLY, fallback="note"), 422
        else:
            message = exc.message[:1].upper() + exc.message[1:] + "."
            errors, status = {"task": message}, exc.status_code
        values = form.model_dump()
        return await _page(
            request,
            session,
            settings,
            linked,
            form.token,
            errors=errors,
            values=values,
            status=status,
        )
    await session.refresh(linked.task)
    return await _page(request, session, settings, linked, form.token)
