"""The README's pull client, run as written against dsr served by uvicorn: it answers an access
task with the rows its system holds, erases for a deletion, leaves a correction to a person, and
gets nothing twice."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from dsr.fulfilment import results
from tests.fulfilment_helpers import make_system_token, register_system, task_of
from tests.helpers import REQUESTER, Mailbox, make_staff, open_case

README = Path(__file__).parents[2] / "README.md"
OTHER = "erase.me@example.org"


def readme_client() -> dict[str, Any]:
    """The first Python block under "Pull systems and the task API", executed as a module."""
    text = README.read_text()
    section = text.split("### Pull systems and the task API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None, "the README's pull client is missing"
    namespace: dict[str, Any] = {"__name__": "pull_client"}
    exec(compile(code.group(1), "README.md (pull client)", "exec"), namespace)
    return namespace


class Crm:
    """The data system's own store: rows per e-mail address."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {
            REQUESTER: [{"order": 1, "total": "9.90"}, {"order": 2, "total": "4.50"}],
            OTHER: [{"order": 3, "total": "1.00"}],
        }

    def find(self, subject: dict[str, str | None]) -> list[dict[str, Any]]:
        return list(self.rows.get(subject["email"] or "", []))

    def erase(self, subject: dict[str, str | None]) -> int:
        return len(self.rows.pop(subject["email"] or "", []))


async def test_the_readme_pull_client_answers_tasks_against_a_live_server(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, live_server: str
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    system_id = await register_system(client, admin, "crm")
    token = await make_system_token(app, system_id, "crm-puller")
    access = await open_case(client, app, mailbox)
    deletion = await open_case(client, app, mailbox, type="deletion", email=OTHER)
    correction = await open_case(
        client,
        app,
        mailbox,
        type="correction",
        email="fix.me@example.org",
        correction={"inaccurate_data": "name Rosa Requestor", "corrected_data": "Rosa Requester"},
    )
    crm = Crm()
    poll_once = readme_client()["poll_once"]

    # The client is synchronous, as an owner's cron job would be: run it beside the server.
    done = await asyncio.to_thread(poll_once, live_server, token, crm.find, crm.erase)
    assert done == 2
    again = await asyncio.to_thread(poll_once, live_server, token, crm.find, crm.erase)
    assert again == 0  # completed tasks are not handed out again; the correction stays open

    access_task = await task_of(app, access, system_id)
    deletion_task = await task_of(app, deletion, system_id)
    correction_task = await task_of(app, correction, system_id)
    assert (access_task.status, access_task.records_affected) == ("done", 2)
    assert (deletion_task.status, deletion_task.records_affected) == ("done", 1)
    assert correction_task.status == "open"
    assert OTHER not in crm.rows
    async with app.state.sessionmaker() as session:
        found = await results.results_for_tasks(session, [access_task.id, uuid.UUID(int=0)])
    values = [results.read_json(app.state.settings, r) for r in found[access_task.id]]
    assert values == [[{"order": 1, "total": "9.90"}, {"order": 2, "total": "4.50"}]]
