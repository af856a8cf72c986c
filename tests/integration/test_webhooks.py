"""Webhook push: a webhook system's task is written to the outbox with the case's opening, sent
signed per Standard Webhooks (verified by the library's own Webhook.verify in a real receiver),
retried with the same webhook-id after a non-2xx, a timeout or an outage, acknowledged once, and
listed and retryable among failed notifications when the last attempt fails."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from dsr.settings import Settings
from tests.helpers import (
    REQUESTER,
    Mailbox,
    auth,
    deliver,
    free_port,
    login,
    make_staff,
    open_case,
)
from tests.receivers import Receiver, serving


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"webhook_timeout_seconds": 0.5, "outbox_max_attempts": 3}


async def register(
    client: httpx.AsyncClient, admin: str, port: int, name: str = "ledger"
) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/data-systems",
        json={
            "name": name,
            "owner_email": "ledger-owner@example.com",
            "request_types": ["access", "deletion"],
            "integration": "webhook",
            "webhook_url": f"http://127.0.0.1:{port}/hooks",
            "identities": ["email"],
        },
        headers=auth(admin),
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def skip_backoff(app: FastAPI) -> None:
    async with app.state.engine.begin() as conn:
        await conn.execute(
            sa.text(
                "UPDATE outbox_message SET next_attempt_at = created_at WHERE status = 'pending'"
            )
        )


async def webhook_row(app: FastAPI) -> tuple[str, int, str | None]:
    async with app.state.engine.connect() as conn:
        row = (
            await conn.execute(
                sa.text(
                    "SELECT status, attempts, last_error FROM outbox_message"
                    " WHERE kind = 'task_webhook'"
                )
            )
        ).one()
    return str(row[0]), int(row[1]), row[2]


async def test_task_is_pushed_signed_and_verified_by_the_library(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    port = free_port()
    system = await register(client, admin, port)
    receiver = Receiver(secret=system["signing_secret"])
    async with serving(receiver.app(), port):
        case_id = await open_case(client, app, mailbox, account_id="acct-77")
    case = (await client.get(f"/api/v1/cases/{case_id}", headers=auth(admin))).json()
    [(webhook_id, event)] = receiver.acknowledged.items()
    assert receiver.refused == 0
    assert event["type"] == "task.created"
    task = event["data"]
    assert task["case_reference"] == case["reference"]
    assert task["request_type"] == "access"
    assert task["status"] == "open"
    assert task["subject"] == {"email": REQUESTER, "account_id": None}  # only what it receives
    assert task["results_url"] == f"http://testserver/api/v1/tasks/{task['id']}/results"
    assert task["complete_url"] == f"http://testserver/api/v1/tasks/{task['id']}/complete"
    assert webhook_id.startswith("msg_")
    assert mailbox.to("ledger-owner@example.com") == []  # pushed, not e-mailed
    assert await webhook_row(app) == ("sent", 1, None)
    # The signature is what the receiver checked: another secret or a changed body fails.
    [arrival] = receiver.arrivals
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB").verify(arrival.body, arrival.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(system["signing_secret"]).verify(arrival.body + b" ", arrival.headers)


async def test_receiver_down_then_up_gets_the_task_once(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    port = free_port()  # nothing listens there yet: connections are refused
    system = await register(client, admin, port)
    await open_case(
        client, app, mailbox
    )  # its delivery run: the acknowledgement sent, the task not
    assert await webhook_row(app) == (
        "pending",
        1,
        "ledger: could not connect (refused or unreachable)",
    )
    await skip_backoff(app)
    assert await deliver(app) == (0, 1)
    assert await webhook_row(app) == (
        "pending",
        2,
        "ledger: could not connect (refused or unreachable)",
    )
    receiver = Receiver(secret=system["signing_secret"])
    async with serving(receiver.app(), port):
        await skip_backoff(app)
        assert await deliver(app) == (1, 0)
        await skip_backoff(app)
        assert await deliver(app) == (0, 0)
    assert len(receiver.arrivals) == 1
    assert len(receiver.acknowledged) == 1
    assert await webhook_row(app) == (
        "sent",
        3,
        "ledger: could not connect (refused or unreachable)",
    )


async def test_non_2xx_and_timeout_are_retried_with_the_same_webhook_id(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    port = free_port()
    system = await register(client, admin, port)
    receiver = Receiver(secret=system["signing_secret"], script=[503, 2.0])
    async with serving(receiver.app(), port):
        await open_case(client, app, mailbox)
        assert await webhook_row(app) == ("pending", 1, "ledger: HTTP 503 Service Unavailable")
        await skip_backoff(app)
        assert await deliver(app) == (0, 1)
        assert await webhook_row(app) == ("pending", 2, "ledger: no answer within 0.5 s")
        await skip_backoff(app)
        assert await deliver(app) == (1, 0)
    ids = [a.webhook_id for a in receiver.arrivals]
    assert len(ids) == 3
    assert len(set(ids)) == 1
    assert list(receiver.acknowledged) == ids[:1]
    assert receiver.refused == 0


async def test_failed_delivery_is_listed_with_the_system_and_retried_once(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    port = free_port()
    system = await register(client, admin, port)
    receiver = Receiver(secret=system["signing_secret"], script=[500] * 3)
    async with serving(receiver.app(), port):
        case_id = await open_case(client, app, mailbox)
        for _ in range(settings.outbox_max_attempts - 1):
            await skip_backoff(app)
            assert await deliver(app) == (0, 1)
        await skip_backoff(app)
        assert await deliver(app) == (0, 0)  # failed: no more attempts
        r = await client.get("/api/v1/notifications", headers=auth(admin))
        assert r.status_code == 200
        [failed] = r.json()
        assert failed["kind"] == "task_webhook"
        assert failed["status"] == "failed"
        assert failed["case_id"] == case_id
        assert failed["data_system"] == "ledger"
        assert failed["last_error"] == "ledger: HTTP 500 Internal Server Error"
        assert REQUESTER not in r.text
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            await login(c, "admin@example.com")
            page = await c.get("/console/notifications")
        assert page.status_code == 200
        assert "<td>ledger</td>" in page.text
        assert "ledger: HTTP 500 Internal Server Error" in page.text

        r = await client.post(f"/api/v1/notifications/{failed['id']}/retry", headers=auth(admin))
        assert r.status_code == 200
        assert await deliver(app) == (1, 0)
        assert await deliver(app) == (0, 0)
    assert len(receiver.arrivals) == 4
    assert len({a.webhook_id for a in receiver.arrivals}) == 1
    assert len(receiver.acknowledged) == 1
    assert (await webhook_row(app))[0] == "sent"
