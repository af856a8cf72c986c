"""The DRP endpoints' work (spec §2): pair-wise set-up, exercise, status, revoke. One
transaction each, owned by the caller; nothing here commits. Identity claims are personal data:
they go to sealed columns and never into a log line or an error message."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases import intake
from dsr.cases.actions import context_for
from dsr.cases.models import Case
from dsr.cases.schemas import RequestIn
from dsr.cases.transitions import apply_case_decision
from dsr.credentials import sha256_hex
from dsr.domain.context import Actor
from dsr.domain.errors import WorkflowError
from dsr.domain.vocabulary import CaseAction, CaseStatus
from dsr.domain.workflow import decide
from dsr.drp.exercises import map_exercise
from dsr.drp.models import AGENT_ID_MAX, DrpAgent, DrpRequest, DrpToken
from dsr.drp.signing import BadMessage, Refused, Window, check_claims, open_signed
from dsr.drp.status import status_object
from dsr.errors import NotFound
from dsr.settings import Settings

MAX_CALLBACK = 2000
NO_NAME = "(name not given by the agent)"


def _window(settings: Settings, now: datetime) -> Window:
    return Window(
        now,
        timedelta(seconds=settings.drp_clock_skew_seconds),
        timedelta(minutes=settings.drp_max_window_minutes),
    )


async def _agent(session: AsyncSession, agent_id: str) -> DrpAgent:
    if not agent_id or len(agent_id) > AGENT_ID_MAX:
        raise Refused()  # longer than any registered id: unknown, not malformed input
    agent = await session.get(DrpAgent, agent_id)
    if agent is None or not agent.enabled:
        raise Refused()
    return agent


async def agent_for_token(session: AsyncSession, token: str | None) -> DrpAgent:
    """The enabled agent a pair-wise bearer token belongs to, or Refused."""
    if not token or len(token) > 200:
        raise Refused()
    row = await session.get(DrpToken, sha256_hex(token))
    if row is None:
        raise Refused()
    return await _agent(session, row.agent_id)


async def setup(
    session: AsyncSession, settings: Settings, agent_id: str, body: bytes, now: datetime
) -> dict[str, str]:
    """POST /v1/agent/{agent-id}: the agent in the path picks the key; the signed message must
    name the same agent and us. Any failure is 403 with no body (spec §2.05.1)."""
    agent = await _agent(session, agent_id)
    opened = open_signed(body, agent.verify_key)
    try:
        check_claims(
            opened.claims,
            agent_id=agent.id,
            business_id=settings.drp_business_id,
            window=_window(settings, now),
        )
    except BadMessage:
        raise Refused() from None
    token = secrets.token_urlsafe(32)
    session.add(
        DrpToken(
            token_hash=sha256_hex(token),
            agent_id=agent.id,
            setup_hash=opened.digest,
            created_at=now,
        )
    )
    await _flush_or_replay(session)
    return {"agent-id": agent.id, "token": token}


async def _flush_or_replay(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError:
        # The same signed message again (or two copies racing): the unique digest refuses it.
        raise BadMessage("this signed message was already received", status=409) from None


def _text(claims: dict[str, Any], key: str, longest: int) -> str | None:
    value = claims.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > longest:
        raise BadMessage(f"{key} must be a string of at most {longest} characters")
    return value.strip() or None


def _callback(claims: dict[str, Any]) -> str | None:
    url = _text(claims, "status_callback", MAX_CALLBACK)
    if url is not None and not url.lower().startswith(("https://", "http://")):
        raise BadMessage("status_callback must be an http(s) URL")
    return url


def _request_in(claims: dict[str, Any], request_type: str, jurisdiction: str) -> RequestIn:
    name = claims.get("name")
    try:
        return RequestIn.model_validate(
            {
                "type": request_type,
                "jurisdiction": jurisdiction,
                "email": claims.get("email"),
                "full_name": name if isinstance(name, str) and name.strip() else NO_NAME,
            }
        )
    except ValidationError as exc:
        fields = sorted({str(e["loc"][0]) for e in exc.errors() if e.get("loc")})
        # Field names only: the values are the consumer's personal data.
        raise BadMessage(f"identity claims not usable: {', '.join(fields)}") from None


async def exercise(
    session: AsyncSession, settings: Settings, agent: DrpAgent, body: bytes, now: datetime
) -> dict[str, Any]:
    """POST /v1/data-rights-request: validated in the spec's order, then a case on channel
    `agent`, or a denial recorded without one for a right we do not take on."""
    opened = open_signed(body, agent.verify_key)
    claims = opened.claims
    check_claims(
        claims,
        agent_id=agent.id,
        business_id=settings.drp_business_id,
        window=_window(settings, now),
    )
    exercise_name = _text(claims, "exercise", 40)
    if exercise_name is None:
        raise BadMessage("exercise is required", fatal=True)
    mapped = map_exercise(
        exercise_name, _text(claims, "regime", 40), settings.drp_voluntary_jurisdiction
    )
    drp = DrpRequest(
        id=uuid.uuid4(),
        agent_id=agent.id,
        message_hash=opened.digest,
        agent_request_id=_text(claims, "agent-request-id", 200),
        exercise=mapped.exercise,
        regime=mapped.regime,
        status_callback=_callback(claims),
        claims=claims,
        received_at=now,
        created_at=now,
    )
    data = None
    if mapped.denial is None:
        assert mapped.request_type is not None
        assert mapped.jurisdiction is not None
        data = _request_in(claims, mapped.request_type.value, mapped.jurisdiction)
    else:
        # Nothing to act on, nothing to keep: a denial without a case stores no identity.
        drp.status, drp.reason, drp.claims = "denied", mapped.denial, None
    session.add(drp)
    await _flush_or_replay(session)  # a replay stops here, before any case is made
    case = None
    if data is not None:
        case = await intake.submit(
            session,
            settings=settings,
            data=data,
            now=now,
            channel="agent",
            actor=Actor(kind="requester", id=f"drp-agent:{agent.id}"),
            registered_agent=agent.name,
        )
        drp.case_id = case.id
        await session.flush()
    return status_object(drp, case, settings.base_url)


async def _own_request(session: AsyncSession, agent: DrpAgent, request_id: str) -> DrpRequest:
    try:
        rid = uuid.UUID(request_id)
    except ValueError:
        raise BadMessage("no such request", status=404) from None
    drp = await session.get(DrpRequest, rid)
    if drp is None:
        raise BadMessage("no such request", status=404)
    if drp.agent_id != agent.id:
        raise Refused()  # another agent's request (spec §2.02.1)
    return drp


async def status(
    session: AsyncSession, settings: Settings, agent: DrpAgent, request_id: str
) -> dict[str, Any]:
    drp = await _own_request(session, agent, request_id)
    case = await session.get(Case, drp.case_id) if drp.case_id else None
    return status_object(drp, case, settings.base_url)


async def revoke(
    session: AsyncSession,
    settings: Settings,
    agent: DrpAgent,
    request_id: str,
    body: bytes,
    now: datetime,
) -> dict[str, Any]:
    """DELETE /v1/data-rights-request/{id}: the case is withdrawn by the requester's side."""
    drp = await _own_request(session, agent, request_id)
    opened = open_signed(body, agent.verify_key)
    check_claims(
        opened.claims,
        agent_id=agent.id,
        business_id=settings.drp_business_id,
        window=_window(settings, now),
        optional=True,
    )
    reason = _text(opened.claims, "reason", 2000)
    case = await session.get(Case, drp.case_id) if drp.case_id else None
    if case is None:
        raise BadMessage("the request is already final and cannot be revoked", status=409)
    if case.status != CaseStatus.WITHDRAWN:
        ctx = await context_for(session, case, settings, now)
        actor = Actor(kind="requester", id=f"drp-agent:{agent.id}")
        try:
            decision = decide(ctx, CaseAction.WITHDRAW, actor, {"reason": reason} if reason else {})
        except WorkflowError:
            raise BadMessage(
                "the request is already final and cannot be revoked", status=409
            ) from None
        await apply_case_decision(session, settings=settings, case=case, decision=decision)
        await session.flush()
    return status_object(drp, case, settings.base_url)


async def for_verification_page(
    session: AsyncSession, request_id: uuid.UUID, named: uuid.UUID | None
) -> tuple[DrpRequest, Case]:
    """The request and case behind a user_verification_url. The agent appends request_id to
    the URL: it must name this very request (spec §3.02.1)."""
    drp = await session.get(DrpRequest, request_id)
    if drp is None or drp.case_id is None or (named is not None and named != request_id):
        raise NotFound("no such request")
    case = await session.get(Case, drp.case_id)
    if case is None:
        raise NotFound("no such request")
    return drp, case
