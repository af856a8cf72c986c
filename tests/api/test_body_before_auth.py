"""Issue 12, defect 1: no route lets an anonymous client make the server hold more than the
public body limit. The routes with a larger limit (bulk consents and eligibility, task results
from the task API, the owner's task page and the console) check the caller from the headers
before they read the body; whatever a route reads before that is held to the public limit.

The app is driven through raw ASGI calls so that the test can count how much of a 16 MB body the
server pulled: the claim is about what was read, which a status code alone cannot show."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import Mailbox, auth, count, csrf_in, make_service_token, make_staff
from tests.manual_helpers import ManualTask, manual_task

PUBLIC = 64 * 1024  # DSR_MAX_BODY_BYTES's default (tests/helpers.make_settings keeps it)
CHUNK = 16 * 1024
BIG = 16 * 1024 * 1024 - 4096  # under the bulk limit: its length alone cannot refuse it
NIL = "00000000-0000-0000-0000-000000000000"
MULTIPART = "multipart/form-data; boundary=xyz"
FILE_PART = (
    b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
)


@dataclass
class Sent:
    status: int = 0
    pulled: int = 0  # how many body bytes the app asked for
    headers: dict[str, str] = field(default_factory=dict)


async def stream(
    app: FastAPI,
    path: str,
    *,
    size: int = BIG,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    declare_length: bool = True,
    prefix: bytes = b"",
) -> Sent:
    """POST `size` bytes (`prefix`, then filler) to `path` in 16 KB chunks, as a client on the
    network would."""
    sent = Sent()
    done = asyncio.Event()
    path, _, query = path.partition("?")
    raw = [(b"content-type", content_type.encode())]
    if declare_length:
        raw.append((b"content-length", str(size).encode()))
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": raw,
        "client": ("203.0.113.50", 40000),
        "server": ("testserver", 80),
    }

    async def receive() -> MutableMapping[str, Any]:
        if sent.pulled >= size:
            await done.wait()
            return {"type": "http.disconnect"}
        n = min(CHUNK, size - sent.pulled)
        chunk = (prefix[sent.pulled : sent.pulled + n] + b"a" * n)[:n]
        sent.pulled += n
        return {"type": "http.request", "body": chunk, "more_body": sent.pulled < size}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent.status = message["status"]
            sent.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await app(scope, receive, send)
    return sent


@pytest.fixture
async def admin(app: FastAPI) -> str:
    return await make_staff(app, "admin@example.com", "admin")


@pytest.fixture
async def task(app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, admin: str) -> ManualTask:
    return await manual_task(client, app, mailbox, admin)


ANONYMOUS = [
    # (path, what a caller without credentials gets)
    ("/api/v1/consents", 401),
    ("/api/v1/training/eligibility", 401),
    (f"/api/v1/tasks/{NIL}/results", 401),
    (f"/console/tasks/{NIL}/results", 303),  # to the login page
]


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize(("path", "status"), ANONYMOUS)
async def test_an_anonymous_large_body_is_answered_without_being_read(
    app: FastAPI, path: str, status: int, declare_length: bool
) -> None:
    sent = await stream(app, path, declare_length=declare_length)
    assert sent.status == status
    assert sent.pulled == 0


@pytest.mark.parametrize(
    "path", ["/api/v1/consents", "/api/v1/training/eligibility", f"/api/v1/tasks/{NIL}/results"]
)
async def test_a_wrong_token_is_answered_without_reading_the_body(app: FastAPI, path: str) -> None:
    sent = await stream(app, path, headers={"authorization": "Bearer not-a-token"})
    assert sent.status == 401
    assert sent.pulled == 0


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
async def test_a_route_that_reads_before_authenticating_stops_at_the_public_limit(
    app: FastAPI, declare_length: bool
) -> None:
    # /consents/history sits under the bulk prefix but declares its (small) body, which FastAPI
    # reads before any dependency: the read itself is cut off at the public limit.
    sent = await stream(app, "/api/v1/consents/history", declare_length=declare_length)
    assert sent.status == 413
    assert sent.pulled <= PUBLIC + CHUNK


async def test_the_task_page_without_its_token_in_the_url_reads_no_more_than_the_public_limit(
    app: FastAPI, task: ManualTask
) -> None:
    # The token then travels in the form, which must be read to find it: at the public limit.
    path = f"/tasks/{task.task_id}/results"
    sent = await stream(app, path, content_type=MULTIPART, prefix=FILE_PART)
    assert sent.status == 413
    assert sent.pulled <= PUBLIC + CHUNK


async def test_a_wrong_task_link_in_the_url_is_answered_without_reading_the_body(
    app: FastAPI, task: ManualTask
) -> None:
    path = f"/tasks/{task.task_id}/results?token=not-the-token"
    sent = await stream(app, path, content_type=MULTIPART)
    assert sent.status == 404
    assert sent.pulled == 0


async def test_an_authenticated_bulk_call_may_send_more_than_the_public_limit(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token = await make_service_token(app, "ledger", "consent:write")
    records = [
        {
            "subject": f"account:{n:08d}",
            "category": "prompts",
            "purpose": "base_model_training",
            "granted": True,
            "recorded_at": "2026-01-01T00:00:00Z",
        }
        for n in range(5000)
    ]
    body = json.dumps({"records": records}).encode()
    assert len(body) > 8 * PUBLIC
    r = await client.post(
        "/api/v1/consents",
        content=body,
        headers={**auth(token), "content-type": "application/json"},
    )
    assert r.status_code == 201, r.text
    assert await count(app, "consent_record") == 5000


async def test_a_bulk_body_past_its_own_limit_is_413_for_an_authenticated_caller_too(
    app: FastAPI,
) -> None:
    token = await make_service_token(app, "ledger", "consent:write")
    sent = await stream(
        app, "/api/v1/consents", size=BIG, declare_length=False, headers=auth(token)
    )
    assert sent.status == 422  # read whole (within the limit) and refused: not JSON
    over = await stream(
        app, "/api/v1/consents", size=17 * 1024 * 1024, declare_length=False, headers=auth(token)
    )
    assert over.status == 413
    assert over.pulled <= 16 * 1024 * 1024 + CHUNK


async def test_the_task_page_form_sends_its_token_in_the_url_and_may_upload_past_the_public_limit(
    app: FastAPI, client: httpx.AsyncClient, task: ManualTask
) -> None:
    page = await client.get(task.link)
    assert f'action="/tasks/{task.task_id}/results?token={task.token}"' in page.text
    big = b"id,total\n" + b"1,9.99\n" * (2 * PUBLIC // 7)
    r = await client.post(
        f"/tasks/{task.task_id}/results?token={task.token}",
        data={"token": task.token, "pasted": ""},
        files=[("files", ("orders.csv", big, "text/csv"))],
    )
    assert r.status_code == 200, r.text
    assert "1 result received." in r.text
    assert await count(app, "task_result") == 1


async def test_a_console_handler_may_upload_past_the_public_limit(
    app: FastAPI, task: ManualTask, console: Any
) -> None:
    c = await console("handler")
    page = await c.get(f"/console/cases/{task.case_id}")
    big = b"id,total\n" + b"1,9.99\n" * (2 * PUBLIC // 7)
    r = await c.post(
        f"/console/tasks/{task.task_id}/results",
        data={"csrf_token": csrf_in(page.text), "pasted": ""},
        files=[("files", ("orders.csv", big, "text/csv"))],
    )
    assert r.status_code == 303, r.text
    assert await count(app, "task_result") == 1
