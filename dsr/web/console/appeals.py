"""Appeals in the console (issue 4): the queue sorted by the appeal deadline, the appeal page
beside the case it contests, and the reviewers' action forms. Actions go through the appeals
service, as POST /api/v1/appeals/{id}/actions does; a refusal re-renders the page with the reason
in plain words and the matching status (403, 409, 422), and nothing changes. URLs carry ids and
codes only."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.appeals import presenters, repository, service
from dsr.appeals.schemas import AppealActionIn
from dsr.auth import repository as auth_repo
from dsr.auth.principal import Principal
from dsr.auth.roles import Role
from dsr.cases import access_log
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.domain.due import appeal_due
from dsr.domain.errors import OriginalDecider, WorkflowError
from dsr.domain.vocabulary import OPEN_APPEAL_STATUSES, AppealStatus
from dsr.errors import InvalidInput
from dsr.queues import AppealQuery as ShownAppeals
from dsr.queues import parse_assignee
from dsr.settings import Settings
from dsr.web.console import check_step, labels
from dsr.web.console.action_forms import ActionForm, run_form_action
from dsr.web.console.appeal_view import appeal_page_context, can_review
from dsr.web.console.links import QueryLinks
from dsr.web.console.render import flash, page
from dsr.web.console.session import ConsoleUser, FormUser, require

router = APIRouter()
PAGE_SIZE = 50

ORIGINAL_DECIDER = (
    "You made the original decision on this case, so you may not decide its appeal. "
    "Assign it to another reviewer."
)
_PARAMS = ("assignee", "explanation", "reason")


@dataclass(frozen=True)
class AppealQuery(QueryLinks):
    """The appeals queue's filters as they travel in the URL (codes and ids only)."""

    status: str = ""  # "" = open appeals, "all", or one appeal status
    assignee: str = ""  # "", "me", "none" or a staff user id
    cursor: str = ""

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> tuple[AppealQuery, list[str]]:
        """Unknown values are dropped with a message, so a bad link still shows a queue."""
        errors: list[str] = []
        values = {f.name: str(params.get(f.name, "")).strip()[:200] for f in fields(cls)}
        if values["status"] not in ("", "all", *AppealStatus):
            errors.append("Unknown status filter; showing open appeals.")
            values["status"] = ""
        try:
            parse_assignee(values["assignee"])
        except ValueError:
            errors.append("Unknown assignee filter; showing everyone's appeals.")
            values["assignee"] = ""
        return cls(**values), errors

    def appeal_query(self) -> ShownAppeals:
        """The shared query model (dsr.queues), as the JSON API builds it; parse() has made
        every value valid. No status means the open appeals, "all" every status."""
        statuses: tuple[AppealStatus, ...] = tuple(sorted(OPEN_APPEAL_STATUSES))
        if self.status == "all":
            statuses = ()
        elif self.status:
            statuses = (AppealStatus(self.status),)
        return ShownAppeals(
            statuses=statuses,
            assignee=parse_assignee(self.assignee),
            cursor=self.cursor or None,
            limit=PAGE_SIZE,
        )


async def _rows(
    session: AsyncSession, settings: Settings, q: AppealQuery, principal: Principal
) -> tuple[list[dict[str, Any]], str | None, list[str]]:
    errors: list[str] = []
    shown = q.appeal_query()
    page = functools.partial(
        repository.page,
        session,
        statuses=shown.statuses,
        assignee_id=shown.assignee_id(principal.user_id),
        unassigned=shown.unassigned,
        limit=shown.limit,
    )
    try:
        rows, next_cursor = await page(cursor=shown.cursor)
    except InvalidInput:
        errors.append("That page link is not valid; showing the first page.")
        rows, next_cursor = await page(cursor=None)
    emails = await auth_repo.emails_by_id(
        session, {a.assignee_id for a, _ in rows if a.assignee_id}
    )
    today = settings.today(utcnow())
    items = [
        {
            "summary": presenters.summary(
                a, c, today, emails.get(a.assignee_id) if a.assignee_id else None
            ),
            "due": appeal_due(a.status, a.respond_by, today),
            "type": c.type,
            "received": a.received_date,
            "statutory": a.statutory,
            "extended": a.extended,
        }
        for a, c in rows
    ]
    return items, next_cursor, errors


