"""Input the schema accepts fits where it is stored (issue 12, defect 6): the longest names and
the largest numbers the API takes are stored or refused with a 422, never a 500."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from dsr.cases.data_system_models import CaseTask
from tests.fulfilment_helpers import make_system_token, open_task, task_of
from tests.helpers import Mailbox, act, auth, events, make_staff, open_case
from tests.manual_helpers import manual_task

INT32_MAX = 2**31 - 1


async def test_a_task_closed_on_the_page_of_a_system_with_the_longest_name(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    name = "s" * 100
    task = await manual_task(client, app, mailbox, admin, name=name)
    r = await client.post(
        f"/tasks/{task.task_id}/complete", data={"token": task.token, "outcome": "done"}
    )
    assert r.status_code == 200
    closed: CaseTask = await task_of(app, task.case_id, task.system_id)
    assert closed.status == "done"
    assert (await events(app, task.case_id))[-1] == "task_done"


async def test_a_token_with_the_longest_name_completes_its_task(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    opened = await open_task(client, app, mailbox, admin)
    name = "t" * 200
    token = await make_system_token(app, opened.system_id, name)
    r = await client.post(
        f"/api/v1/tasks/{opened.task_id}/complete",
        json={"outcome": "done", "records_affected": INT32_MAX},
        headers=auth(token),
    )
    assert r.status_code == 200, r.text
    assert (await task_of(app, opened.case_id, opened.system_id)).closed_by == name


async def test_counts_beyond_the_column_are_refused(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    opened = await open_task(client, app, mailbox, admin)
    token = await make_system_token(app, opened.system_id)
    r = await client.post(
        f"/api/v1/tasks/{opened.task_id}/complete",
        json={"outcome": "done", "records_affected": INT32_MAX + 1},
        headers=auth(token),
    )
    assert r.status_code == 422


async def test_ids_and_versions_beyond_the_column_are_refused(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    r = await client.post(f"/api/v1/notifications/{2**40}/retry", headers=auth(admin))
    assert r.status_code == 422
    r = await client.post(f"/api/v1/notifications/{INT32_MAX}/retry", headers=auth(admin))
    assert r.status_code == 404
    case_id = await open_case(client, app, mailbox)
    before = await events(app, case_id)
    r = await act(client, admin, case_id, "note", text="x", expected_version=2**40)
    assert r.status_code == 422
    assert await events(app, case_id) == before
