"""`dsr audit verify`: walk every case's timeline and check its hash chain."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.models import Case, CaseEvent
from dsr.cases.timeline import body_problem, event_payload
from dsr.crypto import DecryptionError
from dsr.domain.events import GENESIS_HASH, event_hash

REDACTED = "redacted"  # the timeline action of a retention redaction (dsr.retention)


@dataclass
class AuditResult:
    cases: int = 0
    events: int = 0
    broken_case: str | None = None
    broken_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_case is None


async def verify_all(engine: AsyncEngine) -> AuditResult:
    try:
        return await _verify(engine)
    except DecryptionError:
        # A sealed text was overwritten with something that is not ours (or its key is gone):
        # the row cannot be named without reading it, so the whole walk is reported broken.
        result = AuditResult(broken_case="unknown")
        result.problem = "an event's sealed texts cannot be decrypted (changed, or key missing)"
        return result


async def _verify(engine: AsyncEngine) -> AuditResult:
    result = AuditResult()
    current = None
    expected_prev = GENESIS_HASH
    expected_seq = 1
    async with AsyncSession(engine) as session:
        stmt = select(CaseEvent).order_by(col(CaseEvent.case_id), col(CaseEvent.seq))
        stream = await session.stream(stmt.execution_options(yield_per=2000))
        textless: int | None = None  # the first event whose texts are gone, not yet covered
        async for ev in stream.scalars():
            if ev.case_id != current:
                if textless is not None:
                    return _texts_removed(result, current, textless)
                current, expected_prev, expected_seq = ev.case_id, GENESIS_HASH, 1
                result.cases += 1
            result.events += 1
            problem = _problem(ev, expected_seq, expected_prev)
            if problem is None and ev.action == REDACTED:
                textless = None  # a redaction event covers every event before it
            elif problem is None and ev.body_digest and ev.body_salt is None:
                textless = ev.seq if textless is None else textless
            if problem:
                result.broken_case, result.broken_seq, result.problem = (
                    str(ev.case_id),
                    ev.seq,
                    problem,
                )
                return result
            expected_prev, expected_seq = ev.hash, expected_seq + 1
        if textless is not None:
            return _texts_removed(result, current, textless)
        await _check_heads(session, result)
    return result


def _problem(ev: CaseEvent, expected_seq: int, expected_prev: str) -> str | None:
    if ev.seq != expected_seq:
        return f"expected event {expected_seq}, found {ev.seq} (an event is missing)"
    if ev.prev_hash != expected_prev:
        return "the link to the previous event does not match"
    if event_hash(ev.prev_hash, event_payload(ev)) != ev.hash:
        return "the event's content does not match its hash (it was changed)"
    return body_problem(ev)


def _texts_removed(result: AuditResult, case_id: object, seq: int) -> AuditResult:
    """Texts may only go with a redaction event after them (dsr.retention): removed any other
    way, the chain still holds (it hashes their digest) but the removal is reported."""
    result.broken_case, result.broken_seq = str(case_id), seq
    result.problem = "the event's texts were removed, and no redaction event records it"
    return result


async def _check_heads(session: AsyncSession, result: AuditResult) -> None:
    """Every chain must end where its case says it ends. A chain whose last events were deleted
    is still a valid chain; only the case row's anchor (seq and hash of the last event appended)
    shows that it was cut short, or that an event was added behind the service's back."""
    last = (
        select(CaseEvent.case_id, sa.func.max(CaseEvent.seq).label("seq"))
        .group_by(col(CaseEvent.case_id))
        .subquery()
    )
    head = sa.orm.aliased(CaseEvent)
    stmt = (
        select(Case.id, Case.timeline_seq, last.c.seq)
        .outerjoin(last, last.c.case_id == col(Case.id))
        .outerjoin(
            head,
            sa.and_(col(head.case_id) == col(Case.id), col(head.seq) == col(Case.timeline_seq)),
        )
        .where(
            sa.or_(
                sa.func.coalesce(last.c.seq, 0) != col(Case.timeline_seq),
                sa.and_(col(Case.timeline_seq) > 0, col(head.hash) != col(Case.timeline_head)),
            )
        )
        .order_by(col(Case.id))
        .limit(1)
    )
    row = (await session.exec(stmt)).first()
    if row is None:
        return
    case_id, anchored, found = row
    found = found or 0
    if found < anchored:
        result.broken_seq = found + 1
        result.problem = (
            f"the case records {anchored} events but its timeline ends at {found} "
            "(events were removed from its end)"
        )
    elif found > anchored:
        result.broken_seq = anchored + 1
        result.problem = f"events after {anchored} were not appended by dsr"
    else:
        result.broken_seq = anchored
        result.problem = "the last event is not the one the case records"
    result.broken_case = str(case_id)
