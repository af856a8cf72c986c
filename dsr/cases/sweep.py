"""The periodic sweep: each step is idempotent (stable dedup keys, status guards), so running it
twice, or in two workers at once, changes nothing the second time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases import timeline
from dsr.cases.models import Case
from dsr.db.engine import dialect_name
from dsr.domain.workflow import Actor, CaseContext, CaseStatus, decide
from dsr.settings import Settings

SYSTEM = Actor(kind="system")
BATCH = 500


async def expire_unverified(factory: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """pending_verification --expire--> unverified once the verification window has passed."""
    expired = 0
    while True:
        async with factory() as session, session.begin():
            stmt = (
                select(Case)
                .where(
                    col(Case.status) == CaseStatus.PENDING_VERIFICATION.value,
                    col(Case.expires_at) <= now,
                )
                .order_by(col(Case.expires_at))
                .limit(BATCH)
            )
            if dialect_name(session) == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            cases = list((await session.exec(stmt)).all())
            for case in cases:
                d = decide(
                    CaseContext(status=CaseStatus(case.status), today=now.date()),
                    "expire",
                    SYSTEM,
                    {},
                )
                case.status = d.to_status
                case.closed_at = now
                case.updated_at = now
                await timeline.append(
                    session,
                    case.id,
                    at=now,
                    actor_kind="system",
                    actor_id=None,
                    action="expire",
                    from_status=d.from_status,
                    to_status=d.to_status,
                )
        expired += len(cases)
        if len(cases) < BATCH:
            return expired


async def sweep(
    factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> dict[str, int]:
    return {"expired": await expire_unverified(factory, now)}
