"""The queue: cases sorted by the deadline in force, filters in the query string (codes and ids
only, never personal data), keyset pages, bulk assign and deny, and search by e-mail (a POST, so
the address never reaches a URL or an access log)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth import repository as auth_repo
from dsr.auth.principal import Principal
from dsr.auth.roles import Role
from dsr.cases import access_log, presenters, repository
from dsr.cases.action_schemas import BulkIn
from dsr.cases.bulk import run_bulk
from dsr.cases.deadlines import policies
from dsr.cases.models import Case
from dsr.cases.schemas import CaseSummary
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.domain.due import Due, case_due
from dsr.domain.vocabulary import ACTIVE_STATUSES, CaseStatus, RequestType
from dsr.errors import InvalidInput
from dsr.queues import CaseQuery, parse_assignee
from dsr.settings import Settings
from dsr.web.console import bulk_check
from dsr.web.console.links import QueryLinks
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
PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueQuery(QueryLinks):
    """The queue's filters as they travel in the URL."""

    status: str = ""  # "" = open work, "all", or one status
    type: str = ""
    jurisdiction: str = ""
    assignee: str = ""  # "", "me", "none" or a staff user id
    due_before: str = ""
    cursor: str = ""

    @classmethod
    def parse(cls, params: Mapping[str, str], codes: set[str]) -> tuple[QueueQuery, list[str]]:
        """Unknown values are dropped with a message, so a bad link still shows a queue."""
        errors: list[str] = []
        values = {f.name: str(params.get(f.name, "")).strip()[:200] for f in fields(cls)}
        if values["status"] not in ("", "all", *CaseStatus):
            errors.append("Unknown status filter; showing open work.")
            values["status"] = ""
        if values["type"] and values["type"] not in frozenset(RequestType):
            errors.append("Unknown request type filter; showing all types.")
            values["type"] = ""
        values["jurisdiction"] = values["jurisdiction"].upper()
        if values["jurisdiction"] and values["jurisdiction"] not in codes:
            errors.append("Unknown jurisdiction filter; showing all jurisdictions.")
            values["jurisdiction"] = ""
        try:
            parse_assignee(values["assignee"])
        except ValueError:
            errors.append("Unknown assignee filter; showing everyone's cases.")
            values["assignee"] = ""
        if values["due_before"]:
            try:
                date.fromisoformat(values["due_before"])
            except ValueError:
                errors.append("The 'due before' date is not a date; it was ignored.")
                values["due_before"] = ""
        return cls(**values), errors

    def case_query(self) -> CaseQuery:
        """The shared query model (dsr.queues), as the JSON API builds it; parse() has made
        every value valid. No status means open work, "all" every status."""
        statuses: tuple[CaseStatus, ...] = tuple(sorted(ACTIVE_STATUSES))
        if self.status == "all":
            statuses = ()
        elif self.status:
            statuses = (CaseStatus(self.status),)
        return CaseQuery(
            statuses=statuses,
            types=(RequestType(self.type),) if self.type else (),
            jurisdictions=(self.jurisdiction,) if self.jurisdiction else (),
            assignee=parse_assignee(self.assignee),
            due_before=date.fromisoformat(self.due_before) if self.due_before else None,
            cursor=self.cursor or None,
            limit=PAGE_SIZE,
        )


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
    f = q.case_query().case_filter(principal.user_id)
    try:
        rows, next_cursor = await repository.page(session, f, PAGE_SIZE, q.cursor or None)
    except InvalidInput:
        errors.append("That page link is not valid; showing the first page.")
        q = replace(q, cursor="")
        rows, next_cursor = await repository.page(session, f, PAGE_SIZE, None)
    items, dues = await summaries(session, settings, rows)
    context = {
        "nav": "queue",
        "q": q,
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


class SearchForm(FormModel):
    email: str = ""


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
            "detail": r.detail,
            "new_status": r.new_status,
        }
        for r in out.results
    ]
    extra = {
        "bulk_results": results,
        "bulk_summary": {"action": action, "succeeded": out.succeeded, "failed": out.failed},
    }
    return await queue_page(request, session, settings, principal, extra)


@router.post("/search", response_class=HTMLResponse)
async def search(
    request: Request,
    principal: FormUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[SearchForm, Form()],
) -> HTMLResponse:
    email = form.email.strip()[:254]
    error = None
    items: list[CaseSummary] = []
    dues: dict[uuid.UUID, Due] = {}
    if "@" not in email:
        error = "Enter the requester's full e-mail address, like name@example.org."
    else:
        found = await repository.by_email(session, email)
        items, dues = await summaries(session, settings, found)
        # Which cases a person has is personal data: each case found is in its access log.
        await access_log.record(
            session, principal=principal, case_ids=[c.id for c in found],
            kind="console_search", now=utcnow(),
        )  # fmt: skip
    return page(
        request,
        "search.html",
        {
            "nav": "queue",
            "email": email,
            "error": error,
            "items": items,
            "dues": dues,
            "searched": error is None,
        },
        principal,
        status=422 if error else 200,
    )
