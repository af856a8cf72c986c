"""Control characters (a NUL byte above all, which PostgreSQL cannot store) in the places that
take text without the request schemas in between: the login forms, the staff queue's filters,
the public appeal page and the console's task form; and the database-level safety net behind
them. Each is a clear 4xx that writes nothing and does not repeat the input."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request

from dsr.deps import SessionDep
from tests.helpers import (
    CSRF,
    PASSWORD,
    Mailbox,
    act,
    auth,
    count,
    deliver,
    link_in,
    make_staff,
    open_case,
    token_of,
)

NUL = "a\x00b"


@contextlib.asynccontextmanager
async def console_login(
    app: FastAPI, email: str
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.Response]]:
    """A browser of its own (cookie jar) that has tried to log in to the console."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        page = await c.get("/console/login")
        token = CSRF.search(page.text)
        assert token, page.text
        r = await c.post(
            "/console/login", data={"email": email, "password": PASSWORD, "csrf_token": token[1]}
        )
        yield c, r


@pytest.mark.parametrize("username", ["staff\x00@example.com", "staff@example.com\x1b[2J"])
async def test_login_with_control_characters_is_refused_like_a_wrong_password(
    app: FastAPI, client: httpx.AsyncClient, username: str
) -> None:
    await make_staff(app, "staff@example.com", "handler", PASSWORD)
    unknown = await client.post(
        "/api/v1/auth/token", data={"username": "nobody@example.com", "password": PASSWORD}
    )
    r = await client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    # The same answer as for an address nobody has: it tells nothing about who exists.
    refused = (401, {"detail": "incorrect email or password", "code": "unauthorized"})
    assert (unknown.status_code, unknown.json()) == refused
    assert (r.status_code, r.json()) == refused
    async with console_login(app, username) as (_, page):
        # The console's own "failed" page (it puts the typed address back, escaped).
        assert page.status_code == 401, page.text[:300]


async def test_queue_jurisdiction_filter_is_validated(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    token = await make_staff(app, "handler@example.com", "handler")
    await open_case(client, app, mailbox, jurisdiction="DE")
    await open_case(client, app, mailbox, jurisdiction="ZZ", email="other@example.org")
    for bad in (NUL, "EU\x00", "E U", "x" * 21):
        r = await client.get("/api/v1/cases", params={"jurisdiction": bad}, headers=auth(token))
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["field"].startswith("query.jurisdiction")
        assert "\x00" not in r.text
    for code, expected in (("EU", 1), ("eu", 1), ("DEFAULT", 1), ("US-CA", 0)):
        r = await client.get("/api/v1/cases", params={"jurisdiction": code}, headers=auth(token))
        assert r.status_code == 200, r.text
        assert len(r.json()["items"]) == expected, code


async def test_public_appeal_page_refuses_control_characters(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    decider = await make_staff(app, "decider@example.com", "admin")
    case_id = await open_case(client, app, mailbox, jurisdiction="US-VA")
    r = await act(
        client,
        decider,
        case_id,
        "deny",
        reason_code="exception_applies",
        explanation="The data is under a legal hold.",
    )
    assert r.status_code == 200, r.text
    await deliver(app)
    token = token_of(link_in(mailbox.last_to("requester@example.org"), "/appeal"))
    r = await client.post(
        f"/requests/{case_id}/appeal", data={"token": token, "reason": "Wrong\x00 decision\x07"}
    )
    assert r.status_code == 422, r.text[:300]
    assert "control characters" in r.text
    # The text comes back without them, ready to send again.
    assert ">Wrong decision</textarea>" in r.text
    assert await count(app, "appeal") == 0
    r = await client.post(
        f"/requests/{case_id}/appeal", data={"token": token, "reason": "Wrong decision"}
    )
    assert r.status_code == 201, r.text[:300]


async def test_console_task_reason_refuses_control_characters(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    r = await client.post(
        "/api/v1/data-systems",
        json={"name": "CRM", "owner_email": "crm@example.com", "request_types": ["access"]},
        headers=auth(admin),
    )
    assert r.status_code == 201, r.text
    case_id = await open_case(client, app, mailbox)
    r = await client.get(f"/api/v1/cases/{case_id}/tasks", headers=auth(admin))
    assert r.status_code == 200, r.text
    task_id = r.json()[0]["id"]
    async with console_login(app, "admin@example.com") as (c, r):
        assert r.status_code == 303, r.text[:300]
        page = await c.get(f"/console/cases/{case_id}")
        token = CSRF.search(page.text)
        assert token
        r = await c.post(
            f"/console/cases/{case_id}/tasks/{task_id}",
            data={"csrf_token": token[1], "status": "waived", "reason": NUL},
        )
        assert r.status_code == 422, r.text[:300]
        assert "control characters" in r.text
    r = await client.get(f"/api/v1/cases/{case_id}/tasks", headers=auth(admin))
    assert r.json()[0]["status"] == "open"


async def test_text_the_database_cannot_store_is_a_422_not_a_500(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """The safety net for a path no check covers: PostgreSQL refuses a NUL (SQLSTATE 22021) and
    a \\u0000 escape in JSON (22P05); the app answers 422 without the value. SQLite stores both."""

    async def store(request: Request, session: SessionDep) -> dict[str, str]:
        kind = request.query_params["kind"]
        conn = await session.connection()
        if kind == "text":
            await conn.execute(sa.text("SELECT :v"), {"v": "secret\x00value"})
        elif conn.dialect.name == "postgresql":
            await conn.execute(sa.text("SELECT CAST(:v AS jsonb)"), {"v": '"\\u0000"'})
        return {"stored": kind}

    app.add_api_route("/api/v1/test-only/store", store, methods=["POST"])
    postgres = app.state.engine.dialect.name == "postgresql"
    for kind in ("text", "json"):
        r = await client.post("/api/v1/test-only/store", params={"kind": kind})
        if postgres:
            assert r.status_code == 422, r.text
            assert r.json()["code"] == "invalid"
            assert "secret" not in r.text
        else:
            assert r.status_code == 200, r.text
