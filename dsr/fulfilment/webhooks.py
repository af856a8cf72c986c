"""Webhook push (Standard Webhooks): what one delivery of a task is, and how it is signed.

A webhook system's task is delivered through the outbox: `delivery_message` is written in the
transaction that opens the case (dsr.cases.data_systems.create_for_case), and the worker sends it
(dsr.fulfilment.webhook_sender). The body is built when sent, from the task as it is then; the
signature is made with the maintained `standardwebhooks` package, never by hand."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from math import floor

from standardwebhooks import Webhook

from dsr.cases.data_system_models import CaseTask, DataSystem
from dsr.cases.models import Case
from dsr.credentials import sha256_hex
from dsr.fulfilment.presenters import system_task
from dsr.notifications.models import OutboxMessage
from dsr.notifications.outbox import Message

KIND = "task_webhook"  # dsr.notifications.catalogue.DELIVERY_KINDS
EVENT_TYPE = "task.created"


def delivery_message(task: CaseTask, system: DataSystem, case: Case) -> Message:
    """The outbox row for one task. The recipient is the system's id (its URL and secret are
    read when sending, so an edit or a rotated secret applies to retries); the context carries
    no personal data, only what the failed-notifications page shows."""
    return Message(
        kind=KIND,
        recipient=str(system.id),
        dedup_key=f"{KIND}:{task.id}",
        case_id=case.id,
        context={"task_id": str(task.id), "system": system.name, "reference": case.reference},
    )


def webhook_id(msg: OutboxMessage) -> str:
    """Stable across every retry of one delivery (Standard Webhooks' idempotency key), so a
    receiver drops a copy it acknowledged already."""
    return f"msg_dsr{msg.id}_{sha256_hex(msg.dedup_key)[:16]}"


@dataclass(frozen=True)
class SignedRequest:
    url: str
    headers: dict[str, str]
    body: bytes


def body_of(task: CaseTask, system: DataSystem, case: Case, base_url: str) -> str:
    """The delivery's JSON text: `timestamp` is when the task was created, so it is the same on
    every retry while the task is unchanged."""
    event = {
        "type": EVENT_TYPE,
        "timestamp": task.created_at.astimezone(UTC).isoformat(),
        "data": system_task(task, system, case, base_url).model_dump(mode="json"),
    }
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def sign(*, secret: str, msg_id: str, body: str, url: str, sent_at: datetime) -> SignedRequest:
    """Headers of one attempt. `sent_at` is the real clock: receivers refuse a timestamp more
    than five minutes away from theirs, so each attempt is signed afresh."""
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=sent_at, data=body)
    headers = {
        "content-type": "application/json",
        "user-agent": "dsr-webhooks",
        "webhook-id": msg_id,
        "webhook-timestamp": str(floor(sent_at.timestamp())),
        "webhook-signature": signature,
    }
    return SignedRequest(url=url, headers=headers, body=body.encode())
