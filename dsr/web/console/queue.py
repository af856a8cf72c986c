"""The queue: cases sorted by the deadline in force, filters in the query string (codes and ids
only, never personal data), keyset pages, bulk assign and deny, and search by e-mail (a POST, so
the address never reaches a URL or an access log)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth import repository as auth_repo
from dsr.auth.principal import Principal
from dsr.auth.roles import Role
from dsr.cases import presenters, repository, sorting
from dsr.cases.action_schemas import BulkIn
from dsr.cases.bulk import run_bulk
from dsr.cases.deadlines import policies
from dsr.cases.models import Case
from dsr.cases.overview import overview
from dsr.cases.schemas import CaseSummary
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.domain.due import Due, case_due
from dsr.domain.vocabulary import RequestType
from dsr.errors import InvalidInput
from dsr.notifications import delivery
from dsr.settings import Settings
from dsr.web.console import bulk_check, labels
from dsr.web.console.queue_query import PAGE_SIZE, QueueQuery
from dsr.web.console.render import page
from dsr.web.console.session import (
    ConsoleUser,
    FormUser,
    can_handle,
    can_work_cases,
    require,
)
from dsr.web.forms import FormModel

router = APIRouter()
SORT_LABELS = {
    "": "Deadline, soonest first",
    "received": "Received, newest first",
    "reference": "Reference",
    "status": "Status, then deadline",
}


def jurisdiction_codes(settings: Settings) -> list[str]:
    return sorted(policies(settings))


async def summaries(
    session: AsyncSession, settings: Settings, cases: list[Case]
) -> tuple[list[CaseSummary], dict[uuid.UUID, Due]]:
    """The rows of a list of cases, and how each one's deadline stands today (by case id)."""
    emails = await auth_repo.emails_by_id(session, {c.assignee_id for c in cases if c.assignee_id})
    today = settings.today(utcnow())
    items = [
        presenters.summary(c, today, emails.get(c.assignee_id) if c.assignee_id else None)
        for c in cases
    ]
    return items, {c.id: case_due(c.status, c.respond_by, today) for c in cases}


async def queue_page(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    codes = jurisdiction_codes(settings)
    q, errors = QueueQuery.parse(request.query_params, set(codes))
    today = settings.today(utcnow())
    due_from, due_before = q.deadline_range(today)
    f = replace(
        q.case_query().case_filter(principal.user_id),
        due_from=due_from,
        due_before=due_before,
        delivery_problem=q.delivery == "problem",
    )
    sort = q.sort or "deadline"
    try:
        rows, next_cursor = await sorting.page(session, f, sort, PAGE_SIZE, q.cursor or None)
    except InvalidInput:
        errors.append("That page link is not valid; showing the first page.")
        q = replace(q, cursor="")
        rows, next_cursor = await sorting.page(session, f, sort, PAGE_SIZE, None)
    items, dues = await summaries(session, settings, rows)
    context = {
        "nav": "delivery" if q.delivery else "queue",
        "q": q,
        "overview": await overview(session, today),
        "problem_ids": await delivery.problem_cases_among(session, [c.id for c in rows]),
        "received": {c.id: c.received_date for c in rows},
        "sorts": SORT_LABELS,
        "today": today,
        "filter_errors": errors,
        "items": items,
        "dues": dues,
        "next_query": q.query(cursor=next_cursor) if next_cursor else None,
        "first_query": q.query(cursor="") if q.cursor else None,
        "this_query": q.query(),
        "codes": codes,
        "types": tuple(RequestType),
        "staff": await auth_repo.users_with_role(session, Role.ADMIN, Role.HANDLER),
        # Bulk assign and deny are handler work: the controls are shown to those who may.
        "can_bulk": can_handle(principal),
        **(extra or {}),
    }
    return page(request, "queue.html", context, principal, status=status)


@router.get("", response_class=HTMLResponse)
@router.get("/cases", response_class=HTMLResponse)
async def queue(
    request: Request, principal: ConsoleUser, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    return await queue_page(request, session, settings, principal)


class BulkForm(FormModel):
    action: str = ""  # assign or deny
    case_id: list[str] = []  # one checkbox per row of the table
    assignee: str = ""
    reason_code: str = ""
    explanation: str = ""
    confirm: str = ""  # "yes" from the check step's page (bulk_check)
    version: list[str] = []  # "case id:version" as the check step saw each case


def _bulk_problem(action: str, form: BulkForm, ids: list[str]) -> str | None:
    if not ids:
        return "Select at least one case with the checkboxes in the table."
    if len(ids) > 200:
        return "Select at most 200 cases at a time."
    if action == "assign" and not form.assignee:
        return "Choose who to assign the selected cases to."
    if action == "deny" and not (form.reason_code and form.explanation.strip()):
        return "To deny the selected cases, choose a reason code and write an explanation."
    if action not in ("assign", "deny"):
        return "Choose assign or deny."
    return None


@router.post("/cases/bulk", response_class=HTMLResponse)
async def bulk(
    request: Request,
    principal: FormUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[BulkForm, Form()],
) -> HTMLResponse:
    """Bulk assign or deny: each case succeeds or fails on its own, and the page lists each."""
    require(can_work_cases(principal), "change cases")
    action = form.action
    ids = form.case_id
    problem = _bulk_problem(action, form, ids)
    body = None
    if problem is None:
        data: dict[str, Any] = {"case_ids": ids, "action": action}
        if action == "assign":
            data["assignee"] = form.assignee
        else:
            data["reason_code"] = form.reason_code
            data["explanation"] = form.explanation
        try:
            body = BulkIn.model_validate(data)
        except ValidationError:
            problem = "Some of the values are not valid (an explanation may be too long)."
    if body is None:
        kept = form.model_dump(include={"assignee", "reason_code", "explanation"})
        extra: dict[str, Any] = {
            "bulk_error": problem,
            "bulk_values": {**kept, "case_ids": set(ids)},
            "bulk_action": action,
        }
        return await queue_page(request, session, settings, principal, extra, status=422)
    versions = None
    if action == "deny":  # a denial e-mails each requester: checked first (bulk_check)
        if form.confirm != "yes":
            return await bulk_check.check(request, session, settings, principal, body, utcnow())
        versions, code, problem = await bulk_check.checked_versions(
            session, body.case_ids, form.version
        )
        if problem:
            extra = {"bulk_error": problem, "bulk_action": action}
            return await queue_page(request, session, settings, principal, extra, status=code)
    out = await run_bulk(session, settings, body, principal, utcnow(), versions=versions)
    refs = {}
    for item in out.results:
        case = await repository.get(session, item.case_id)
        refs[item.case_id] = case.reference if case else str(item.case_id)
    results = [
        {
            "case_id": r.case_id,
            "reference": refs[r.case_id],
            "ok": r.ok,
            # In the console's plain words ("… is not possible while the case is withdrawn").
            "detail": labels.refusal(r.error) if r.error is not None else r.detail,
            "new_status": r.new_status,
        }
        for r in out.results
    ]
    extra = {
        "bulk_results": results,
        "bulk_summary": {"action": action, "succeeded": out.succeeded, "failed": out.failed},
    }
    return await queue_page(request, session, settings, principal, extra)
