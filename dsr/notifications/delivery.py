"""What happened to each e-mail about a case, recorded where staff look: on the case timeline
(sent, retrying, failed and why), in the acknowledgement date (set when the mail server accepted
the acknowledgement, not when it was queued), and as "delivery problems" the queue and the
console navigation count.

The dispatcher calls on_outcome() inside the transaction that records a message's outcome, so
the timeline event and the outbox row commit together. Errors are kept as the SMTP code and the
server's text with e-mail addresses taken out (replies often quote the recipient)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import aiosmtplib
import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases import timeline
from dsr.cases.models import Case
from dsr.notifications.catalogue import SUBJECTS
from dsr.notifications.models import OutboxMessage, problem_clause

SENT, RETRYING, FAILED = "message_sent", "message_retrying", "message_failed"
_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>@]+>?")


def _clean(text: str) -> str:
    """The server's words without any address, on one line."""
    text = _ADDRESS.sub("[address]", text)
    return " ".join(text.split())[:300]


def describe_error(exc: BaseException) -> str:
    """`SMTP <code>: <server's text>` for an answer from a mail server; otherwise what went wrong
    in words. Never the recipient's address."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        exc = exc.recipients[0]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"SMTP {exc.code}: {_clean(exc.message)}".rstrip(": ")
    if isinstance(exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPConnectTimeoutError):
        return "could not connect to the mail server"
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return "the mail server did not answer in time"
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return "the mail server closed the connection"
    if isinstance(exc, OSError):
        return "could not connect to the mail server"
    return f"could not send ({type(exc).__name__})"


def is_permanent(error: str) -> bool:
    """A 5xx answer will not change by asking again: the message fails at once."""
    return error.startswith("SMTP 5")


def plain_reason(error: str | None) -> str:
    """The stored error in words for staff."""
    if not error:
        return ""
    if error.startswith("SMTP 4"):
        return f"the receiving mail server refused it for now ({error})"
    if error.startswith("SMTP 5"):
        return f"the receiving mail server refused it permanently ({error})"
    return error


def _to_whom(msg: OutboxMessage, case: Case) -> str:
    wanted = msg.recipient.strip().lower()
    if case.email and wanted == case.email.strip().lower():
        return "requester"
    if case.agent_email and wanted == case.agent_email.strip().lower():
        return "agent"
    return "staff"


async def on_outcome(
    session: AsyncSession,
    msg: OutboxMessage,
    error: str | None,
    status: str,
    attempt: int,
    now: datetime,
) -> None:
    """Record an e-mail's outcome on its case (status: sent, pending or failed)."""
    if msg.case_id is None or msg.kind not in SUBJECTS:
        return
    case = await session.get(Case, msg.case_id)
    if case is None:
        return
    action = SENT if status == "sent" else FAILED if status == "failed" else RETRYING
    data: dict[str, object] = {"kind": msg.kind, "to": _to_whom(msg, case), "attempt": attempt}
    if error:
        data["error"] = error
    await timeline.record(
        session, case, at=now, actor_kind="system", actor_id="outbox", action=action, data=data
    )
    if status == "sent" and msg.kind == "acknowledgement":
        table: sa.Table = Case.__table__  # type: ignore[attr-defined]
        # Core, not the ORM: the case's version (the staff's optimistic lock) is left alone.
        conn = await session.connection()
        await conn.execute(
            sa.update(table)
            .where(table.c.id == case.id, table.c.acknowledged_at.is_(None))
            .values(acknowledged_at=now)
        )


def _problems() -> sa.ColumnElement[bool]:
    return sa.and_(col(OutboxMessage.case_id).is_not(None), problem_clause())


def problem_case_count_query() -> sa.Select[Any]:
    """Cases with a message that failed or is being retried: one aggregate over the partial
    index ix_outbox_message_problem, which holds only those messages."""
    return sa.select(sa.func.count(sa.distinct(col(OutboxMessage.case_id)))).where(_problems())


async def problem_case_count(session: AsyncSession) -> int:
    stmt = problem_case_count_query()
    return int((await (await session.connection()).execute(stmt)).scalar_one())


def problem_case_ids() -> sa.Select[Any]:
    """The ids of cases with a delivery problem."""
    return sa.select(col(OutboxMessage.case_id)).where(_problems())


async def problem_cases_among(session: AsyncSession, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    wanted = list(ids)
    if not wanted:
        return set()
    stmt = problem_case_ids().where(col(OutboxMessage.case_id).in_(wanted)).distinct()
    return {
        r
        for r in (await (await session.connection()).execute(stmt)).scalars().all()
        if r is not None
    }


async def problems_of_case(session: AsyncSession, case_id: uuid.UUID) -> list[OutboxMessage]:
    stmt = (
        select(OutboxMessage)
        .where(OutboxMessage.case_id == case_id, problem_clause())
        .order_by(col(OutboxMessage.id))
    )
    return list((await session.exec(stmt)).all())
