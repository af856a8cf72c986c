"""Case pages: the detail page, its action forms and task forms. A refused action re-renders the
page with the reason in plain words and the matching status (403, 409, 422); nothing changes."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth.principal import Principal
from dsr.cases import access_log, actions, data_systems, repository
from dsr.cases.action_schemas import ActionIn
from dsr.cases.models import Case
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.domain.vocabulary import TaskStatus
from dsr.errors import CASE_NOT_FOUND, DsrError, InvalidInput, NotFound
from dsr.fulfilment import manual
from dsr.middleware import allow_large_body
from dsr.settings import Settings
from dsr.web.console import check_step, labels
from dsr.web.console.action_forms import ActionForm, refusal, run_form_action
from dsr.web.console.case_view import case_context
from dsr.web.console.render import flash, page
from dsr.web.console.session import (
    ConsoleUser,
    FormUser,
    can_audit,
    can_handle,
    can_work_cases,
    csrf_of,
    require,
)
from dsr.web.forms import FormModel
from dsr.web.task_page import read_results, upload_problem

router = APIRouter()

_PARAMS = ("assignee", "reason", "reason_code", "explanation", "text")


class TaskForm(FormModel):
    status: str = ""  # done, not_found, retained or waived
    records_affected: str = ""
    reason: str = ""  # the exception (retained) or the reason (waived)

    def count(self) -> int | None:
        """Records affected: empty, or a whole number (the page says so otherwise)."""
        text = self.records_affected.strip()
        if not text:
            return None
        if not text.isdigit() or len(text) > 13:
            raise InvalidInput("records affected: enter a whole number, or leave it empty")
        return int(text)


async def _load(session: AsyncSession, case_id: uuid.UUID) -> Case:
    case = await repository.get(session, case_id)
    if case is None:
        raise NotFound("There is no case with that id.", code=CASE_NOT_FOUND)
    return case


async def case_page(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    case_id: uuid.UUID,
    *,
    error: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    case = await _load(session, case_id)
    if error is not None:
        await session.refresh(case)  # what is stored now, not what the refused action tried
    now = utcnow()
    context = await case_context(session, settings, case, principal, now)
    await access_log.record(
        session, principal=principal, case_ids=[case.id], kind="console_case", now=now
    )
    extra = {"error": error, "can_audit": can_audit(principal)}
    return page(request, "case.html", {**context, **extra}, principal, status=status)


@router.get("/cases/{case_id}/access-log", response_class=HTMLResponse)
async def case_access_log(
    case_id: uuid.UUID, request: Request, principal: ConsoleUser, session: SessionDep
) -> HTMLResponse:
    """The case's access log tab: admins and auditors."""
    require(can_audit(principal), "see who viewed a case")
    case = await _load(session, case_id)
    entries = await access_log.for_case(session, case_id=case.id)
    context = {"case": case, "entries": entries, "kinds": access_log.VIEW_KINDS}
    return page(request, "case_access.html", context, principal)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