@router.get("/appeals", response_class=HTMLResponse)
async def appeals_queue(
    request: Request, principal: ConsoleUser, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    q, errors = AppealQuery.parse(request.query_params)
    items, next_cursor, more_errors = await _rows(session, settings, q, principal)
    if more_errors:
        q = replace(q, cursor="")
    context = {
        "nav": "appeals",
        "q": q,
        "filter_errors": errors + more_errors,
        "items": items,
        "next_query": q.query(cursor=next_cursor) if next_cursor else None,
        "first_query": q.query(cursor="") if q.cursor else None,
        "reviewers": await auth_repo.users_with_role(session, Role.ADMIN, Role.REVIEWER),
    }
    return page(request, "appeals.html", context, principal)


async def appeal_page(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    appeal_id: uuid.UUID,
    *,
    error: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    appeal, case = await service.load(session, appeal_id)
    if error is not None:  # what is stored now, not what the refused action tried
        await session.refresh(appeal)
        await session.refresh(case)
    now = utcnow()
    context = await appeal_page_context(session, settings, appeal, case, principal, now)
    await access_log.record(
        session, principal=principal, case_ids=[case.id], kind="console_appeal", now=now
    )
    return page(request, "appeal.html", {**context, "error": error}, principal, status=status)


@router.get("/appeals/{appeal_id}", response_class=HTMLResponse)
async def appeal_detail(
    appeal_id: uuid.UUID,
    request: Request,
    principal: ConsoleUser,
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    return await appeal_page(request, session, settings, principal, appeal_id)


def _explain(exc: Exception) -> tuple[int, str] | None:
    """Words the refusal the original decider meets better than the domain's message."""
    if isinstance(exc, WorkflowError) and exc.code == OriginalDecider.code:
        return 403, ORIGINAL_DECIDER
    return None


async def _check_appeal(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    appeal_id: uuid.UUID,
    form: ActionForm,
    rehearsed: check_step.Rehearsed,
) -> HTMLResponse:
    appeal, case = await service.load(session, appeal_id)
    await session.refresh(appeal)  # the rehearsal was rolled back
    await session.refresh(case)
    people = check_step.people(rehearsed.outgoing)
    doing = check_step.APPEAL_DOING[form.action]
    typed = {k: str(v) for k, v in form.model_dump().items()}
    return check_step.check_page(
        request,
        principal,
        summary=f"You are about to {doing} on case {case.reference} and e-mail {people}.",
        groups=[
            {
                "title": f"Appeal on case {case.reference}",
                "reference": case.reference,
                "outgoing": rehearsed.outgoing,
            }
        ],
        fields=check_step.hidden_fields(typed, ("action", "expected_version", *_PARAMS)),
        post_to=f"/console/appeals/{appeal_id}/actions",
        button=f"Confirm: {labels.APPEAL_ACTIONS[form.action].lower()} and e-mail {people}",
        cancel=f"/console/appeals/{appeal_id}",
        danger=form.action == "uphold",
        nav="appeals",
    )


@router.post("/appeals/{appeal_id}/actions", response_class=HTMLResponse)
async def appeal_action(
    appeal_id: uuid.UUID,
    request: Request,
    principal: FormUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[ActionForm, Form()],
) -> Response:
    require(can_review(principal), "assign or decide appeals")
    # An unknown appeal is a 404 before anything else.
    _, case = await service.load(session, appeal_id)
    case_id = case.id
    action = form.action
    # A decision that e-mails the requester is first rehearsed and shown (check_step).
    checking = action in check_step.APPEAL_ACTIONS and form.confirm != "yes"

    async def run(body: AppealActionIn, expected: int) -> None:
        async def act() -> None:
            await service.run(
                session,
                settings=settings,
                appeal_id=appeal_id,
                action=body.action,
                params=body.params(),
                principal=principal,
                now=utcnow(),
                expected_version=expected,
            )

        if checking:
            await check_step.rehearse(session, settings, case_id, act)
        await act()

    stale = check_step.changed_since_check("appeal")

    def explain(exc: Exception) -> tuple[int, str] | None:
        return _explain(exc) or (stale(exc) if form.confirm == "yes" else None)

    try:
        error = await run_form_action(
            session, form, _PARAMS, AppealActionIn, run, noun="appeal", explain=explain
        )
    except check_step.Rehearsed as rehearsed:
        return await _check_appeal(request, session, principal, appeal_id, form, rehearsed)
    if error is not None:
        # The form opens again with what was typed, so nothing needs retyping.
        error["action"] = labels.APPEAL_ACTIONS.get(action, "Appeal action")
        return await appeal_page(
            request, session, settings, principal, appeal_id, error=error, status=error["status"]
        )
    flash(request, labels.APPEAL_DONE.get(action, "Done."))
    return RedirectResponse(f"/console/appeals/{appeal_id}", status_code=303)
