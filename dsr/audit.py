"""`dsr audit verify`: walk every case's timeline and check its hash chain."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.models import CaseEvent
from dsr.cases.timeline import event_payload
from dsr.domain.events import GENESIS_HASH, event_hash


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


async def verify_all(engine: AsyncEngine, progress_every: int = 100_000) -> AuditResult:
    result = AuditResult()
    current = None
    expected_prev = GENESIS_HASH
    expected_seq = 1
    async with AsyncSession(engine) as session:
        stmt = select(CaseEvent).order_by(col(CaseEvent.case_id), col(CaseEvent.seq))
        stream = await session.stream(stmt.execution_options(yield_per=2000))
        async for ev in stream.scalars():
            if ev.case_id != current:
                current, expected_prev, expected_seq = ev.case_id, GENESIS_HASH, 1
                result.cases += 1
            result.events += 1
            problem = None
            if ev.seq != expected_seq:
                problem = f"expected event {expected_seq}, found {ev.seq} (an event is missing)"
            elif ev.prev_hash != expected_prev:
                problem = "the link to the previous event does not match"
            elif event_hash(ev.prev_hash, event_payload(ev)) != ev.hash:
                problem = "the event's content does not match its hash (it was changed)"
            if problem:
                result.broken_case, result.broken_seq, result.problem = (
                    str(ev.case_id),
                    ev.seq,
                    problem,
                )
                return result
            expected_prev, expected_seq = ev.hash, expected_seq + 1
    return result
