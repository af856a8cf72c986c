"""The outbox worker: claim due messages, send them, record the outcome.

Claiming sets `locked_until` in a short transaction (FOR UPDATE SKIP LOCKED on PostgreSQL, so
several workers share the queue); sending happens outside any transaction; the outcome is a
second short transaction. A worker that dies mid-send leaves the lock to expire and the message
is sent again with the same Message-ID, so nothing is lost and receivers can drop the copy."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

import aiosmtplib
from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.db.engine import dialect_name
from dsr.db.types import utcnow
from dsr.notifications.models import OutboxMessage
from dsr.notifications.render import render
from dsr.notifications.sender import send
from dsr.settings import Settings

log = logging.getLogger("dsr.outbox")
LOCK = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def describe_error(exc: BaseException) -> str:
    """SMTP replies often quote the recipient address: keep the code and class only."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{type(exc).__name__}: SMTP {exc.code}"
    return type(exc).__name__


async def claim(
    factory: async_sessionmaker[AsyncSession], batch: int, now: datetime | None = None
) -> list[OutboxMessage]:
    now = now or utcnow()
    async with factory() as session, session.begin():
        stmt = (
            select(OutboxMessage)
            .where(
                OutboxMessage.status == "pending",
                col(OutboxMessage.next_attempt_at) <= now,
                or_(
                    col(OutboxMessage.locked_until).is_(None), col(OutboxMessage.locked_until) < now
                ),
            )
            .order_by(col(OutboxMessage.id))
            .limit(batch)
        )
        if dialect_name(session) == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = list((await session.exec(stmt)).all())
        for row in rows:
            row.locked_until = now + LOCK
        return rows


async def _record(
    factory: async_sessionmaker[AsyncSession],
    msg: OutboxMessage,
    error: BaseException | None,
    settings: Settings,
    now: datetime | None = None,
) -> None:
    now = now or utcnow()
    values: dict[str, object]
    if error is None:
        values = {
            "status": "sent",
            "sent_at": now,
            "locked_until": None,
            "attempts": msg.attempts + 1,
        }
    else:
        attempts = msg.attempts + 1
        dead = attempts >= settings.outbox_max_attempts
        values = {
            "status": "failed" if dead else "pending",
            "attempts": attempts,
            "next_attempt_at": now + backoff(attempts),
            "locked_until": None,
            "last_error": describe_error(error)[:500],
        }
    async with factory() as session, session.begin():
        await session.exec(
            update(OutboxMessage).where(col(OutboxMessage.id) == msg.id).values(**values)
        )


async def dispatch_once(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    batch: int = 50,
    now: datetime | None = None,
) -> tuple[int, int]:
    """Send what is due now (or at `now`: tests step over the backoff). Returns (sent, failed)."""
    sent = failed = 0
    for msg in await claim(factory, batch, now):
        try:
            await send(render(msg, settings), settings)
        except Exception as exc:  # any failure is retried later; the message is never dropped
            failed += 1
            log.warning(
                "outbox message %s failed (attempt %s): %s",
                msg.id,
                msg.attempts + 1,
                describe_error(exc),
            )
            await _record(factory, msg, exc, settings, now)
        else:
            sent += 1
            await _record(factory, msg, None, settings, now)
    if sent or failed:
        log.info("outbox: sent %s, failed %s", sent, failed)
    return sent, failed


async def run_forever(
    factory: async_sessionmaker[AsyncSession], settings: Settings, wakeup: asyncio.Event
) -> None:
    while True:
        try:
            sent, failed = await dispatch_once(factory, settings)
        except Exception:
            log.exception("outbox dispatch failed; retrying")
            sent = failed = 0
        if sent or failed:
            continue  # there may be more due
        wakeup.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout=settings.worker_poll_seconds)
