"""Intake and verification: a request comes in, the requester proves they control the address,
the case opens. One transaction each; notifications go through the outbox."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr import i18n
from dsr.cases import agents, timeline, tokens
from dsr.cases.deadlines import compute, policy_for, policy_snapshot
from dsr.cases.models import Case, CaseEvent
from dsr.cases.receipt import received_moment
from dsr.cases.references import new_reference
from dsr.cases.schemas import RequestIn
from dsr.cases.transitions import apply_case_decision
from dsr.db.sealed_columns import email_lookup_key, lookup_hash
from dsr.domain.context import REQUESTER, SYSTEM, Actor, CaseContext
from dsr.domain.vocabulary import NO_VERIFICATION_TYPES, AgentKind, CaseAction, CaseStatus
from dsr.domain.workflow import decide
from dsr.errors import AlreadyConfirmed, InvalidLink
from dsr.notifications.outbox import enqueue
from dsr.settings import Settings


async def submit(
    session: AsyncSession,
    *,
    settings: Settings,
    data: RequestIn,
    now: datetime,
    channel: str = "web",
    received: date | datetime | None = None,
    identity_verified: bool = False,
    actor: Actor = REQUESTER,
    registered_agent: str | None = None,
) -> Case:
    """`registered_agent`: the name of an authorized agent known to the DRP registry (dsr.drp),
    which hears of the request through the protocol, not by e-mail."""
    policy, known = policy_for(settings, data.jurisdiction, data.type)
    received_at, received_date = received_moment(settings, received, now)
    dl = compute(policy, received_date)
    email = str(data.email).strip()
    case = Case(
        id=uuid.uuid4(),
        reference=new_reference(),
        type=data.type,
        status=CaseStatus.PENDING_VERIFICATION.value,
        channel=channel,
        jurisdiction=policy.code,
        jurisdiction_input=data.jurisdiction.upper(),
        jurisdiction_known=known,
        # Asked for, else the jurisdiction's (Quebec: French), else English (dsr.i18n.choose).
        language=i18n.choose(explicit=data.language, jurisdiction=data.jurisdiction),
        email=email,
        email_hash=lookup_hash(settings.keyring, email_lookup_key(email)),
        full_name=data.full_name,
        account_id=data.account_id,
        details=data.details,
        type_data=data.type_data(),
        agent_name=data.agent.name if data.agent else registered_agent,
        agent_email=str(data.agent.email).strip() if data.agent else None,
        agent_kind=data.agent.kind.value
        if data.agent
        else (AgentKind.AUTHORIZED_AGENT.value if registered_agent else None),
        received_at=received_at,
        received_date=received_date,
        expires_at=now + timedelta(hours=settings.unverified_expiry_hours),
        acknowledge_by=dl.acknowledge_by,
        respond_by=dl.respond_by,
        original_respond_by=dl.respond_by,
        extended_respond_by=dl.extended_respond_by,
        extension_notice_by=dl.extension_notice_by,
        policy=policy_snapshot(policy),
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    ev = await timeline.append(
        session,
        case.id,
        at=now,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action="submit",
        from_status=None,
        to_status=case.status,
        data={"channel": channel, "jurisdiction": policy.code, "jurisdiction_known": known},
        first=True,
    )
    if data.agent is not None:
        await agents.notify_agent_of_submission(session, settings=settings, case=case, now=now)
    if identity_verified:
        await _open(session, settings, case, now, actor, previous=ev)
    elif data.agent is not None and data.agent.kind == AgentKind.POWER_OF_ATTORNEY:
        # A power of attorney needs no confirmation by the consumer (11 CCR 7063 [U]).
        await _open(session, settings, case, now, SYSTEM, previous=ev)
    elif case.type in NO_VERIFICATION_TYPES:
        # 11 CCR 7026(d): an opt-out must not wait for verification. It opens at once; the
        # acknowledgement confirms receipt to the address given (docs/legal.md, "Opt-outs").
        await _open(
            session,
            settings,
            case,
            now,
            SYSTEM,
            previous=ev,
            action=CaseAction.OPEN_WITHOUT_VERIFICATION,
        )
    else:
        token = tokens.new_token(
            settings, case.id, "verify", now, timedelta(hours=settings.verification_ttl_hours)
        )
        session.add(token)
        await enqueue(
            session,
            kind="verification",
            recipient=email,
            dedup_key=f"verification:{token.id}",
            case_id=case.id,
            context={
                "case_id": str(case.id),
                "reference": case.reference,
                "type": case.type,
                "full_name": case.full_name,
                "expires_hours": settings.verification_ttl_hours,
                # The verification e-mail also confirms receipt, explains verification and says
                # when to expect an answer: 11 CCR 7021(a) wants that within 10 business days.
                "received_date": case.received_date.isoformat(),
                "respond_by": case.respond_by.isoformat(),
                "tokens": {"verify": str(token.id)},
                # An agent's request: the consumer confirms directly that they gave permission.
                "agent_name": case.agent_name,
                "language": case.language,
            },
        )
    await session.flush()
    return case


async def verify(
    session: AsyncSession,
    *,
    settings: Settings,
    case_id: uuid.UUID,
    token: str,
    now: datetime,
) -> Case:
    row = await tokens.find(session, case_id, "verify", token)
    if row is None:
        await tokens.record_failed_attempt(session, case_id, "verify")
        raise InvalidLink()
    if row.used_at is not None:
        # The right token, used before: its holder is told the request is confirmed (not to
        # submit it again). A wrong token never gets here.
        raise AlreadyConfirmed()
    if row.expires_at <= now or row.failed_attempts >= settings.verification_max_attempts:
        raise InvalidLink()
    case = await session.get(Case, case_id, with_for_update=True)
    if case is None or case.status != CaseStatus.PENDING_VERIFICATION:
        raise InvalidLink()
    row.used_at = now
    await _open(session, settings, case, now, REQUESTER)
    await session.flush()
    return case


async def agent_to_confirm(
    session: AsyncSession, case_id: uuid.UUID, token: str, now: datetime
) -> str | None:
    """The agent's name when this unused verification link is for an agent's request: the
    consumer's click then confirms that they gave the agent permission (11 CCR 7063 [U])."""
    row = await tokens.find(session, case_id, "verify", token)
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    case = await session.get(Case, case_id)
    if case is None or case.agent_kind != AgentKind.AUTHORIZED_AGENT:
        return None
    return case.agent_name


async def _open(
    session: AsyncSession,
    settings: Settings,
    case: Case,
    now: datetime,
    actor: Actor,
    previous: CaseEvent | None = None,
    action: CaseAction = CaseAction.VERIFY,
) -> None:
    """pending_verification --verify--> open: the acknowledgement with the status link, the
    data-system tasks, the duplicate link and the training exclusion follow from the decision.
    Staff who confirmed identity another way (post, phone) open it through the system actor;
    the event still names them."""
    ctx = CaseContext(status=CaseStatus(case.status), today=settings.today(now), now=now)
    if action is CaseAction.OPEN_WITHOUT_VERIFICATION:
        case.expires_at = None  # nothing to lapse: no verification is asked
    decision = decide(ctx, action, SYSTEM if actor.kind == "staff" else actor, {})
    await apply_case_decision(
        session,
        settings=settings,
        case=case,
        decision=decision,
        recorded_as=actor,
        previous=previous,
    )


async def status_case(session: AsyncSession, case_id: uuid.UUID, token: str, now: datetime) -> Case:
    row = await tokens.find(session, case_id, "status", token)
    if row is None or row.expires_at <= now:
        raise InvalidLink()
    case = await session.get(Case, case_id)
    if case is None:
        raise InvalidLink()
    return case
