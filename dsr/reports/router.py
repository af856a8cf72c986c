"""Reports for auditors and DPOs (design §4.3): the yearly metrics and the request log."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from dsr.auth.principal import Principal
from dsr.auth.roles import Role
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep, require_role
from dsr.errors import Forbidden, InvalidInput
from dsr.reports import metrics, request_log
from dsr.reports.metrics import FIRST_YEAR, LAST_YEAR, Metrics

router = APIRouter(prefix="/api/v1/reports", tags=["reports (staff)"])
Auditor = Annotated[Principal, Depends(require_role(Role.AUDITOR))]
# 11 CCR 7101: records are kept at least 24 months (docs/legal.md §1.3): the log's default span.
DEFAULT_SPAN = timedelta(days=730)
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)


@router.get("/metrics", response_model=Metrics)
async def yearly_metrics(
    principal: Auditor,  # noqa: ARG001 (the dependency is the check)
    session: SessionDep,
    settings: SettingsDep,
    year: Annotated[int, Query(ge=FIRST_YEAR, le=LAST_YEAR, description="Calendar year")],
) -> Metrics:
    """Per request type: received, complied with in whole or in part, denied (and by reason),
    withdrawn, unverified, pending, and the median and mean days from receipt to the answer,
    for requests received in the calendar year in DSR_TIMEZONE (README, "Reports")."""
    return await metrics.yearly(session, settings=settings, year=year)


@router.get(
    "/requests.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def request_log_csv(
    request: Request,
    principal: Auditor,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[date | None, Query(alias="from", description="First receipt date")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last receipt date")] = None,
    include_contact: Annotated[
        bool, Query(description="Add the requester's e-mail, name and account id (admins only)")
    ] = False,
) -> StreamingResponse:
    """The request log (11 CCR 7101) of requests received from `from` to `to` (inclusive;
    default: the last 24 months), one row per request, in receipt order."""
    now = utcnow()
    for name, value in (("from", start), ("to", end)):
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise InvalidInput(f"{name}: must be a date from {FIRST_DAY} to {LAST_DAY}")
    end = end or settings.today(now)
    start = start or max(FIRST_DAY, end - DEFAULT_SPAN)
    if start > end:
        raise InvalidInput("from: must not be after to")
    if include_contact and principal.role is not Role.ADMIN:
        raise Forbidden("only an admin may export requesters' contact data")
    await request_log.record_export(
        session,
        actor_id=principal.user_id,
        start=start,
        end=end,
        include_contact=include_contact,
        now=now,
    )
    body = request_log.stream_csv(
        request.app.state.sessionmaker,
        settings=settings,
        start=start,
        end=end,
        include_contact=include_contact,
        turn=request.app.state.transaction_turn,
    )
    name = f"requests-{start.isoformat()}-{end.isoformat()}.csv"
    return StreamingResponse(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
