"""Intake and verification: a request comes in, the requester proves they control the address,
the case opens. One transaction each; notifications go through the outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases import effects, tasks, timeline, tokens
from dsr.cases.deadlines import compute, policy_for, policy_snapshot
from dsr.cases.models import Case
from dsr.cases.references import new_reference
from dsr.cases.schemas import RequestIn
from dsr.domain.workflow import ACTIVE_STATUSES, Actor, CaseContext, CaseStatus, decide
from dsr.errors import InvalidLink
from dsr.notifications.outbox import enqueue
from dsr.security import email_sha256
from dsr.settings import Settings

INVALID_LINK = (
    "This link is not valid: it may be mistyped, already used or expired. "
    "If you did not confirm your request in time, please submit it again."
)
REQUESTER = Actor(kind="requester")
SYSTEM = Actor(kind="system")


def received_moment(
    settings: Settings, received: date | datetime | None, now: datetime
) -> tuple[datetime, date]:
    """The receipt time and the calendar date in the controller's time zone (design §3.2)."""
    if received is None:
        at = now
    elif isinstance(received, datetime):
        at = received if received.tzinfo else received.replace(tzinfo=settings.tz)
    else:
        at = datetime.combine(received, time(12, 0), tzinfo=settings.tz)
        if received == now.astimezone(settings.tz).date():
            at = min(at, now)  # today's date, entered in the morning: not received in the future
    at = at.astimezone(UTC)
    return at, at.astimezone(settings.tz).date()


def received_in_future(settings: Settings, received: date | datetime, now: datetime) -> bool:
    """A staff-entered receipt after today in the controller's time zone (design §3.2), or a
    time after now. Compared in DSR_TIMEZONE, not UTC, so staff east of UTC can enter today."""
    at, day = received_moment(settings, received, now)
    if day > now.astimezone(settings.tz).date():
        return True
    return isinstance(received, datetime) and at > now


async def submit(
    session: AsyncSession,
    settings: Settings,
    data: RequestIn,
    now: datetime,
    *,
    channel: str = "web",
    received: date | datetime | None = None,
    identity_verified: bool = False,
    actor: Actor = REQUESTER,
) -> Case:
    policy, known = policy_for(settings, data.jurisdiction)
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
        email=email,
        email_sha256=email_sha256(email),
        full_name=data.full_name,
        account_id=data.account_id,
        details=data.details,
        type_data=data.type_data(),
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
    if identity_verified:
        await _open(session, settings, case, now, actor, previous=ev)
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
            },
        )
    await session.flush()
    return case


async def verify(
    session: AsyncSession,
    settings: Settings,
    case_id: uuid.UUID,
    token: str,
    now: datetime,
) -> Case:
    row = await tokens.find(session, case_id, "verify", token)
    if row is None:
        await tokens.record_failed_attempt(session, case_id, "verify")
        raise InvalidLink(INVALID_LINK)
    if (
        row.used_at is not None
        or row.expires_at <= now
        or row.failed_attempts >= settings.verification_max_attempts
    ):
        raise InvalidLink(INVALID_LINK)
    case = await session.get(Case, case_id, with_for_update=True)
    if case is None or case.status != CaseStatus.PENDING_VERIFICATION:
        raise InvalidLink(INVALID_LINK)
    row.used_at = now
    await _open(session, settings, case, now, REQUESTER)
    await session.flush()
    return case


async def _open(
    session: AsyncSession,
    settings: Settings,
    case: Case,
    now: datetime,
    actor: Actor,
    previous: timeline.CaseEvent | None = None,
) -> None:
    """pending_verification --verify--> open, then the acknowledgement with the status link.
    Staff who confirmed identity another way (post, phone) open it through the system actor;
    the event still names them."""
    decide_as = SYSTEM if actor.kind == "staff" else actor
    decision = decide(
        CaseContext(status=CaseStatus(case.status), today=now.date()), "verify", decide_as, {}
    )
    case.status = decision.to_status
    case.verified_at = now
    case.expires_at = None
    case.updated_at = now
    await timeline.append(
        session,
        case.id,
        at=now,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action="verify",
        from_status=decision.from_status,
        to_status=decision.to_status,
        previous=previous,
    )
    status_token = tokens.new_token(
        settings, case.id, "status", now, timedelta(days=settings.status_token_ttl_days)
    )
    session.add(status_token)
    # Every verified requester gets an acknowledgement (design §4), sent at once, so within any
    # statutory acknowledgement period (11 CCR 7021(a): 10 business days).
    await enqueue(
        session,
        kind="acknowledgement",
        recipient=case.email,
        dedup_key=f"acknowledgement:{case.id}",
        case_id=case.id,
        context={
            "case_id": str(case.id),
            "reference": case.reference,
            "type": case.type,
            "full_name": case.full_name,
            "received_date": case.received_date.isoformat(),
            "respond_by": case.respond_by.isoformat(),
            "tokens": {"status": str(status_token.id)},
        },
    )
    case.acknowledged_at = now
    await tasks.create_for_case(session, case, now)
    await _link_duplicate(session, case, now)
    await effects.after_opening(session, case, now)


async def _link_duplicate(session: AsyncSession, case: Case, now: datetime) -> None:
    """A second open request of the same type from the same verified subject is linked to the
    first and closed as a duplicate, so it is not worked twice (design §3.3)."""
    stmt = (
        select(Case)
        .where(
            col(Case.email_sha256) == case.email_sha256,
            col(Case.type) == case.type,
            col(Case.status).in_([s.value for s in ACTIVE_STATUSES]),
            col(Case.id) != case.id,
        )
        .order_by(col(Case.received_at))
        .limit(1)
    )
    first = (await session.exec(stmt)).first()
    if first is None:
        return
    ctx = CaseContext(status=CaseStatus(case.status), today=now.date(), duplicate_of=str(first.id))
    decision = decide(ctx, "mark_duplicate", SYSTEM, {})
    case.status = decision.to_status
    case.duplicate_of_id = first.id
    case.closed_at = now
    await timeline.append(
        session,
        case.id,
        at=now,
        actor_kind="system",
        actor_id=None,
        action="mark_duplicate",
        from_status=decision.from_status,
        to_status=decision.to_status,
        data={"duplicate_of": str(first.id), "reference": first.reference},
    )
    await timeline.append(
        session,
        first.id,
        at=now,
        actor_kind="system",
        actor_id=None,
        action="duplicate_linked",
        from_status=first.status,
        to_status=first.status,
        data={"duplicate": str(case.id), "reference": case.reference},
    )


async def status_case(session: AsyncSession, case_id: uuid.UUID, token: str, now: datetime) -> Case:
    row = await tokens.find(session, case_id, "status", token)
    if row is None or row.expires_at <= now:
        raise InvalidLink(INVALID_LINK)
    case = await session.get(Case, case_id)
    if case is None:
        raise InvalidLink(INVALID_LINK)
    return case
