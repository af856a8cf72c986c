"""JSON API for the consent ledger, training pipelines and the serving guardrail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from dsr.auth.principal import Principal
from dsr.auth.roles import Scope
from dsr.bodies import json_body, json_body_schema
from dsr.consent import opt_outs, service
from dsr.consent.schemas import (
    ChangesOut,
    ConsentBatchIn,
    ConsentBatchOut,
    EligibilityIn,
    EligibilityOut,
    GpcSignalIn,
    GpcSignalOut,
    HistoryOut,
    SubjectIn,
    SuppressionsOut,
)
from dsr.deps import AnyStaff, SessionDep, SettingsDep, require_scope

ConsentWriter = Annotated[Principal, Depends(require_scope(Scope.consent_write))]
TrainingReader = Annotated[Principal, Depends(require_scope(Scope.training_read))]
SuppressionReader = Annotated[Principal, Depends(require_scope(Scope.suppressions_read))]
CursorParam = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{1,18}$", description="next_cursor from the previous page; omit to start"
    ),
]
LimitParam = Annotated[int, Query(ge=1, le=1000)]

router = APIRouter(prefix="/api/v1", tags=["training eligibility"])


# The two bulk calls read their body themselves, after the token is checked (dsr/bodies.py).
@router.post(
    "/consents",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsentBatchOut,
    openapi_extra=json_body_schema(ConsentBatchIn),
    responses={413: {}, 422: {}},
)
async def record_consents(
    request: Request, _principal: ConsentWriter, session: SessionDep
) -> ConsentBatchOut:
    """Append 1 to 10,000 consent records to the ledger, all or nothing. History is never
    overwritten: the latest record (by recorded_at) decides."""
    body = await json_body(request, ConsentBatchIn)
    return await service.record_consents(session, body.records)


@router.post(
    "/signals/gpc",
    response_model=GpcSignalOut,
    responses={201: {"model": GpcSignalOut}},
    tags=["opt-outs"],
)
async def gpc_signal(
    body: GpcSignalIn, _principal: ConsentWriter, session: SessionDep, response: Response
) -> GpcSignalOut:
    """A Global Privacy Control signal a site saw for a known (signed-in) subject: records an
    opt-out of sale/sharing and targeted advertising. `201` the first time, `200` with
    `recorded: false` for every repeat: the opt-out is recorded once however often it is sent."""
    done = await opt_outs.record_gpc(
        session,
        subject=body.subject,
        observed_at=body.observed_at,
        skew_allowed=service.CLOCK_SKEW.total_seconds(),
    )
    response.status_code = status.HTTP_201_CREATED if done.recorded else status.HTTP_200_OK
    return GpcSignalOut(subject=done.subject, opted_out=True, recorded=done.recorded)


@router.post("/consents/history", response_model=HistoryOut)
async def consent_history(body: SubjectIn, _principal: AnyStaff, session: SessionDep) -> HistoryOut:
    """Staff: a subject's consent history and exclusions. The key goes in the body, not the URL,
    because an e-mail hash is still personal data."""
    return await service.history(session, body.subject)


@router.post(
    "/training/eligibility",
    response_model=EligibilityOut,
    openapi_extra=json_body_schema(EligibilityIn),
    responses={413: {}, 422: {}},
)
async def eligibility(
    request: Request, _principal: TrainingReader, session: SessionDep, settings: SettingsDep
) -> Response:
    """Who may be trained on: one answer per subject, in input order, with the reason, the
    policy version and the `as_of` time to record with the training run."""
    body = await json_body(request, EligibilityIn)
    answer = await service.eligibility(
        session,
        policy=service.training_policy(settings),
        purpose=body.purpose,
        category=body.category,
        subjects=body.subjects,
        as_of=body.as_of,
    )
    return Response(service.answer_json(answer), media_type="application/json")


@router.get("/training/changes", response_model=ChangesOut)
async def training_changes(
    _principal: TrainingReader,
    session: SessionDep,
    cursor: CursorParam = None,
    limit: LimitParam = 500,
) -> ChangesOut:
    """Consent and exclusion changes after `cursor`, oldest first, without gaps or repeats."""
    return await service.changes(session, int(cursor or 0), limit)


@router.get(
    "/training/exclusions.ndjson",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}}},
)
async def excluded_keys(
    request: Request, _principal: TrainingReader, session: SessionDep
) -> StreamingResponse:
    """Every currently excluded subject key, one JSON object per line. The `DSR-Changes-Cursor`
    header is the feed position taken before the export: follow the feed from there."""
    cursor = await service.latest_change_cursor(session)
    return StreamingResponse(
        service.excluded_snapshot(request.app.state.sessionmaker),
        media_type="application/x-ndjson",
        headers={"DSR-Changes-Cursor": cursor, "Cache-Control": "no-store"},
    )


@router.get("/output-suppressions", response_model=SuppressionsOut, tags=["output suppression"])
async def output_suppressions(
    _principal: SuppressionReader,
    session: SessionDep,
    cursor: CursorParam = None,
    limit: LimitParam = 500,
) -> SuppressionsOut:
    """Suppression rules in change order: each rule appears again when it is withdrawn."""
    return await service.suppression_feed(session, int(cursor or 0), limit)
