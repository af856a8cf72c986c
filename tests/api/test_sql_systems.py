"""`sql` data systems end to end, on real target databases (SQLite, PostgreSQL, MariaDB) with the
example chat schema: the dataset checked when saved, the dry run, and the worker carrying out
access (rows into the requester's package), deletion and correction tasks; a failure leaves the
task open with the error and is retried. The database URL is never stored or shown."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import select

from dsr.db.types import utcnow
from dsr.notifications.dispatcher import dispatch_once
from dsr.notifications.models import OutboxMessage
from tests.helpers import (
    Console,
    Mailbox,
    act,
    auth,
    deliver,
    link_in,
    make_staff,
    open_case,
    token_of,
)
from tests.sql_targets import ASKED_EMAIL, DATASET, SUBJECT_ROWS, Target

ENV = "CHAT_DATABASE_URL"


@pytest.fixture
async def staff(app: FastAPI) -> dict[str, str]:
    return {
        "admin": await make_staff(app, "admin@example.com", "admin"),
        "handler": await make_staff(app, "handler@example.com", "handler"),
    }


@pytest.fixture
def chat_url(chat_db: Target, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(ENV, chat_db.url)
    return chat_db.url


def _body(**fields: Any) -> dict[str, Any]:
    return {
        "name": "chat",
        "owner_email": "db-owner@example.com",
        "request_types": ["access", "deletion", "correction"],
        "integration": "sql",
        "connection_env": ENV,
        "dataset": DATASET,
        **fields,
    }


async def _create(client: httpx.AsyncClient, admin: str, **fields: Any) -> dict[str, Any]:
    r = await client.post("/api/v1/data-systems", json=_body(**fields), headers=auth(admin))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_saving_checks_the_dataset_against_the_live_database(
    client: httpx.AsyncClient, staff: dict[str, str], chat_url: str, chat_db: Target
) -> None:
    admin = auth(staff["admin"])
    for dataset, message in [
        (DATASET.replace("  invoices:", "  bills:"), "table 'bills' does not exist"),
        (DATASET.replace("[comment]", "[remark]"), "column 'remark' does not exist in table"),
        (
            DATASET.replace(
                "{accounts.id: account_id}\n    erase: delete",
                "{accounts.id: account_id, messages.id: first_message_id}\n    erase: delete",
            ),
            "cycle",
        ),
        ("tables: [", "not valid YAML"),
    ]:
        r = await client.post("/api/v1/data-systems", json=_body(dataset=dataset), headers=admin)
        assert r.status_code == 422, r.text
        assert message in r.text
    refused: list[dict[str, Any]] = [
        {"connection_env": "DSR_SECRET_KEY"},
        {"connection_env": "X; rm"},
        {"dataset": None},
        {"connection_env": "UNSET_VARIABLE_NAME"},
    ]
    for fields in refused:
        r = await client.post("/api/v1/data-systems", json=_body(**fields), headers=admin)
        assert r.status_code == 422, r.text
    listed = (await client.get("/api/v1/data-systems", headers=admin)).json()
    assert listed == []  # nothing written by a refused save

    created = await _create(client, staff["admin"])
    assert created["warnings"] == []
    assert created["connection_env"] == ENV
    listed_text = (await client.get("/api/v1/data-systems", headers=admin)).text
    for text in (json.dumps(created), listed_text):
        assert chat_url not in text
        assert "127.0.0.1" not in text

    # An edge without an index is accepted, with a warning in the answer.
    drop = "DROP INDEX feedback_account_id"
    if chat_db.kind == "mariadb":
        drop = (
            "ALTER TABLE feedback DROP FOREIGN KEY feedback_account, DROP INDEX feedback_account_id"
        )
    await chat_db.execute(drop)
    r = await client.put(f"/api/v1/data-systems/{created['id']}", json=_body(), headers=admin)
    assert r.status_code == 200, r.text
    assert [w.split(" has no index")[0] for w in r.json()["warnings"]] == ["feedback.account_id"]


@pytest.mark.usefixtures("chat_url")
async def test_the_dry_run_shows_each_tables_rows_and_changes_nothing(
    client: httpx.AsyncClient, staff: dict[str, str], chat_db: Target
) -> None:
    system = await _create(client, staff["admin"])
    before = await chat_db.snapshot()
    url = f"/api/v1/data-systems/{system['id']}/test"
    r = await client.post(url, json={"email": ASKED_EMAIL}, headers=auth(staff["admin"]))
    assert r.status_code == 200, r.text
    tables = r.json()["tables"]
    assert {t: [row["id"] for row in v["rows"]] for t, v in tables.items()} == SUBJECT_ROWS
    assert tables["invoices"]["erase"] == "retain"
    assert tables["invoices"]["retain_reason"]
    assert tables["feedback"]["erase"] == "null: comment"
    assert tables["messages"]["count"] == 4
    assert await chat_db.snapshot() == before
    for body, status in [({}, 422), ({"email": "%"}, 200), ({"phone": "1"}, 422)]:
        r = await client.post(url, json=body, headers=auth(staff["admin"]))
        assert r.status_code == status, r.text
        if status == 200:
            assert all(t["count"] == 0 for t in r.json()["tables"].values())
    r = await client.post(url, json={"email": ASKED_EMAIL}, headers=auth(staff["handler"]))
    assert r.status_code == 403


async def _task(client: httpx.AsyncClient, token: str, case_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/cases/{case_id}/tasks", headers=auth(token))
    assert r.status_code == 200, r.text
    (task,) = r.json()
    return dict(task)


@pytest.mark.usefixtures("chat_url")
async def test_access_rows_reach_the_requesters_package(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    staff: dict[str, str],
) -> None:
    await _create(client, staff["admin"])
    case_id = await open_case(client, app, mailbox, email=ASKED_EMAIL, account_id="1")
    task = await _task(client, staff["handler"], case_id)
    assert task["status"] == "done", task  # the worker carried it out while delivering
    assert task["last_error"] is None
    await act(client, staff["handler"], case_id, "assign", assignee="handler@example.com")
    r = await act(client, staff["handler"], case_id, "fulfil")
    assert r.status_code == 200, r.text
    await deliver(app)
    link = link_in(mailbox.last_to(ASKED_EMAIL), f"/requests/{case_id}/package?token=")
    r = await client.get(f"/api/v1/requests/{case_id}/package?token={token_of(link)}")
    assert r.status_code == 200, r.text
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    data = json.loads(archive.read("data.json"))
    readme = archive.read("README.html").decode()
    assert "<caption>chat: messages (prompts)</caption>" in readme
    assert '<th scope="col">conversation_id</th>' in readme
    assert "<td>hi &#39; %</td>" in readme
    results = data["systems"]["chat"]["data"]
    assert {x["table"]: [row["id"] for row in x["rows"]] for x in results} == SUBJECT_ROWS
    categories = {x["table"]: x["category"] for x in results}
    assert categories["messages"] == "prompts"
    contents = [row["content"] for x in results if x["table"] == "messages" for row in x["rows"]]
    assert "n" not in contents  # the neighbour's message in the shared conversation


@pytest.mark.usefixtures("chat_url")
async def test_deletion_erases_reports_counts_and_the_retained_table(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    staff: dict[str, str],
    chat_db: Target,
) -> None:
    await _create(client, staff["admin"])
    before = await chat_db.snapshot()
    case_id = await open_case(
        client, app, mailbox, type="deletion", email=ASKED_EMAIL, account_id="1"
    )
    task = await _task(client, staff["handler"], case_id)
    assert task["status"] == "retained", task
    assert task["note"].startswith("Retained invoices (1 rows): Invoices are kept")
    assert "messages: 4 delete" in task["note"]
    after = await chat_db.snapshot()
    assert sorted(after["messages"]) == [103, 105, 106]
    assert after["accounts"][2] == before["accounts"][2]
    assert after["invoices"] == before["invoices"]


@pytest.mark.usefixtures("chat_url")
async def test_correction_shows_staff_the_rows_and_stays_open(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    staff: dict[str, str],
) -> None:
    await _create(client, staff["admin"])
    case_id = await open_case(
        client,
        app,
        mailbox,
        type="correction",
        email=ASKED_EMAIL,
        correction={"inaccurate_data": "my display name", "corrected_data": "Zoe"},
    )
    task = await _task(client, staff["handler"], case_id)
    assert task["status"] == "open"
    page = await _case_page_results(app, uuid.UUID(task["id"]))
    assert sorted(page) == sorted(SUBJECT_ROWS)


async def _case_page_results(app: FastAPI, task_id: uuid.UUID) -> list[str]:
    from dsr.fulfilment import results

    async with app.state.sessionmaker() as session:
        stored = (await results.results_for_tasks(session, [task_id]))[task_id]
        return [results.read_json(app.state.settings, r)["table"] for r in stored]


async def test_a_failure_leaves_the_task_open_with_the_error_and_is_retried(
    app: FastAPI,
    console: Console,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    staff: dict[str, str],
    chat_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _create(client, staff["admin"])
    monkeypatch.delenv(ENV)
    case_id = await open_case(client, app, mailbox, email=ASKED_EMAIL)
    task = await _task(client, staff["handler"], case_id)
    assert task["status"] == "open"
    assert task["last_error"] == f"chat: the environment variable {ENV} is not set where dsr runs"
    async with app.state.sessionmaker() as session:
        (msg,) = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.kind == "task_sql"))
        ).all()
    assert msg.status == "pending"
    assert msg.attempts == 1
    handler = await console("reviewer")
    page = (await handler.get(f"/console/cases/{case_id}")).text
    assert f'Last attempt failed</dt><dd class="pre">chat: the environment variable {ENV}' in page
    assert "Zo" not in (msg.last_error or "")

    monkeypatch.setenv(ENV, chat_url)
    await dispatch_once(
        app.state.sessionmaker, app.state.settings, now=utcnow() + timedelta(hours=2)
    )
    task = await _task(client, staff["handler"], case_id)
    assert task["status"] == "done"
    assert task["last_error"] is None
