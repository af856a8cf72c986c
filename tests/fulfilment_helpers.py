"""Helpers for the fulfilment tests: a registered data system with an open task."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from sqlmodel import select

from dsr.cases.data_system_models import CaseTask
from tests.helpers import Mailbox, auth, open_case


@dataclass(frozen=True)
class OpenTask:
    system_id: str
    case_id: str
    task_id: str


async def register_system(
    client: httpx.AsyncClient, admin: str, name: str, integration: str = "pull", **fields: object
) -> str:
    body = {
        "name": name,
        "owner_email": f"{name}-owner@example.com",
        "request_types": ["access", "deletion", "correction"],
        "integration": integration,
        **fields,
    }
    r = await client.post("/api/v1/data-systems", json=body, headers=auth(admin))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def task_of(app: FastAPI, case_id: str, system_id: str) -> CaseTask:
    async with app.state.sessionmaker() as session:
        stmt = select(CaseTask).where(
            CaseTask.case_id == uuid.UUID(case_id),
            CaseTask.data_system_id == uuid.UUID(system_id),
        )
        task: CaseTask = (await session.exec(stmt)).one()
        session.expunge(task)
        return task


async def open_task(
    client: httpx.AsyncClient,
    app: FastAPI,
    mailbox: Mailbox,
    admin: str,
    name: str = "crm",
    **case_fields: object,
) -> OpenTask:
    """A pull system registered and an open case with its task."""
    system_id = await register_system(client, admin, name)
    case_id = await open_case(client, app, mailbox, **case_fields)
    task = await task_of(app, case_id, system_id)
    return OpenTask(system_id=system_id, case_id=case_id, task_id=str(task.id))


async def make_system_token(app: FastAPI, system_id: str, name: str = "system-token") -> str:
    """A token bound to one data system, as `dsr tokens create --data-system NAME` makes."""
    from dsr.auth import service

    async with app.state.sessionmaker() as session, session.begin():
        return await service.create_service_token(
            session, name, ["tasks:write"], data_system_id=uuid.UUID(system_id)
        )
