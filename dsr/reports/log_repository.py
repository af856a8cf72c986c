"""The request log's rows (11 CCR 7101, docs/legal.md §1.3), read in keyset batches: each batch
is a short query of its own, so a log of millions of cases streams without holding the whole
result in memory or one long transaction open (on SQLite a transaction holds the write lock)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.models import Case
from dsr.db.engine import dialect_name
from dsr.domain.reporting import Outcome
from dsr.reports.sql import col, local_date, outcome, without_jit


@dataclass(frozen=True)
class LogRow:
    id: uuid.UUID
    reference: str
    received_date: date
    type: str
    channel: str
    jurisdiction: str
    outcome: str
    response_date: str | None
    denial_reason_code: str | None
    denial_explanation: str | None
    contact: tuple[str, str, str | None] | None  # email, full name, account id: admins who ask


def _response_at() -> Any:
    # A decision is the response; a withdrawal, lapse or duplicate link ends the request without
    # one, on the day it closed.
    return sa.func.coalesce(col("decided_at"), col("closed_at"))


async def batch(
    session: AsyncSession,
    *,
    zone: str,
    start: date,
    end: date,
    after: tuple[date, uuid.UUID] | None,
    size: int,
    with_contact: bool,
) -> list[LogRow]:
    """Requests received in [start, end], in receipt order, after the `after` key."""
    await without_jit(session)
    dialect = dialect_name(session)
    kind = outcome().label("outcome")
    responded = local_date(_response_at(), dialect, zone).label("response_date")
    fields = [
        col("id"),
        col("reference"),
        col("received_date"),
        col("type"),
        col("channel"),
        col("jurisdiction"),
        kind,
        responded,
        col("decision_reason_code"),
        col("decision_explanation"),
    ]
    # Contact data is read through the mapped entity (never its columns by name), so however
    # the model stores it (encrypted at rest), what comes out is what the model gives.
    stmt: Any = sa.select(*fields, Case) if with_contact else sa.select(*fields)
    stmt = stmt.where(col("received_date") >= start, col("received_date") <= end)
    if after is not None:
        stmt = stmt.where(sa.tuple_(col("received_date"), col("id")) > sa.tuple_(*after))
    stmt = stmt.order_by(col("received_date"), col("id")).limit(size)
    rows = (await session.exec(stmt)).all()
    out = []
    for r in rows:
        denied = r.outcome == Outcome.DENIED
        case: Case | None = r[-1] if with_contact else None
        out.append(
            LogRow(
                id=r.id,
                reference=r.reference,
                received_date=r.received_date,
                type=r.type,
                channel=r.channel,
                jurisdiction=r.jurisdiction,
                outcome=r.outcome,
                response_date=None if r.response_date is None else str(r.response_date),
                denial_reason_code=r.decision_reason_code if denied else None,
                denial_explanation=r.decision_explanation if denied else None,
                contact=None if case is None else (case.email, case.full_name, case.account_id),
            )
        )
    if with_contact:
        session.expunge_all()  # a batch's entities are not kept for the rest of the stream
    return out
