"""The request log as CSV (11 CCR 7101, docs/legal.md §1.3: date of the request, its nature and
manner, date and nature of the response, basis of a denial), streamed in batches. Requester
contact data is left out unless an admin asks for it; every export is recorded."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.reports import log_repository as repo
from dsr.reports.models import ReportExport
from dsr.settings import Settings

BATCH = 2000
COLUMNS = (
    "reference",
    "received_date",
    "type",
    "channel",
    "jurisdiction",
    "response",
    "response_date",
    "denial_reason_code",
    "denial_explanation",
)
CONTACT_COLUMNS = ("email", "full_name", "account_id")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A cell a spreadsheet would run as a formula is quoted (OWASP "CSV injection"): the log is
    # opened by people, and explanations and names are free text.
    return "'" + text if text.startswith(_FORMULA) else text


async def record_export(
    session: AsyncSession,
    *,
    actor_id: uuid.UUID | None,
    start: date,
    end: date,
    include_contact: bool,
    now: datetime,
) -> None:
    session.add(
        ReportExport(
            kind="request_log",
            actor_id=actor_id,
            from_date=start,
            to_date=end,
            include_contact=include_contact,
            at=now,
        )
    )


async def stream_csv(
    factory: async_sessionmaker[AsyncSession],
    *,
    settings: Settings,
    start: date,
    end: date,
    include_contact: bool,
    turn: Any,  # asyncio.Lock on SQLite, a null context on PostgreSQL (dsr.main)
) -> AsyncIterator[bytes]:
    """Runs while the response is sent, after the request's transaction has ended: each batch
    is read in a short session of its own (taking this process's turn on SQLite)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([*COLUMNS, *(CONTACT_COLUMNS if include_contact else ())])
    after: tuple[date, uuid.UUID] | None = None
    while True:
        async with turn, factory() as session:
            rows = await repo.batch(
                session,
                zone=settings.timezone,
                start=start,
                end=end,
                after=after,
                size=BATCH,
                with_contact=include_contact,
            )
        for r in rows:
            cells = [
                r.reference,
                r.received_date.isoformat(),
                r.type,
                r.channel,
                r.jurisdiction,
                r.outcome,
                r.response_date,
                r.denial_reason_code,
                r.denial_explanation,
                *(r.contact or ()),
            ]
            writer.writerow([_cell(c) for c in cells])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < BATCH:
            return
        after = (rows[-1].received_date, rows[-1].id)
