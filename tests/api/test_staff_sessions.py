"""Console sessions are server-side and revocable (issue 12, defect 2): cookies saved before a
logout, a deactivation, a password change or "log out everywhere" no longer work, in the console
nor in the API (with the CSRF header); sessions also end after an absolute lifetime."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import datetime, timedelta

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dsr.auth import access
from dsr.db.types import utcnow
from tests.helpers import PASSWORD, Console, csrf_in, login

pytestmark = pytest.mark.usefixtures("mailbox")


def browser(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50001))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def replayed(app: FastAPI, cookies: httpx.Cookies) -> httpx.AsyncClient:
    """Another browser given the cookies saved earlier, as an attacker who copied them."""
    c = browser(app)
    for cookie in cookies.jar:
        c.cookies.set(cookie.name, cookie.value or "")
    return c


async def works(c: httpx.AsyncClient, csrf: str) -> tuple[int, int]:
    """(console page status, API call with the session cookie and CSRF header)."""
    page = await c.get("/console")
    api = await c.post(
        "/api/v1/cases/00000000-0000-0000-0000-000000000000/actions",
        json={"action": "note", "text": "x"},
        headers={"X-CSRF-Token": csrf},
    )
    return page.status_code, api.status_code


async def saved_session(
    console: Console, role: str
) -> tuple[httpx.AsyncClient, httpx.Cookies, str]:
    c = await console(role)
    page = await c.get("/console")
    csrf = csrf_in(page.text)
    saved = httpx.Cookies()
    for cookie in c.cookies.jar:
        saved.set(cookie.name, cookie.value or "")
    return c, saved, csrf


async def test_cookies_saved_before_logout_are_refused_afterwards(
    app: FastAPI, console: Console
) -> None:
    c, saved, csrf = await saved_session(console, "handler")
    thief = await replayed(app, saved)
    async with thief:
        # Before the logout the copy works as well as the original: the API call reaches the
        # case lookup (404, no such case), so the session and the CSRF header were accepted.
        assert await works(thief, csrf) == (200, 404)
        r = await c.post("/console/logout", data={"csrf_token": csrf})
        assert r.status_code == 303
        status, api = await works(thief, csrf)
        assert (status, api) == (303, 401)
        assert (await thief.get("/console")).headers["location"] == "/console/login"
    assert await count_live(app) == 0


async def count_live(app: FastAPI) -> int:
    async with app.state.engine.connect() as conn:
        q = "SELECT count(*) FROM staff_session WHERE revoked_at IS NULL"
        return int((await conn.execute(sa.text(q))).scalar_one())


async def test_the_session_table_holds_only_a_hash_of_the_session_id(
    app: FastAPI, console: Console
) -> None:
    c = await console("handler")
    async with app.state.engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT id_hash FROM staff_session"))).all()
    assert len(rows) == 1
    cookie = c.cookies.get("dsr_session") or ""
    data = json.loads(base64.b64decode(cookie.split(".")[0] + "=="))
    sid = data["sid"]
    assert sid not in rows[0][0]
    assert rows[0][0] == hashlib.sha256(sid.encode()).hexdigest()


async def test_deactivation_and_password_change_end_every_session(
    app: FastAPI, console: Console
) -> None:
    _, saved, csrf = await saved_session(console, "handler")
    second = browser(app)
    async with second:
        assert (await login(second, "handler@example.com")).status_code == 303
        async with app.state.sessionmaker() as session, session.begin():
            await access.set_password(
                session, email="handler@example.com", password="another password 1", now=now()
            )
        assert (await second.get("/console")).status_code == 303
        thief = await replayed(app, saved)
        async with thief:
            assert await works(thief, csrf) == (303, 401)
        assert (await login(second, "handler@example.com", "another password 1")).status_code == 303
        assert (await second.get("/console")).status_code == 200
        async with app.state.sessionmaker() as session, session.begin():
            await access.set_active(session, email="handler@example.com", active=False, now=now())
            await access.set_active(session, email="handler@example.com", active=True, now=now())
        # Reactivating does not bring the old sessions back.
        assert (await second.get("/console")).status_code == 303


def now() -> datetime:
    return utcnow()


async def test_log_out_everywhere_ends_the_users_other_sessions(
    app: FastAPI, console: Console
) -> None:
    c, _, csrf = await saved_session(console, "reviewer")
    other = browser(app)
    async with other:
        assert (await login(other, "reviewer@example.com")).status_code == 303
        r = await c.post("/console/sessions/end-all", data={"csrf_token": csrf})
        assert (r.status_code, r.headers["location"]) == (303, "/console/login")
        assert (await other.get("/console")).status_code == 303
        assert (await c.get("/console")).status_code == 303
    assert await count_live(app) == 0


async def test_admins_end_another_users_sessions_on_the_access_page(
    app: FastAPI, console: Console
) -> None:
    handler = await console("handler")
    admin = await console("admin")
    async with app.state.engine.connect() as conn:
        q = "SELECT id FROM staff_user WHERE email = 'handler@example.com'"
        user_id = str(uuid.UUID(str((await conn.execute(sa.text(q))).scalar_one())))
    page = await admin.get("/console/access")
    url = f"/console/access/users/{user_id}/end-sessions"
    assert f'action="{url}"' in page.text
    r = await admin.post(url, data={"csrf_token": csrf_in(page.text)})
    assert (r.status_code, r.headers["location"]) == (303, "/console/access")
    assert (await handler.get("/console")).status_code == 303
    assert (await admin.get("/console")).status_code == 200
    # Only admins may.
    other = await console("reviewer")
    token = csrf_in((await other.get("/console")).text)
    assert (await other.post(url, data={"csrf_token": token})).status_code == 403


@pytest.mark.parametrize("settings_overrides", [{"session_absolute_hours": 1}])
async def test_a_session_ends_after_its_absolute_lifetime_even_when_used(
    app: FastAPI, console: Console
) -> None:
    c = await console("handler")
    assert (await c.get("/console")).status_code == 200
    async with app.state.engine.begin() as conn:
        # The session began 61 minutes ago and was used a moment ago: idle-fresh, but too old.
        began = now() - timedelta(minutes=61)
        await conn.execute(
            sa.text("UPDATE staff_session SET created_at = :t, expires_at = :e"),
            {"t": began, "e": began + timedelta(hours=1)},
        )
    assert (await c.get("/console")).status_code == 303


@pytest.mark.parametrize("settings_overrides", [{"session_max_age_seconds": 600}])
async def test_an_idle_session_ends_server_side(app: FastAPI, console: Console) -> None:
    c = await console("handler")
    async with app.state.engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE staff_session SET last_seen_at = :t"),
            {"t": now() - timedelta(minutes=11)},
        )
    assert (await c.get("/console")).status_code == 303


async def test_login_still_needs_the_password(app: FastAPI, console: Console) -> None:
    await console("handler")
    c = browser(app)
    async with c:
        assert (await login(c, "handler@example.com", PASSWORD + "x")).status_code == 401
