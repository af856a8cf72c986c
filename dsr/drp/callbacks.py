"""Status callbacks (spec §2.03): when a DRP request's case changes, its new Exercise Status
object is POSTed to the agent's `status_callback`.

Never lost: the outbox row is written in the transaction that changes the case, so a committed
change always has its callback, and the worker retries it with the outbox's backoff until a
2xx. Never doubled: one row per timeline event (dedup key), and every attempt of a row carries
the same `DRP-Callback-Id` header, so an agent that acknowledged a copy can drop the next. The
body is the status as it was at that event (sealed in the outbox row; it names no consumer)."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import uuid
from collections.abc import Sequence
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.models import Case
from dsr.credentials import sha256_hex
from dsr.domain.vocabulary import Channel
from dsr.drp.models import DrpRequest
from dsr.drp.status import status_object
from dsr.fulfilment.webhook_sender import DeliveryError, post_once
from dsr.notifications.models import OutboxMessage
from dsr.notifications.outbox import Message, enqueue_many
from dsr.settings import Settings

KIND = "drp_callback"  # dsr.notifications.catalogue.DELIVERY_KINDS
HEADER = "DRP-Callback-Id"
CONCURRENCY = 8


async def after_change(
    session: AsyncSession, settings: Settings, case: Case, seq: int | str
) -> None:
    """Queue the callback of a case change (seq: the timeline event that recorded it, or the
    appeal step a case mirrors)."""
    if case.channel != Channel.AGENT:
        return  # only agents' cases can come from the protocol: no query for the others
    drp = (await session.exec(select(DrpRequest).where(DrpRequest.case_id == case.id))).first()
    if drp is None or not drp.status_callback:
        return
    body = status_object(drp, case, settings.base_url)
    message = Message(
        KIND,
        str(drp.id),
        f"{KIND}:{drp.id}:{seq}",
        {"request_id": str(drp.id), "reference": case.reference, "status": body},
        case.id,
    )
    await enqueue_many(session, [message])


def callback_id(msg: OutboxMessage) -> str:
    """The same on every attempt of one callback, different for each callback."""
    return f"drp_{msg.id}_{sha256_hex(msg.dedup_key)[:16]}"


async def _targets(
    factory: async_sessionmaker[AsyncSession], messages: Sequence[OutboxMessage]
) -> dict[str, str | None]:
    ids = []
    for m in messages:
        try:
            ids.append(uuid.UUID(m.recipient))
        except ValueError:
            continue
    async with factory() as session, session.begin():
        rows = (await session.exec(select(DrpRequest).where(col(DrpRequest.id).in_(ids)))).all()
    return {str(r.id): r.status_callback for r in rows}


async def refuse_private_address(url: str) -> None:
    """Every address the callback's host resolves to must be public (see
    Settings.drp_callback_private_hosts); checked before each attempt, as DNS may change."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    if not host:
        raise RuntimeError("agent callback: the address has no host")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise RuntimeError("agent callback: its host name does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise RuntimeError(
                "agent callback: refused, its host is not a public address "
                "(DSR_DRP_CALLBACK_PRIVATE_HOSTS allows it)"
            )


async def _post(client: httpx.AsyncClient, msg: OutboxMessage, url: str, seconds: float) -> None:
    body = json.dumps(msg.context.get("status", {}), separators=(",", ":")).encode()
    headers = {
        "content-type": "application/json",
        "user-agent": "dsr-drp",
        HEADER: callback_id(msg),
    }
    # The answer is discarded (spec §2.03.1); failures are worded as a webhook's are.
    await post_once(
        client, url=url, body=body, headers=headers, name="agent callback", seconds=seconds
    )


async def deliver(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    client: httpx.AsyncClient,
    messages: Sequence[OutboxMessage],
) -> dict[int, str | None]:
    """Send each claimed callback once; by outbox id, None (acknowledged) or the error."""
    urls = await _targets(factory, messages)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(msg: OutboxMessage) -> tuple[int, str | None]:
        assert msg.id is not None
        url = urls.get(msg.recipient)
        if not url:
            return msg.id, "agent callback: the request no longer has a status_callback"
        try:
            async with gate:
                if not settings.drp_callback_private_hosts:
                    await refuse_private_address(url)
                await _post(client, msg, url, settings.webhook_timeout_seconds)
        except (RuntimeError, DeliveryError) as exc:
            return msg.id, str(exc)
        return msg.id, None

    return dict(await asyncio.gather(*(one(m) for m in messages)))
