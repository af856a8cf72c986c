"""The case page over HTTP: each system's results (JSON as tables, files with their sizes),
handlers sending results and closing tasks with the owners' outcomes, a retained task explained
(only partial fulfilment is possible), and the requester's decision naming the exception."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.fulfilment_helpers import register_system, task_of
from tests.helpers import (
    PASSWORD,
    REQUESTER,
    Mailbox,
    act,
    body_text,
    count,
    csrf_in,
    deliver,
    events,
    found,
    login,
    make_staff,
)
from tests.manual_helpers import ManualTask, manual_task

EXCEPTION = "Invoices are kept ten years under the tax code"


@pytest.fixture
async def staff(app: FastAPI) -> dict[str, str]:
    return {
        "admin": await make_staff(app, "admin@example.com", "admin"),
        "handler": await make_staff(app, "handler@example.com", "handler"),
    }


@pytest.fixture
async def handler(app: FastAPI, staff: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    del staff
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        assert (await login(c, "handler@example.com", PASSWORD)).status_code == 303
        yield c


@pytest.fixture
async def crm(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> ManualTask:
    """A case with two tasks: crm (manual, its owner's link in hand) and billing (pull)."""
    billing = await register_system(client, staff["admin"], "billing", identities=["email"])
    task = await manual_task(client, app, mailbox, staff["admin"])
    assert (await task_of(app, task.case_id, billing)).status == "open"
    return task


async def billing_task_id(case_id: str, client: httpx.AsyncClient, admin: str) -> str:
    r = await client.get(
        f"/api/v1/cases/{case_id}/tasks", headers={"Authorization": f"Bearer {admin}"}
    )
    return str(next(t["id"] for t in r.json() if t["system"] == "billing"))


async def test_results_are_shown_and_handlers_send_results_and_close_tasks(
    app: FastAPI, client: httpx.AsyncClient, handler: httpx.AsyncClient, crm: ManualTask
) -> None:
    pasted = '{"plan": "pro", "since": "2024-02-01"}'
    r = await client.post(
        f"/tasks/{crm.task_id}/results",
        data={"token": crm.token, "pasted": pasted},
        files=[("files", ("orders.csv", b"id,total\n1,9.99\n", "text/csv"))],
    )
    assert r.status_code == 200
    page = await handler.get(f"/console/cases/{crm.case_id}")
    assert '<tr><td class="pre">plan</td><td class="pre">pro</td></tr>' in page.text
    assert "<li>orders.csv · 16 bytes</li>" in page.text
    r = await handler.post(
        f"/console/tasks/{crm.task_id}/results",
        data={"csrf_token": csrf_in(page.text), "pasted": "[1, 2"},
        files=[("files", ("", b"", "application/octet-stream"))],
    )
    assert r.status_code == 422
    assert "This is not valid JSON" in r.text
    assert await count(app, "task_result") == 2
    r = await handler.post(
        f"/console/tasks/{crm.task_id}/results",
        data={"csrf_token": csrf_in(page.text), "pasted": '["from an e-mail"]'},
        files=[("files", ("note.txt", b"found in the archive", "text/plain"))],
    )
    assert r.status_code == 303
    page = await handler.get(f"/console/cases/{crm.case_id}")
    assert '<td class="pre">from an e-mail</td>' in page.text
    assert "<li>note.txt · 20 bytes</li>" in page.text
    url = f"/console/cases/{crm.case_id}/tasks/{crm.task_id}"
    r = await handler.post(
        url, data={"csrf_token": csrf_in(page.text), "status": "done", "records_affected": "many"}
    )
    assert r.status_code == 422
    assert "Records affected: enter a whole number" in r.text
    r = await handler.post(
        url, data={"csrf_token": csrf_in(page.text), "status": "not_found", "records_affected": "0"}
    )
    assert r.status_code == 303
    assert (await events(app, crm.case_id))[-1] == "task_not_found"
    page = await handler.get(f"/console/cases/{crm.case_id}")
    assert "Not found" in page.text
    assert "Send results for crm" not in page.text  # closed: no more forms


async def test_a_retained_task_allows_only_partial_fulfilment_and_the_notice_names_the_exception(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    handler: httpx.AsyncClient,
    staff: dict[str, str],
    crm: ManualTask,
) -> None:
    billing = await billing_task_id(crm.case_id, client, staff["admin"])
    page = await handler.get(f"/console/cases/{crm.case_id}")
    url = f"/console/cases/{crm.case_id}/tasks/{billing}"
    token = csrf_in(page.text)
    r = await handler.post(url, data={"csrf_token": token, "status": "retained", "reason": ""})
    assert r.status_code == 422
    assert "Note: retaining data needs the exception that applies" in r.text
    r = await handler.post(
        url,
        data={
            "csrf_token": token,
            "status": "retained",
            "records_affected": "12",
            "reason": EXCEPTION,
        },
    )
    assert r.status_code == 303
    r = await client.post(
        f"/tasks/{crm.task_id}/complete", data={"token": crm.token, "outcome": "done"}
    )
    assert r.status_code == 200
    page = await handler.get(f"/console/cases/{crm.case_id}")
    notice = found(
        r'<div class="warning" id="retained-notice">(.*?)</div>', page.text.replace("\n", " ")
    )
    assert "Only partial fulfilment is possible." in notice
    assert f'billing: <span class="pre">{EXCEPTION}</span>' in notice
    r = await act(client, staff["handler"], crm.case_id, "assign", assignee="handler@example.com")
    assert r.status_code == 200
    r = await act(client, staff["handler"], crm.case_id, "fulfil")
    assert r.status_code == 409
    r = await act(
        client,
        staff["handler"],
        crm.case_id,
        "partially_fulfil",
        explanation="Billing keeps invoices.",
    )
    assert r.status_code == 200, r.text
    await deliver(app)
    # An access request's decision comes with its copy's e-mail: the decision names the exception.
    (decision,) = [m for m in mailbox.to(REQUESTER) if str(m["Subject"]).startswith("Decision")]
    text = body_text(decision).replace("\r\n", "\n")
    assert (
        f"Some of your data is kept because a legal exception applies:\n- billing: {EXCEPTION}\n"
        in text
    )
