"""The check step of a bulk denial on the queue (issue 14): each selected case is rehearsed on its
own (check_step.rehearse), the page says how many requests will be refused and how many people
e-mailed, shows each notice, and leaves out the cases that cannot be refused. The confirmation
carries each case's version: if any case changed since the check, nothing is done (409)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth.principal import Principal
from dsr.cases import actions, repository
from dsr.cases.action_schemas import BulkIn
from dsr.domain.errors import WorkflowError
from dsr.errors import DsrError
from dsr.settings import Settings
from dsr.web.console import check_step
from dsr.web.console.action_forms import refusal

CHANGED = (
    "{n} of the selected cases {were} changed by someone else after you checked the notice, so "
    "nothing was done and no e-mail was sent. Select the cases again and check the new notice."
)
NO_VERSION = "The confirmation is missing the cases' versions, so nothing was done. Start again."


async def check(
    request: Request,
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    body: BulkIn,
    now: datetime,
) -> HTMLResponse:
    """Rehearse the denial of each selected case and show the confirmation page."""
    params = body.model_dump(exclude_none=True, exclude={"case_ids", "action"})
    ready: list[dict[str, Any]] = []
    left_out: list[dict[str, Any]] = []
    for case_id in dict.fromkeys(body.case_ids):
        case = await repository.get(session, case_id)
        if case is None:
            left_out.append({"case_id": case_id, "reference": "?", "detail": "No such case."})
            continue
        version, reference = case.version, case.reference

        async def act(case_id: uuid.UUID = case_id, version: int = version) -> None:
            await actions.run(
                session,
                settings=settings,
                case_id=case_id,
                action=body.action,
                params=dict(params),
                principal=principal,
                now=now,
                expected_version=version,
            )

        try:
            await check_step.rehearse(session, settings, case_id, act)
        except check_step.Rehearsed as rehearsed:
            ready.append(
                {
                    "case_id": case_id,
                    "reference": reference,
                    "version": version,
                    "title": f"Case {reference}",
                    "outgoing": rehearsed.outgoing,
                }
            )
        except (DsrError, WorkflowError, StaleDataError, IntegrityError) as exc:
            left_out.append(
                {"case_id": case_id, "reference": reference, "detail": refusal(exc, "case")[1]}
            )
    return _page(request, principal, body, ready, left_out)


def _page(
    request: Request,
    principal: Principal,
    body: BulkIn,
    ready: list[dict[str, Any]],
    left_out: list[dict[str, Any]],
) -> HTMLResponse:
    query = f"?{request.url.query}" if request.url.query else ""
    n = len(ready)
    requests = "1 request" if n == 1 else f"{n} requests"
    people = check_step.people(o for r in ready for o in r["outgoing"])
    fields = [("action", body.action), ("reason_code", body.reason_code or "")]
    fields.append(("explanation", body.explanation or ""))
    for r in ready:
        fields += [("case_id", str(r["case_id"])), ("version", f"{r['case_id']}:{r['version']}")]
    summary = f"You are about to refuse {requests} and e-mail {people}."
    if not ready:
        summary = "None of the selected cases can be refused now; nothing will be sent."
    return check_step.check_page(
        request,
        principal,
        summary=summary,
        groups=ready,
        fields=fields if ready else [],
        post_to=f"/console/cases/bulk{query}",
        button=f"Confirm: refuse {requests} and e-mail {people}",
        cancel=f"/console{query}",
        danger=True,
        left_out=left_out,
        can_confirm=bool(ready),
    )


async def checked_versions(
    session: AsyncSession, case_ids: Iterable[uuid.UUID], submitted: Iterable[str]
) -> tuple[dict[uuid.UUID, int], int, str | None]:
    """The versions the check step saw, by case, and the status and message when the
    confirmation must be refused: a version missing (422), or a case changed since (409)."""
    versions: dict[uuid.UUID, int] = {}
    for item in submitted:
        raw_id, _, raw_version = item.partition(":")
        try:
            versions[uuid.UUID(raw_id)] = int(raw_version)
        except ValueError:
            return {}, 422, NO_VERSION
    ids = list(dict.fromkeys(case_ids))
    if any(i not in versions for i in ids):
        return {}, 422, NO_VERSION
    changed = 0
    for case_id in ids:
        case = await repository.get(session, case_id)
        if case is None or case.version != versions[case_id]:
            changed += 1
    if changed:
        return {}, 409, CHANGED.format(n=changed, were="was" if changed == 1 else "were")
    return versions, 200, None
