"""Issue 14, item 1: a case is acknowledged when the mail server accepted the acknowledgement,
not when it was queued; each e-mail's delivery is on the case timeline (sent, retrying, failed
and why), and a delivery problem shows on the case page, in the queue and in the navigation."""

from __future__ import annotations

import re
import uuid

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from dsr.audit import verify_all
from dsr.cases.models import Case
from dsr.settings import Settings
from tests.helpers import (
    REQUESTER,
    Console,
    Mailbox,
    csrf_in,
    deliver,
    events,
    link_in,
    token_of,
)

NAV_COUNT = re.compile(r'id="nav-delivery"[^>]*>Delivery problems <span class="count[^"]*">(\d+)<')


def _nav_count(html: str) -> int:
    match = NAV_COUNT.search(html)
    assert match, "no delivery-problem count in the navigation"
    return int(match.group(1))


async def _verified_case(client: httpx.AsyncClient, app: FastAPI, mailbox: Mailbox) -> str:
    """A Californian request, verified while the requester's server refuses mail: the
    acknowledgement is queued by the verification, and then the worker tries it."""
    r = await client.post(
        "/api/v1/requests",
        json={
            "type": "access",
            "jurisdiction": "US-CA",
            "email": REQUESTER,
            "full_name": "Rosa Requester",
        },
    )
    assert r.status_code == 201, r.text
    case_id = str(r.json()["id"])
    await deliver(app)
    link = link_in(mailbox.last_to(REQUESTER), f"/requests/{case_id}/verify")
    mailbox.refuse = True
    r = await client.post(f"/api/v1/requests/{case_id}/verify", json={"token": token_of(link)})
    assert r.status_code == 200, r.text
    return case_id


async def _acknowledged_at(app: FastAPI, case_id: str) -> object:
    async with app.state.sessionmaker() as s:
        case = await s.get(Case, uuid.UUID(case_id))
        assert case is not None
        return case.acknowledged_at


async def _skip_backoff(app: FastAPI) -> None:
    async with app.state.engine.begin() as conn:
        await conn.execute(sa.text("UPDATE outbox_message SET next_attempt_at = created_at"))


async def test_refused_acknowledgement_is_not_acknowledged_and_is_shown(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings, console: Console
) -> None:
    case_id = await _verified_case(client, app, mailbox)
    assert await deliver(app) == (0, 1)  # the server answered 451
    assert await _acknowledged_at(app, case_id) is None
    assert (await events(app, case_id, deliveries=True))[-1] == "message_retrying"

    admin = await console("admin")
    page = await admin.get(f"/console/cases/{case_id}")
    assert page.status_code == 200
    assert "not yet acknowledged" in page.text
    assert "acknowledged " not in page.text.replace("not yet acknowledged", "")
    assert 'id="delivery-warning"' in page.text
    assert "Acknowledgement: being retried" in page.text
    assert "E-mail not delivered yet: will be tried again" in page.text
    assert "SMTP 451: try again later" in page.text
    assert "Acknowledgement to the requester" in page.text
    assert REQUESTER not in page.text.split('id="h-request"')[0]  # not in the banner
    assert _nav_count(page.text) == 1

    queue = await admin.get("/console?delivery=problem&status=all")
    assert queue.status_code == 200
    assert f'href="/console/cases/{case_id}"' in queue.text
    assert "delivery problem" in queue.text
    empty = await admin.get("/console?delivery=problem&status=denied")
    assert f'href="/console/cases/{case_id}"' not in empty.text

    for _ in range(settings.outbox_max_attempts - 1):
        await _skip_backoff(app)
        assert await deliver(app) == (0, 1)
    assert (await events(app, case_id, deliveries=True))[-1] == "message_failed"
    assert await _acknowledged_at(app, case_id) is None

    failed = await admin.get("/console/notifications")
    assert failed.status_code == 200
    reference = re.search(r"DSR-[A-Z0-9]{4}-[A-Z0-9]{4}", page.text)
    assert reference
    assert reference.group(0) in failed.text
    assert "Acknowledgement" in failed.text
    assert "SMTP 451: try again later" in failed.text
    assert "SMTPDataError" not in failed.text
    assert REQUESTER not in failed.text
    page = await admin.get(f"/console/cases/{case_id}")
    assert "Acknowledgement: given up after" in page.text

    # The admin sends it again once the server takes mail: now the case is acknowledged.
    mailbox.refuse = False
    message_id = re.search(r'action="/console/notifications/(\d+)/retry"', failed.text)
    assert message_id
    r = await admin.post(
        f"/console/notifications/{message_id.group(1)}/retry",
        data={"csrf_token": csrf_in(failed.text)},
    )
    assert r.status_code == 303
    assert await deliver(app) == (1, 0)
    assert await _acknowledged_at(app, case_id) is not None
    assert (await events(app, case_id, deliveries=True))[-1] == "message_sent"
    page = await admin.get(f"/console/cases/{case_id}")
    assert 'id="delivery-warning"' not in page.text
    assert "(accepted by the mail server)" in page.text
    assert _nav_count(page.text) == 0
    assert (await verify_all(app.state.engine)).ok


async def test_permanent_refusal_fails_at_once_without_the_address(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, console: Console
) -> None:
    mailbox.refusal = f"550 5.1.1 <{REQUESTER}>: Recipient address rejected"
    case_id = await _verified_case(client, app, mailbox)
    assert await deliver(app) == (0, 1)
    assert await deliver(app) == (0, 0)  # not retried: a 5xx answer is final
    assert (await events(app, case_id, deliveries=True))[-1] == "message_failed"
    assert await _acknowledged_at(app, case_id) is None
    async with app.state.engine.connect() as conn:
        status, error = (
            await conn.execute(
                sa.text("SELECT status, last_error FROM outbox_message WHERE kind = :k"),
                {"k": "acknowledgement"},
            )
        ).one()
    assert status == "failed"
    assert error == "SMTP 550: 5.1.1 [address]: Recipient address rejected"
    admin = await console("admin")
    page = await admin.get(f"/console/cases/{case_id}")
    assert "refused it permanently (SMTP 550" in page.text
    assert (await verify_all(app.state.engine)).ok


async def test_accepted_acknowledgement_acknowledges_the_case(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    case_id = await _verified_case(client, app, mailbox)
    mailbox.refuse = False
    assert await _acknowledged_at(app, case_id) is None  # queued is not acknowledged
    assert await deliver(app) == (1, 0)
    assert await _acknowledged_at(app, case_id) is not None
    assert (await events(app, case_id, deliveries=True))[-2:] == ["verify", "message_sent"]
