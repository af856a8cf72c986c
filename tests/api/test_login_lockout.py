"""Per-account login lockout with backoff (issue 12, defect 5): failed passwords for one account,
from any number of client addresses, lock it for a growing delay, in the console and at
POST /api/v1/auth/token alike; unknown addresses get exactly the same answers; admins unlock."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dsr.db.types import utcnow
from tests.helpers import PASSWORD, Console, csrf_in, login, make_staff

pytestmark = [
    pytest.mark.usefixtures("mailbox"),
    pytest.mark.parametrize(
        "settings_overrides",
        [{"login_lockout_threshold": 3, "login_lockout_seconds": 60,
          "login_lockout_max_seconds": 200}],
    ),
]  # fmt: skip

_port = itertools.count(40000)


def from_address(app: FastAPI, n: int) -> httpx.AsyncClient:
    """A client from its own address: the per-address limit cannot be what stops it."""
    transport = httpx.ASGITransport(app=app, client=(f"198.51.100.{n}", next(_port)))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def api_login(app: FastAPI, n: int, email: str, password: str) -> httpx.Response:
    async with from_address(app, n) as c:
        return await c.post("/api/v1/auth/token", data={"username": email, "password": password})


async def locked_until(app: FastAPI) -> list[object]:
    async with app.state.engine.connect() as conn:
        q = "SELECT locked_until FROM login_throttle ORDER BY locked_until"
        return [r[0] for r in (await conn.execute(sa.text(q))).all()]


async def test_failed_passwords_from_many_addresses_lock_the_account(app: FastAPI) -> None:
    await make_staff(app, "handler@example.com", "handler")
    for n in range(3):
        r = await api_login(app, n + 1, "handler@example.com", "wrong password!!")
        assert r.status_code == 401
    # The right password, from yet another address, is refused while the lock lasts.
    r = await api_login(app, 50, "handler@example.com", PASSWORD)
    assert r.status_code == 429
    assert "too many failed attempts for this account" in r.json()["detail"]
    assert int(r.headers["retry-after"]) in range(55, 61)
    async with from_address(app, 51) as c:
        r = await login(c, "handler@example.com")
        assert r.status_code == 429
        assert "Too many failed attempts for this account" in r.text
        assert (await c.get("/console")).status_code == 303
    # Another account is not affected.
    await make_staff(app, "reviewer@example.com", "reviewer")
    assert (await api_login(app, 52, "reviewer@example.com", PASSWORD)).status_code == 200


async def test_the_delay_doubles_with_each_further_failure_up_to_the_maximum(app: FastAPI) -> None:
    await make_staff(app, "handler@example.com", "handler")
    delays = []
    for round_ in range(4):
        tries = 3 if round_ == 0 else 1
        for n in range(tries):
            await api_login(app, n + 1, "handler@example.com", "wrong password!!")
        r = await api_login(app, 9, "handler@example.com", PASSWORD)
        assert r.status_code == 429
        delays.append(int(r.headers["retry-after"]))
        async with app.state.engine.begin() as conn:  # the lock has run out
            await conn.execute(sa.text("UPDATE login_throttle SET locked_until = :t"),
                               {"t": utcnow() - timedelta(seconds=1)})  # fmt: skip
    expected = [60, 120, 200, 200]  # doubling, then the maximum (seconds pass while testing)
    assert all(e - 15 <= d <= e for d, e in zip(delays, expected, strict=True)), delays
    # After the lock runs out, the right password works and clears the count.
    assert (await api_login(app, 9, "handler@example.com", PASSWORD)).status_code == 200
    assert await locked_until(app) == []


async def test_unknown_accounts_get_the_same_answers(app: FastAPI) -> None:
    await make_staff(app, "handler@example.com", "handler")
    answers: dict[str, list[tuple[int, str]]] = {}
    for email in ("handler@example.com", "nobody@example.com"):
        seen = []
        for n in range(5):
            r = await api_login(app, n + 1, email, "wrong password!!")
            seen.append((r.status_code, r.json()["detail"].split(" in ")[0]))
        answers[email] = seen
    assert answers["handler@example.com"] == answers["nobody@example.com"]
    assert [s for s, _ in answers["nobody@example.com"]] == [401, 401, 401, 429, 429]


async def test_a_login_clears_the_count(app: FastAPI) -> None:
    await make_staff(app, "handler@example.com", "handler")
    for _ in range(3):
        for n in range(2):
            await api_login(app, n + 1, "handler@example.com", "wrong password!!")
        assert (await api_login(app, 3, "handler@example.com", PASSWORD)).status_code == 200


async def test_concurrent_guesses_each_count(app: FastAPI) -> None:
    await make_staff(app, "handler@example.com", "handler")
    results = await asyncio.gather(
        *(api_login(app, n + 1, "handler@example.com", f"wrong password {n}") for n in range(6))
    )
    assert sorted(r.status_code for r in results) in ([401] * 6, [401] * 3 + [429] * 3)
    async with app.state.engine.connect() as conn:
        failures = (await conn.execute(sa.text("SELECT failures FROM login_throttle"))).scalar()
    # Each guess that reached the password check counted: none was lost to a race.
    assert failures == sum(r.status_code == 401 for r in results)


async def test_admins_see_and_clear_a_lockout(app: FastAPI, console: Console) -> None:
    admin = await console("admin")
    await make_staff(app, "handler@example.com", "handler")
    for n in range(3):
        await api_login(app, n + 1, "handler@example.com", "wrong password!!")
    async with app.state.engine.connect() as conn:
        q = "SELECT id FROM staff_user WHERE email = 'handler@example.com'"
        user_id = uuid.UUID(str((await conn.execute(sa.text(q))).scalar_one()))
    page = await admin.get("/console/access")
    url = f"/console/access/users/{user_id}/unlock"
    assert "<strong>locked</strong>" in page.text
    assert f'action="{url}"' in page.text
    r = await admin.post(url, data={"csrf_token": csrf_in(page.text)})
    assert (r.status_code, r.headers["location"]) == (303, "/console/access")
    assert "<strong>locked</strong>" not in (await admin.get("/console/access")).text
    assert (await api_login(app, 9, "handler@example.com", PASSWORD)).status_code == 200
