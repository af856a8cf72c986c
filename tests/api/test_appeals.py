"""Appeals (issue 4): a refused requester appeals with their status link; a reviewer other
than the original decider decides by the appeal deadline; the outcome notice carries what the
law requires."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dsr.cases.sweep import sweep
from dsr.notifications.models import OutboxMessage
from dsr.settings import Settings
from tests.helpers import (
    REQUESTER,
    Mailbox,
    act,
    auth,
    body_text,
    deliver,
    file_appeal,
    link_in,
    make_staff,
    open_case,
    refused_case,
    token_of,
)


@pytest.fixture
async def staff(app: FastAPI) -> dict[str, str]:
    return {
        "decider": await make_staff(app, "decider@example.com", "admin"),
        "handler": await make_staff(app, "handler@example.com", "handler"),
        "rev1": await make_staff(app, "rev1@example.com", "reviewer"),
        "rev2": await make_staff(app, "rev2@example.com", "reviewer"),
    }


async def test_appeal_is_routed_decided_and_explained(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id, token = await refused_case(client, app, mailbox, staff)
    page = await client.get(f"/requests/{case_id}/appeal", params={"token": token})
    assert page.status_code == 200
    assert "Send my appeal" in page.text

    r = await file_appeal(client, case_id, token)
    assert r.status_code == 201, r.text
    appeal = r.json()
    received = date.fromisoformat(appeal["received_date"])
    assert date.fromisoformat(appeal["respond_by"]) == received + timedelta(
        days=60
    )  # Va. Code 59.1-577
    await deliver(app)
    assert "received your appeal" in mailbox.last_to(REQUESTER)["Subject"]
    assert mailbox.to("rev1@example.com")
    assert mailbox.to("rev2@example.com")
    assert not mailbox.to("decider@example.com")  # never routed to the original decider

    status = (await client.get(f"/api/v1/requests/{case_id}", params={"token": token})).json()
    assert status["status"] == "appealed"
    assert status["appeal"]["respond_by"] == appeal["respond_by"]
    html = await client.get(f"/requests/{case_id}", params={"token": token})
    assert "Your appeal" in html.text

    appeal_id = appeal["id"]
    r = await client.post(
        f"/api/v1/appeals/{appeal_id}/actions",
        json={"action": "assign", "assignee": "decider@example.com"},
        headers=auth(staff["rev1"]),
    )
    assert r.status_code == 422  # the original decider may not review it
    r = await client.post(
        f"/api/v1/appeals/{appeal_id}/actions",
        json={"action": "assign", "assignee": "rev1@example.com"},
        headers=auth(staff["rev1"]),
    )
    assert r.status_code == 200
    assert r.json()["status"] == "appeal_in_review"
    assert r.json()["case"]["status"] == "appeal_in_review"

    r = await client.post(
        f"/api/v1/appeals/{appeal_id}/actions",
        json={"action": "uphold", "explanation": "x"},
        headers=auth(staff["decider"]),
    )
    assert r.status_code == 403
    assert "original decision" in r.json()["detail"]
    r = await client.post(
        f"/api/v1/appeals/{appeal_id}/actions",
        json={"action": "uphold", "explanation": "x"},
        headers=auth(staff["handler"]),
    )
    assert r.status_code == 403
    r = await client.post(
        f"/api/v1/appeals/{appeal_id}/actions",
        json={"action": "uphold"},
        headers=auth(staff["rev1"]),
    )
    assert r.status_code == 422

    r = await client.post(
        f"/api/v1/appeals/{appeal_id}/actions",
        json={"action": "uphold", "explanation": "The hold was ordered by a court on 3 May."},
        headers=auth(staff["rev1"]),
    )
    assert r.status_code == 200
    assert r.json()["status"] == "appeal_upheld"
    assert r.json()["case"]["status"] == "appeal_upheld"
    await deliver(app)
    outcome = body_text(mailbox.last_to(REQUESTER))
    assert "ordered by a court on 3 May" in outcome
    assert "complain to the Virginia Office of the Attorney General" in outcome

    events = (
        await client.get(f"/api/v1/cases/{case_id}/events", headers=auth(staff["rev1"]))
    ).json()
    assert [e["action"] for e in events if not e["action"].startswith("message_")][-4:] == [
        "deny",
        "appeal",
        "appeal_assign",
        "appeal_uphold",
    ]
    r = await file_appeal(client, case_id, token)
    assert r.status_code == 409  # nothing left to appeal


async def test_overturn_reopens_with_the_appeal_deadline(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id, token = await refused_case(client, app, mailbox, staff, jurisdiction="US-OR")
    appeal = (await file_appeal(client, case_id, token)).json()
    assert (
        date.fromisoformat(appeal["respond_by"]) - date.fromisoformat(appeal["received_date"])
    ).days == 45
    await client.post(
        f"/api/v1/appeals/{appeal['id']}/actions",
        json={"action": "assign", "assignee": "rev2@example.com"},
        headers=auth(staff["rev2"]),
    )
    r = await client.post(
        f"/api/v1/appeals/{appeal['id']}/actions",
        json={"action": "overturn", "explanation": "The hold ended last month."},
        headers=auth(staff["rev2"]),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "overturned"
    assert r.json()["case"]["status"] == "in_progress"
    case = (await client.get(f"/api/v1/cases/{case_id}", headers=auth(staff["handler"]))).json()
    assert case["deadlines"]["respond_by"] == appeal["respond_by"]
    await deliver(app)
    assert "changed our decision" in body_text(mailbox.last_to(REQUESTER))
    r = await act(client, staff["handler"], case_id, "fulfil")
    assert r.status_code == 200, r.text


async def test_bad_tokens_and_unrefused_requests(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    import uuid

    case_id, token = await refused_case(client, app, mailbox, staff)
    forged = await file_appeal(client, case_id, "f" * 64)
    unknown = await file_appeal(client, str(uuid.uuid4()), token)
    assert forged.status_code == unknown.status_code == 404
    assert forged.json()["detail"] == unknown.json()["detail"]
    other_id, _ = await refused_case(client, app, mailbox, staff, email="other@example.org")
    assert (await file_appeal(client, other_id, token)).status_code == 404  # someone else's request

    ok_id = await open_case(client, app, mailbox, jurisdiction="US-VA", email="happy@example.org")
    await act(client, staff["handler"], ok_id, "assign", assignee="handler@example.com")
    await act(client, staff["handler"], ok_id, "fulfil")
    await deliver(app)
    decision = mailbox.to("happy@example.org")[-2]  # the last is the access package's link
    ok_token = token_of(link_in(decision, f"/requests/{ok_id}?token="))
    r = await file_appeal(client, ok_id, ok_token)
    assert r.status_code == 409
    assert "not allowed while the case is fulfilled" in r.json()["detail"]

    async with app.state.engine.begin() as conn:  # the decision was made long ago
        await conn.execute(
            sa.text("UPDATE case_record SET decided_at = :t"),
            {"t": datetime.now(UTC) - timedelta(days=400)},
        )
    r = await file_appeal(client, case_id, token)
    assert r.status_code == 409
    assert "appeal period has ended" in r.json()["detail"]
    page = await client.get(f"/requests/{case_id}/appeal", params={"token": token})
    assert "time to appeal this decision has ended" in page.text


async def test_internal_review_where_the_law_grants_no_appeal(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    staff: dict[str, str],
    settings: Settings,
) -> None:
    case_id, token = await refused_case(client, app, mailbox, staff, jurisdiction="DE")
    r = await file_appeal(client, case_id, token)
    assert r.status_code == 201
    appeal = r.json()
    assert (
        date.fromisoformat(appeal["respond_by"]) - date.fromisoformat(appeal["received_date"])
    ).days == (settings.internal_review_days)
    detail = (
        await client.get(f"/api/v1/appeals/{appeal['id']}", headers=auth(staff["rev1"]))
    ).json()
    assert detail["statutory"] is False
    assert detail["original_decider"] == "decider@example.com"


async def test_colorado_appeal_extension(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id, token = await refused_case(client, app, mailbox, staff, jurisdiction="US-CO")
    appeal = (await file_appeal(client, case_id, token)).json()
    url = f"/api/v1/appeals/{appeal['id']}/actions"
    r = await client.post(url, json={"action": "extend"}, headers=auth(staff["rev1"]))
    assert r.status_code == 422
    r = await client.post(
        url, json={"action": "extend", "reason": "Many systems"}, headers=auth(staff["rev1"])
    )
    assert r.status_code == 200, r.text
    d = r.json()["deadlines"]
    received = date.fromisoformat(appeal["received_date"])
    assert d["extended"]
    assert date.fromisoformat(d["respond_by"]) == received + timedelta(days=105)
    r = await client.post(
        url, json={"action": "extend", "reason": "again"}, headers=auth(staff["rev1"])
    )
    assert r.status_code == 409

    va_id, va_token = await refused_case(client, app, mailbox, staff, email="va@example.org")
    va = (await file_appeal(client, va_id, va_token)).json()
    r = await client.post(
        f"/api/v1/appeals/{va['id']}/actions",
        json={"action": "extend", "reason": "x"},
        headers=auth(staff["rev1"]),
    )
    assert r.status_code == 409
    assert "no extension" in r.json()["detail"]


async def test_two_reviewers_deciding_at_once(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id, token = await refused_case(client, app, mailbox, staff)
    appeal = (await file_appeal(client, case_id, token)).json()
    url = f"/api/v1/appeals/{appeal['id']}/actions"
    await client.post(
        url, json={"action": "assign", "assignee": "rev1@example.com"}, headers=auth(staff["rev1"])
    )
    r1, r2 = await asyncio.gather(
        client.post(
            url, json={"action": "uphold", "explanation": "stands"}, headers=auth(staff["rev1"])
        ),
        client.post(
            url, json={"action": "overturn", "explanation": "wrong"}, headers=auth(staff["rev2"])
        ),
    )
    assert sorted([r1.status_code, r2.status_code]) == [200, 409], (r1.text, r2.text)


async def test_appeals_queue_and_reminders(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    staff: dict[str, str],
    settings: Settings,
) -> None:
    case_id, token = await refused_case(client, app, mailbox, staff)
    appeal = (await file_appeal(client, case_id, token)).json()
    r = await client.get("/api/v1/appeals", headers=auth(staff["rev1"]))
    assert r.status_code == 200
    assert [a["id"] for a in r.json()["items"]] == [appeal["id"]]
    due = date.fromisoformat(appeal["respond_by"])
    result = await sweep(
        app.state.sessionmaker, settings, datetime.combine(due - timedelta(days=1), time(12), UTC)
    )
    assert result["reminded"] >= 1
    async with app.state.engine.connect() as conn:
        rows = (
            (
                await conn.execute(
                    # The recipient is sealed at rest: typed columns, not raw SQL.
                    sa.select(OutboxMessage.__table__.c.recipient).where(  # type: ignore[attr-defined]
                        OutboxMessage.__table__.c.kind == "deadline_approaching"  # type: ignore[attr-defined]
                    )
                )
            )
            .scalars()
            .all()
        )
    assert sorted(rows) == ["rev1@example.com", "rev2@example.com"]