async def case_detail(
    case_id: uuid.UUID,
    request: Request,
    principal: ConsoleUser,
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    return await case_page(request, session, settings, principal, case_id)


@router.post("/cases/{case_id}/actions", response_class=HTMLResponse)
async def case_action(
    case_id: uuid.UUID,
    request: Request,
    principal: FormUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[ActionForm, Form()],
) -> Response:
    require(can_work_cases(principal), "change cases")
    action = form.action
    # A decision that e-mails the requester is first rehearsed and shown (check_step).
    checking = action in check_step.CASE_ACTIONS and form.confirm != "yes"

    async def run(body: ActionIn, expected: int) -> None:
        async def act() -> None:
            await actions.run(
                session,
                settings=settings,
                case_id=case_id,
                action=action,
                params=body.params(),
                principal=principal,
                now=utcnow(),
                expected_version=expected,
            )

        if checking:
            await check_step.rehearse(session, settings, case_id, act)
        await act()

    explain = check_step.changed_since_check("case") if form.confirm == "yes" else _no_words
    try:
        error = await run_form_action(
            session, form, _PARAMS, ActionIn, run, noun="case", explain=explain
        )
    except check_step.Rehearsed as rehearsed:
        return await _check_case(request, session, principal, case_id, form, rehearsed.outgoing)
    if error is not None:
        # The form opens again with what was typed, so nothing needs retyping.
        error["action"] = labels.ACTIONS.get(action, action)
        return await case_page(
            request, session, settings, principal, case_id, error=error, status=error["status"]
        )
    flash(request, labels.DONE.get(action, "Done."))
    return RedirectResponse(f"/console/cases/{case_id}", status_code=303)


def _no_words(_exc: Exception) -> tuple[int, str] | None:
    return None


async def _check_case(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    case_id: uuid.UUID,
    form: ActionForm,
    outgoing: list[check_step.Outgoing],
) -> HTMLResponse:
    case = await _load(session, case_id)
    await session.refresh(case)  # the rehearsal was rolled back
    doing = check_step.CASE_DOING[form.action][0]
    typed = {k: str(v) for k, v in form.model_dump().items()}
    people = check_step.people(outgoing)
    return check_step.check_page(
        request,
        principal,
        summary=f"You are about to {doing} ({case.reference}) and e-mail {people}.",
        groups=[
            {"title": f"Case {case.reference}", "reference": case.reference, "outgoing": outgoing}
        ],
        fields=check_step.hidden_fields(typed, ("action", "expected_version", *_PARAMS)),
        post_to=f"/console/cases/{case_id}/actions",
        button=f"Confirm: {labels.ACTIONS[form.action].lower()} and e-mail {people}",
        cancel=f"/console/cases/{case_id}",
        danger=form.action == "deny",
        package_follows=case.type == "access" and form.action in ("fulfil", "partially_fulfil"),
    )


@router.post("/cases/{case_id}/tasks/{task_id}", response_class=HTMLResponse)
async def close_task(
    case_id: uuid.UUID,
    task_id: uuid.UUID,
    request: Request,
    principal: FormUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[TaskForm, Form()],
) -> Response:
    """Close a data-system task as the owner would (done, not found, retained with the
    exception), or waive it with a reason."""
    require(can_handle(principal), "close data-system tasks")
    status = form.status
    reason = form.reason.strip()[:10_000] or None
    try:
        async with session.begin_nested():
            case = await _load(session, case_id)
            await data_systems.close_task(
                session,
                case,
                task_id,
                status=status,
                note=reason,
                records_affected=form.count(),
                actor_kind="staff",
                actor_id=str(principal.user_id),
                now=utcnow(),
            )
    except (DsrError, StaleDataError, IntegrityError) as exc:
        if isinstance(exc, NotFound) and exc.code == CASE_NOT_FOUND:
            raise
        code, message = refusal(exc, "case")
        error = {"status": code, "message": message, "action": "Close task"}
        return await case_page(
            request, session, settings, principal, case_id, error=error, status=code
        )
    flash(request, TASK_CLOSED.get(status, "The task was closed."))
    return RedirectResponse(f"/console/cases/{case_id}", status_code=303)


TASK_CLOSED: dict[str, str] = {
    TaskStatus.DONE: "The task was marked done.",
    TaskStatus.NOT_FOUND: "The task was closed: nothing found.",
    TaskStatus.RETAINED: "The task was closed: data retained under the exception you named.",
    TaskStatus.WAIVED: "The task was waived.",
}


@router.post("/tasks/{task_id}/results", response_class=HTMLResponse)
async def send_results(
    task_id: uuid.UUID,
    request: Request,
    principal: ConsoleUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Results a handler sends for a system (what its owner e-mailed them, for instance): the
    same storing as the owner's task page. The form is read only once the session's user may
    send results: then it may be as large as a task's results (dsr/middleware.py)."""
    require(can_handle(principal), "send task results")
    allow_large_body(request)
    await csrf_of(request).validate_form(request)
    form = await read_results(request)
    task = await data_systems.get_task(session, task_id)
    try:
        async with session.begin_nested():
            stored = await manual.add_results(
                session,
                settings=settings,
                task=task,
                pasted=form.pasted,
                uploads=form.uploads,
            )
    except DsrError as exc:
        problem = next(iter(upload_problem(exc).values()))
        if exc.status_code == 409:
            problem = exc.message[:1].upper() + exc.message[1:] + "."
        error = {"status": exc.status_code, "message": problem, "action": "Send results"}
        return await case_page(
            request, session, settings, principal, task.case_id, error=error, status=exc.status_code
        )
    flash(request, f"{len(stored)} result{'s' if len(stored) > 1 else ''} stored.")
    return RedirectResponse(f"/console/cases/{task.case_id}", status_code=303)
