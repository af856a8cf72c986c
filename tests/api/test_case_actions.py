"""Case work through POST /api/v1/cases/{id}/actions: the state machine, its guards, the
notices each step sends, and the clock."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dsr.i18n.catalogues import format_date
from tests.helpers import Mailbox, act, auth, body_text, deliver, make_staff, open_case

REQ = "requester@example.org"


@pytest.fixture
async def staff(app: FastAPI) -> dict[str, str]:
    return {
        "admin": await make_staff(app, "admin@example.com", "admin"),
        "handler": await make_staff(app, "handler@example.com", "handler"),
        "handler2": await make_staff(app, "handler2@example.com", "handler"),
        "reviewer": await make_staff(app, "reviewer@example.com", "reviewer"),
        "auditor": await make_staff(app, "auditor@example.com", "auditor"),
    }


async def get_case(client: httpx.AsyncClient, token: str, case_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def test_assign_then_work_to_fulfilment(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id = await open_case(client, app, mailbox)
    r = await act(client, staff["handler"], case_id, "assign", assignee="handler2@example.com")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_progress"
    assert r.json()["assignee"] == "handler2@example.com"
    case = await get_case(client, staff["handler"], case_id)
    assert case["status"] == "in_progress"
    assert case["assignee"] == "handler2@example.com"
    await deliver(app)
    assert "assigned to you" in mailbox.last_to("handler2@example.com")["Subject"]

    r = await act(client, staff["handler2"], case_id, "fulfil")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "fulfilled"
    await deliver(app)
    # An access request's decision is followed by the link to the requester's copy.
    decision, package = mailbox.to(REQ)[-2:]
    assert "Decision" in decision["Subject"]
    assert "We have done what you asked" in body_text(decision)
    assert "Your data is ready to download" in package["Subject"]


async def test_not_allowed_is_409_with_reason_and_missing_role_is_403(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id = await open_case(client, app, mailbox)
    r = await act(client, staff["handler"], case_id, "fulfil")
    assert r.status_code == 409
    assert "not allowed while the case is open" in r.json()["detail"]
    r = await act(client, staff["auditor"], case_id, "deny", reason_code="other", explanation="x")
    assert r.status_code == 403
    r = await act(client, staff["reviewer"], case_id, "deny", reason_code="other", explanation="x")
    assert r.status_code == 403
    r = await act(client, staff["reviewer"], case_id, "note", text="reviewers may add notes")
    assert r.status_code == 200
    r = await act(client, staff["handler"], case_id, "no_such_action")
    assert r.status_code == 422


async def test_assign_needs_a_handler(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id = await open_case(client, app, mailbox)
    r = await act(client, staff["handler"], case_id, "assign", assignee="auditor@example.com")
    assert r.status_code == 422
    assert "assignee" in r.json()["detail"]
    r = await act(client, staff["handler"], case_id, "assign", assignee="nobody@example.com")
    assert r.status_code == 422
    assert (await get_case(client, staff["handler"], case_id))["status"] == "open"


async def test_extend_needs_reason_once_and_where_allowed(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id = await open_case(client, app, mailbox, jurisdiction="US-CA")
    before = await get_case(client, staff["handler"], case_id)
    d = before["deadlines"]
    received = date.fromisoformat(before["received_at"][:10])
    assert (date.fromisoformat(d["respond_by"]) - received).days == 45  # 11 CCR 7021(b)
    assert (date.fromisoformat(d["extended_respond_by"]) - received).days == 90
    assert d["acknowledge_by"] is not None  # 10 business days, 11 CCR 7021(a)

    r = await act(client, staff["handler"], case_id, "extend")
    assert r.status_code == 422
    assert "reason" in r.json()["detail"]
    r = await act(
        client, staff["handler"], case_id, "extend", reason="Records are spread over many systems"
    )
    assert r.status_code == 200, r.text
    after = r.json()["deadlines"]
    assert after["extended"] is True
    assert after["respond_by"] == d["extended_respond_by"]
    await deliver(app)
    notice = mailbox.last_to(REQ)
    assert "more time" in notice["Subject"]
    assert "Records are spread over many systems" in body_text(notice)
    # Written the way English writes dates (README, "Languages"): 2 March 2027.
    assert format_date(after["respond_by"], "en") in body_text(notice)

    r = await act(client, staff["handler"], case_id, "extend", reason="again")
    assert r.status_code == 409
    assert "already extended" in r.json()["detail"]

    br = await open_case(client, app, mailbox, jurisdiction="BR", email="br@example.org")
    r = await act(client, staff["handler"], br, "extend", reason="complex")
    assert r.status_code == 409
    assert "no extension" in r.json()["detail"]


async def test_request_info_pauses_the_eu_clock(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id = await open_case(client, app, mailbox, jurisdiction="FR")
    await act(client, staff["handler"], case_id, "assign", assignee="handler@example.com")
    r = await act(
        client, staff["handler"], case_id, "request_info", reason="Please confirm your account ID"
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "awaiting_info"
    assert r.json()["clock_paused"] is True
    await deliver(app)
    assert "Please confirm your account ID" in body_text(mailbox.last_to(REQ))
    r = await act(client, staff["handler"], case_id, "info_received")
    assert r.status_code == 200
    assert r.json()["status"] == "in_progress"
    assert r.json()["clock_paused"] is False


async def test_gdpr_refusal_notice_names_authority_and_court(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id = await open_case(client, app, mailbox, jurisdiction="IE")
    r = await act(client, staff["handler"], case_id, "deny", reason_code="made_up", explanation="x")
    assert r.status_code == 422
    assert "reason_code" in r.json()["detail"]
    r = await act(
        client, staff["handler"], case_id, "deny", reason_code="manifestly_unfounded_or_excessive"
    )
    assert r.status_code == 422
    assert "explanation" in r.json()["detail"]
    r = await act(
        client,
        staff["handler"],
        case_id,
        "deny",
        reason_code="manifestly_unfounded_or_excessive",
        explanation="This is the 40th identical request this week.",
    )
    assert r.status_code == 200
    assert r.json()["status"] == "denied"
    await deliver(app)
    text = body_text(mailbox.last_to(REQ))
    assert "40th identical request" in text  # the reasons (GDPR Art 12(4))
    assert "supervisory authority" in text
    assert "judicial remedy" in text


async def test_us_state_refusal_carries_appeal_link(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id = await open_case(client, app, mailbox, jurisdiction="US-VA")
    r = await act(
        client,
        staff["handler"],
        case_id,
        "deny",
        reason_code="exception_applies",
        explanation="Legal hold.",
    )
    assert r.status_code == 200
    await deliver(app)
    text = body_text(mailbox.last_to(REQ))
    assert "right to appeal" in text
    assert f"/requests/{case_id}/appeal?token=" in text
    assert "Virginia" in text


async def test_tasks_block_fulfilment_until_closed(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    r = await client.post(
        "/api/v1/data-systems",
        json={
            "name": "warehouse",
            "owner_email": "owner@example.com",
            "categories": ["prompts"],
            "request_types": ["access", "deletion"],
        },
        headers=auth(staff["admin"]),
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        "/api/v1/data-systems",
        json={"name": "crm", "owner_email": "crm@example.com", "request_types": ["deletion"]},
        headers=auth(staff["handler"]),
    )
    assert r.status_code == 403  # only admins edit the registry
    case_id = await open_case(client, app, mailbox)
    assert "needs action in warehouse" in body_text(mailbox.last_to("owner@example.com"))
    assert REQ not in body_text(mailbox.last_to("owner@example.com"))  # no requester data by e-mail
    tasks = (
        await client.get(f"/api/v1/cases/{case_id}/tasks", headers=auth(staff["handler"]))
    ).json()
    assert [t["status"] for t in tasks] == ["open"]
    await act(client, staff["handler"], case_id, "assign", assignee="handler@example.com")
    r = await act(client, staff["handler"], case_id, "fulfil")
    assert r.status_code == 409
    assert "task" in r.json()["detail"]

    task_id = tasks[0]["id"]
    r = await client.post(
        f"/api/v1/cases/{case_id}/tasks/{task_id}",
        json={"status": "waived"},
        headers=auth(staff["handler"]),
    )
    assert r.status_code == 422
    from tests.fulfilment_helpers import make_system_token
    from tests.helpers import make_service_token

    systems = (await client.get("/api/v1/data-systems", headers=auth(staff["handler"]))).json()
    owner = await make_system_token(app, systems[0]["id"], "warehouse-owner")
    wrong = await make_service_token(app, "trainer", "training:read")
    assert (await client.get(f"/api/v1/tasks/{task_id}", headers=auth(wrong))).status_code == 403
    r = await client.get(f"/api/v1/tasks/{task_id}", headers=auth(owner))
    assert r.status_code == 200
    assert r.json()["subject"]["email"] == REQ
    r = await client.post(
        f"/api/v1/tasks/{task_id}/complete",
        json={"outcome": "done", "note": "exported"},
        headers=auth(owner),
    )
    assert r.status_code == 200
    assert r.json()["status"] == "done"
    r = await client.post(
        f"/api/v1/tasks/{task_id}/complete", json={"outcome": "done"}, headers=auth(owner)
    )
    assert r.status_code == 409
    r = await act(client, staff["handler"], case_id, "fulfil")
    assert r.status_code == 200, r.text


async def test_expected_version_detects_a_stale_form(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id = await open_case(client, app, mailbox)
    seen = (await get_case(client, staff["handler"], case_id))["version"]
    r = await act(
        client,
        staff["handler"],
        case_id,
        "assign",
        assignee="handler@example.com",
        expected_version=seen,
    )
    assert r.status_code == 200
    r = await act(
        client,
        staff["handler2"],
        case_id,
        "assign",
        assignee="handler2@example.com",
        expected_version=seen,
    )
    assert r.status_code == 409
    assert "changed by someone else" in r.json()["detail"]
    assert (await get_case(client, staff["handler"], case_id))["assignee"] == "handler@example.com"


async def test_duplicate_request_is_linked_not_worked_twice(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    first = await open_case(client, app, mailbox, type="deletion")
    second = await open_case(client, app, mailbox, type="deletion", email="REQUESTER@example.org ")
    case = await get_case(client, staff["handler"], second)
    assert case["status"] == "duplicate"
    assert case["duplicate_of"] == first
    events = (
        await client.get(f"/api/v1/cases/{first}/events", headers=auth(staff["handler"]))
    ).json()
    assert events[-1]["action"] == "duplicate_linked"
    other_type = await open_case(client, app, mailbox, type="access")
    assert (await get_case(client, staff["handler"], other_type))["status"] == "open"


async def test_bulk_assign_and_deny_report_per_item(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    a = await open_case(client, app, mailbox, email="a@example.org")
    b = await open_case(client, app, mailbox, email="b@example.org")
    await act(client, staff["handler"], b, "withdraw")
    r = await client.post(
        "/api/v1/cases/bulk",
        json={"case_ids": [a, b], "action": "assign", "assignee": "handler@example.com"},
        headers=auth(staff["handler"]),
    )
    assert r.status_code == 200, r.text
    res = {x["case_id"]: x for x in r.json()["results"]}
    assert res[a]["ok"]
    assert res[a]["new_status"] == "in_progress"
    assert not res[b]["ok"]
    assert res[b]["status"] == 409
    r = await client.post(
        "/api/v1/cases/bulk",
        json={"case_ids": [a], "action": "deny", "reason_code": "other", "explanation": "Spam"},
        headers=auth(staff["auditor"]),
    )
    assert r.status_code == 403
