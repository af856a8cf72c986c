"""The outbox worker: claim due messages, send them, record the outcome.

Claiming sets `locked_until` in a short transaction (FOR UPDATE SKIP LOCKED on PostgreSQL, so
several workers share the queue); sending happens outside any transaction; the outcome is a
second short transaction. A worker that dies mid-send leaves the lock to expire and the message
is sent again with the same Message-ID, so nothing is lost and receivers can drop the copy.
Webhook deliveries to data systems (kind `task_webhook`) go through the same queue, claims and
backoff, sent by dsr.fulfilment.webhook_sender with the same `webhook-id` on every attempt; so
do status callbacks to DRP agents (kind `drp_callback`, dsr.drp.callbacks)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import datetime, timedelta

import httpx
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.connectors.sql import messages as sql_messages
from dsr.connectors.sql import runner as sql_runner
from dsr.db.engine import dialect_name
from dsr.db.types import utcnow
from dsr.drp import callbacks as drp_callbacks
from dsr.fulfilment import webhook_sender, webhooks
from dsr.notifications import delivery
from dsr.notifications.delivery import describe_error
from dsr.notifications.models import OutboxMessage
from dsr.notifications.render import render
from dsr.notifications.sender import send
from dsr.settings import Settings

log = logging.getLogger("dsr.outbox")
# Sent over HTTP, concurrently, recorded together: task webhooks and DRP status callbacks.
_HTTP_KINDS = frozenset({webhooks.KIND, drp_callbacks.KIND})
LOCK = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


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


def _failure(
    msg: OutboxMessage, error: str, settings: Settings, now: datetime
) -> dict[str, object]:
    attempts = msg.attempts + 1
    dead = attempts >= settings.outbox_max_attempts or delivery.is_permanent(error)
    return {
        "status": "failed" if dead else "pending",
        "attempts": attempts,
        "next_attempt_at": now + backoff(attempts),
        "locked_until": None,
        "last_error": error[:500],
    }


async def _record(
    factory: async_sessionmaker[AsyncSession],
    outcomes: list[tuple[OutboxMessage, str | None]],
    settings: Settings,
    now: datetime | None = None,
) -> None:
    """The outcomes of sent messages (None: sent; else the error), in one short transaction:
    the sent ones in one statement, each failure on its own (its attempts and error differ),
    and each e-mail's outcome on its case's timeline. A timeline append that lost a race with
    another writer of the same case (the unique (case_id, seq)) is tried again: the outcome
    must be recorded, or the message would be sent again when its lock expires."""
    now = now or utcnow()
    for attempt in range(5):
        try:
            await _record_once(factory, outcomes, settings, now)
            return
        except IntegrityError:
            if attempt == 4:
                raise
            await asyncio.sleep(0.05 * (attempt + 1))


async def _record_once(
    factory: async_sessionmaker[AsyncSession],
    outcomes: list[tuple[OutboxMessage, str | None]],
    settings: Settings,
    now: datetime,
) -> None:
    sent = [m.id for m, error in outcomes if error is None]
    async with factory() as session, session.begin():
        if sent:
            await session.exec(
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_(sent))
                .values(
                    status="sent",
                    sent_at=now,
                    locked_until=None,
                    attempts=col(OutboxMessage.attempts) + 1,
                )
            )
        for msg, error in outcomes:
            values = _failure(msg, error, settings, now) if error is not None else {}
            if values:
                await session.exec(
                    update(OutboxMessage).where(col(OutboxMessage.id) == msg.id).values(**values)
                )
            status = str(values.get("status", "sent"))
            await delivery.on_outcome(session, msg, error, status, msg.attempts + 1, now)


async def dispatch_once(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    batch: int = 50,
    now: datetime | None = None,
    http: httpx.AsyncClient | None = None,
) -> tuple[int, int]:
    """Send what is due now (or at `now`: tests step over the backoff). Returns (sent, failed).
    `http` is the worker's long-lived client for webhook deliveries (one is made if absent)."""
    claimed = await claim(factory, batch, now)
    hooks = [m for m in claimed if m.kind in _HTTP_KINDS]
    sent = failed = 0
    for msg in claimed:
        if msg.kind in _HTTP_KINDS:
            continue
        if msg.kind == sql_messages.KIND:
            # dsr carries out an sql system's task itself (dsr.connectors.sql.runner); the
            # error it returns is retried with the outbox's backoff like any delivery.
            error = await sql_runner.run_task(factory, settings, uuid.UUID(msg.context["task_id"]))
            failed, sent = failed + (error is not None), sent + (error is None)
            await _record(factory, [(msg, error)], settings, now)
            continue
        try:
            await send(render(msg, settings), settings)
        except Exception as exc:  # any failure is retried later; the message is never dropped
            failed += 1
            log.warning(
                "outbox message %s failed (attempt %s): %s",
                msg.id,
                msg.attempts + 1,
                describe_error(exc).split(":")[0],  # the code only: the text may name someone
            )
            await _record(factory, [(msg, describe_error(exc))], settings, now)
        else:
            sent += 1
            await _record(factory, [(msg, None)], settings, now)
    if hooks:
        # Webhooks go out concurrently and are recorded together: one transaction a batch.
        errors = await _deliver_http(factory, settings, http, hooks)
        await _record(factory, [(m, errors[m.id or 0]) for m in hooks], settings, now)
        failed += sum(1 for e in errors.values() if e is not None)
        sent += sum(1 for e in errors.values() if e is None)
    if sent or failed:
        log.info("outbox: sent %s, failed %s", sent, failed)
    return sent, failed


async def _deliver_http(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    http: httpx.AsyncClient | None,
    hooks: list[OutboxMessage],
) -> dict[int, str | None]:
    """Task webhooks and DRP status callbacks of a batch; by outbox id, None or the error."""
    async with contextlib.AsyncExitStack() as stack:
        client = http if http is not None else await stack.enter_async_context(httpx.AsyncClient())
        tasks = [m for m in hooks if m.kind == webhooks.KIND]
        errors = await webhook_sender.deliver(factory, settings, client, tasks) if tasks else {}
        callbacks = [m for m in hooks if m.kind == drp_callbacks.KIND]
        if callbacks:
            errors.update(await drp_callbacks.deliver(factory, settings, client, callbacks))
    for msg in hooks:
        if errors[msg.id or 0] is not None:
            log.warning("%s %s failed (attempt %s)", msg.kind, msg.id, msg.attempts + 1)
    return errors


async def run_forever(
    factory: async_sessionmaker[AsyncSession], settings: Settings, wakeup: asyncio.Event
) -> None:
    async with httpx.AsyncClient() as http:  # kept open: connections to receivers are reused
        while True:
            try:
                sent, failed = await dispatch_once(factory, settings, http=http)
            except Exception:
                log.exception("outbox dispatch failed; retrying")
                sent = failed = 0
            if sent or failed:
                continue  # there may be more due
            wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), timeout=settings.worker_poll_seconds)
