"""A fulfilled access case whose systems sent results: shared by the package's API and browser
tests."""

from __future__ import annotations

import os
import uuid

import httpx
from fastapi import FastAPI

from dsr.cases.data_system_models import CaseTask
from dsr.fulfilment import results
from tests.helpers import REQUESTER, Mailbox, act, auth, deliver, link_in, open_case

CRM = "CRM & Sales/EU"  # not a safe folder name: the archive uses "CRM _ Sales_EU"
PHOTO = b"\x89PNG\r\n\x1a\n" + os.urandom(2_500_000)  # incompressible; three sealed pieces
ROWS = [
    {"email": REQUESTER, "plan": "pro", "seats": 3},
    {"email": REQUESTER, "plan": "team", "note": None},
]


async def _system(client: httpx.AsyncClient, admin: str, name: str, **facts: str) -> None:
    body = {"name": name, "owner_email": "owner@example.com", "request_types": ["access"]}
    r = await client.post("/api/v1/data-systems", json={**body, **facts}, headers=auth(admin))
    assert r.status_code == 201, r.text


async def fulfilled_case(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> tuple[str, str]:
    """An access case whose two systems sent results, fulfilled: (case id, package link)."""
    await _system(
        client,
        staff["admin"],
        CRM,
        purposes="Billing and support",
        recipients="Our payment processor",
        retention="Six years after the account closes",
        source="You, when you signed up",
    )
    await _system(client, staff["admin"], "warehouse")
    case_id = await open_case(client, app, mailbox)
    r = await client.get(f"/api/v1/cases/{case_id}/tasks", headers=auth(staff["handler"]))
    tasks = {t["system"]: t["id"] for t in r.json()}
    settings = app.state.settings
    async with app.state.sessionmaker() as session, session.begin():
        crm = await session.get(CaseTask, uuid.UUID(tasks[CRM]))
        warehouse = await session.get(CaseTask, uuid.UUID(tasks["warehouse"]))
        assert crm is not None
        assert warehouse is not None
        await results.store_json(session, settings=settings, task=crm, value=ROWS)
        await results.store_json(session, settings=settings, task=crm, value={"nickname": "Rosa"})
        for name, kind, data in [
            ("orders.csv", "text/csv", b"order,total\nA-1,12.50\n"),
            ("orders.csv", "text/csv", b"order,total\nA-2,3.00\n"),
            ("photo.png", "image/png", PHOTO),
        ]:
            await results.store_file(
                session, settings=settings, task=crm, filename=name, content_type=kind, data=data
            )
        await results.store_json(session, settings=settings, task=warehouse, value=["hello"])
    for task_id in tasks.values():
        r = await client.post(
            f"/api/v1/cases/{case_id}/tasks/{task_id}",
            json={"status": "done"},
            headers=auth(staff["handler"]),
        )
        assert r.status_code == 200, r.text
    await act(client, staff["handler"], case_id, "assign", assignee="handler@example.com")
    r = await act(client, staff["handler"], case_id, "fulfil")
    assert r.status_code == 200, r.text
    await deliver(app)
    notice = mailbox.last_to(REQUESTER)
    assert notice["Subject"].startswith("Your data is ready to download")
    return case_id, link_in(notice, f"/requests/{case_id}/package?token=")
