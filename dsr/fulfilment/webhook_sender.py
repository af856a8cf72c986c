"""Sending claimed webhook deliveries with httpx (called by dsr.notifications.dispatcher).

A 2xx acknowledges; any other answer, a timeout or a refused connection is an error the
dispatcher retries with the outbox's backoff. Errors are plain words with the system's name and
the HTTP status ("crm: HTTP 503 Service Unavailable"), never an exception's name or the body
the receiver sent, which could quote the requester."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.data_system_models import CaseTask, DataSystem
from dsr.cases.data_systems import signing_secret
from dsr.cases.models import Case
from dsr.db.types import utcnow
from dsr.domain.vocabulary import Integration
from dsr.fulfilment.webhooks import SignedRequest, body_of, sign, webhook_id
from dsr.notifications.models import OutboxMessage
from dsr.settings import Settings

# Deliveries of one batch in flight at once: enough to keep one worker at hundreds a second on
# a fast receiver, few enough that a slow one sees a handful of connections, not a flood.
CONCURRENCY = 16

ANSWER_BYTES = 64 * 1024

Target = tuple[CaseTask, DataSystem, Case]


class DeliveryError(Exception):
    """Why one attempt failed, in words an admin can act on."""


async def _targets(session: AsyncSession, task_ids: list[uuid.UUID]) -> dict[uuid.UUID, Target]:
    stmt = (
        select(CaseTask, DataSystem, Case)
        .join(DataSystem, col(DataSystem.id) == col(CaseTask.data_system_id))
        .join(Case, col(Case.id) == col(CaseTask.case_id))
        .where(col(CaseTask.id).in_(task_ids))
    )
    return {t.id: (t, s, c) for t, s, c in (await session.exec(stmt)).all()}


def _request(settings: Settings, msg: OutboxMessage, target: Target | None) -> SignedRequest:
    if target is None:
        raise DeliveryError("the task no longer exists")
    task, system, case = target
    secret = signing_secret(settings, system)
    if system.integration != Integration.WEBHOOK or not system.webhook_url or secret is None:
        raise DeliveryError(f"{system.name}: no longer registered as a webhook system")
    return sign(
        secret=secret,
        msg_id=webhook_id(msg),
        body=body_of(task, system, case, settings.base_url),
        url=system.webhook_url,
        sent_at=utcnow(),
    )


async def post_once(
    client: httpx.AsyncClient,
    *,
    url: str,
    body: bytes,
    headers: dict[str, str],
    name: str,
    seconds: float,
) -> None:
    """One POST of an outbox delivery (a webhook, a DRP callback): returns on a 2xx, raises
    DeliveryError with the failure in words (named `name`) on anything else."""
    try:
        async with client.stream("POST", url, content=body, headers=headers, timeout=seconds) as r:
            status, reason = r.status_code, r.reason_phrase
            # The answer's body is not needed, nor trusted: read a little of it so the
            # connection can be reused, and drop the connection when there is more.
            read = 0
            async for chunk in r.aiter_raw():
                read += len(chunk)
                if read > ANSWER_BYTES:
                    break
    except httpx.TimeoutException:
        raise DeliveryError(f"{name}: no answer within {seconds:g} s") from None
    except httpx.ConnectError:
        raise DeliveryError(f"{name}: could not connect (refused or unreachable)") from None
    except httpx.HTTPError:
        raise DeliveryError(f"{name}: the connection failed before an answer") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"{name}: HTTP {status} {reason}".rstrip())


async def deliver(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    client: httpx.AsyncClient,
    messages: Sequence[OutboxMessage],
) -> dict[int, str | None]:
    """Send each claimed delivery once; returns, by outbox id, None (acknowledged) or the error."""
    task_ids = [uuid.UUID(m.context["task_id"]) for m in messages]
    async with factory() as session, session.begin():
        targets = await _targets(session, task_ids)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(msg: OutboxMessage, task_id: uuid.UUID) -> tuple[int, str | None]:
        assert msg.id is not None
        target = targets.get(task_id)
        try:
            req = _request(settings, msg, target)
            assert target is not None  # _request refused a missing one
            async with gate:
                await post_once(
                    client,
                    url=req.url,
                    body=req.body,
                    headers=dict(req.headers),
                    name=target[1].name,
                    seconds=settings.webhook_timeout_seconds,
                )
        except DeliveryError as exc:
            return msg.id, str(exc)
        return msg.id, None

    results = await asyncio.gather(*(one(m, t) for m, t in zip(messages, task_ids, strict=True)))
    return dict(results)
