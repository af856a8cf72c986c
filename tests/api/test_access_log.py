"""The access log (issue 12, item 13): every staff view of a case's personal data is recorded as
who, when and what, in the view's own transaction; admins and auditors read it over the API
and on the case page's tab; listings without personal data (the queue) log nothing."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import (
    REQUESTER,
    Console,
    Mailbox,
    auth,
    count,
    csrf_in,
    file_appeal,
    make_staff,
    open_case,
    refused_case,
)


async def log_of(client: httpx.AsyncClient, token: str, case_id: str) -> list[tuple[str, str]]:
    r = await client.get(f"/api/v1/cases/{case_id}/access-log", headers=auth(token))
    assert r.status_code == 200, r.text
    return [(e["actor"], e["kind"]) for e in r.json()]


async def test_each_view_of_personal_data_is_logged_with_who_and_what(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, console: Console
) -> None:
    auditor = await make_staff(app, "auditor@example.com", "auditor")
    handler = await make_staff(app, "handler@example.com", "handler")
    case_id = await open_case(client, app, mailbox)
    other = await open_case(client, app, mailbox, email="other@example.org")
    assert await log_of(client, auditor, case_id) == []  # intake and verification are no views

    r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(handler))
    assert r.json()["email"] == REQUESTER
    await client.get(f"/api/v1/cases/{case_id}/events", headers=auth(handler))
    reviewer = await console("reviewer")
    assert (await reviewer.get(f"/console/cases/{case_id}")).status_code == 200
    # The queue shows no requester data: any number of views logs nothing.
    for _ in range(3):
        assert (await reviewer.get("/console")).status_code == 200
        await client.get("/api/v1/cases", headers=auth(handler))
    page = await reviewer.get("/console")
    r = await reviewer.post(
        "/console/search", data={"email": REQUESTER, "csrf_token": csrf_in(page.text)}
    )
    assert r.status_code == 200

    entries = await log_of(client, auditor, case_id)
    assert entries == [
        ("reviewer@example.com", "console_search"),
        ("reviewer@example.com", "console_case"),
        ("handler@example.com", "api_timeline"),
        ("handler@example.com", "api_case"),
    ]
    assert await log_of(client, auditor, other) == []
    # Reading the log is no view of the requester's data: the log did not grow.
    assert len(await log_of(client, auditor, case_id)) == 4
    full = (await client.get(f"/api/v1/cases/{case_id}/access-log", headers=auth(auditor))).json()
    assert set(full[0]) == {"viewed_at", "actor", "user_id", "kind"}
    assert full[0]["viewed_at"] >= full[-1]["viewed_at"]


async def test_only_admins_and_auditors_read_the_log(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, console: Console
) -> None:
    case_id = await open_case(client, app, mailbox)
    url = f"/api/v1/cases/{case_id}/access-log"
    for role in ("handler", "reviewer"):
        token = await make_staff(app, f"api-{role}@example.com", role)
        assert (await client.get(url, headers=auth(token))).status_code == 403
    admin = await make_staff(app, "admin@example.com", "admin")
    assert (await client.get(url, headers=auth(admin))).status_code == 200
    assert (await client.get(url)).status_code == 401
    missing = f"/api/v1/cases/{uuid.uuid4()}/access-log"
    assert (await client.get(missing, headers=auth(admin))).status_code == 404

    auditor = await console("auditor")
    page = await auditor.get(f"/console/cases/{case_id}")
    assert f'href="/console/cases/{case_id}/access-log"' in page.text
    tab = await auditor.get(f"/console/cases/{case_id}/access-log")
    assert tab.status_code == 200
    assert "auditor@example.com" in tab.text
    assert "the case page in the console" in tab.text
    handler = await console("handler")
    page = await handler.get(f"/console/cases/{case_id}")
    assert "/access-log" not in page.text
    assert (await handler.get(f"/console/cases/{case_id}/access-log")).status_code == 403


async def test_a_failed_view_logs_nothing(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    handler = await make_staff(app, "handler@example.com", "handler")
    await open_case(client, app, mailbox)
    r = await client.get(f"/api/v1/cases/{uuid.uuid4()}", headers=auth(handler))
    assert r.status_code == 404
    assert await count(app, "case_access") == 0


@pytest.mark.usefixtures("mailbox")
async def test_the_subject_page_logs_the_cases_it_names(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, console: Console
) -> None:
    auditor = await make_staff(app, "auditor@example.com", "auditor")
    case_id = await open_case(client, app, mailbox, type="deletion")  # its subject is excluded
    c = await console("handler")
    page = await c.get("/console/subjects")
    r = await c.post(
        "/console/subjects", data={"subject": REQUESTER, "csrf_token": csrf_in(page.text)}
    )
    assert r.status_code == 200
    assert f"/console/cases/{case_id}" in r.text
    assert await log_of(client, auditor, case_id) == [("handler@example.com", "console_subject")]


async def test_appeal_views_are_logged_against_the_case(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, console: Console
) -> None:
    auditor = await make_staff(app, "auditor@example.com", "auditor")
    decider = await make_staff(app, "decider@example.com", "handler")
    case_id, token = await refused_case(client, app, mailbox, {"decider": decider})
    r = await file_appeal(client, case_id, token)
    assert r.status_code == 201, r.text
    appeal_id = r.json()["id"]
    before = await log_of(client, auditor, case_id)
    await client.get("/api/v1/appeals", headers=auth(decider))  # the appeals queue: no view
    assert (
        await client.get(f"/api/v1/appeals/{appeal_id}", headers=auth(decider))
    ).status_code == 200
    reviewer = await console("reviewer")
    assert (await reviewer.get(f"/console/appeals/{appeal_id}")).status_code == 200
    after = await log_of(client, auditor, case_id)
    assert after[: len(after) - len(before)] == [
        ("reviewer@example.com", "console_appeal"),
        ("decider@example.com", "api_appeal"),
    ]
