"""The second factor for staff (issue 12, item 14): TOTP enrolment by QR code in the console,
the code as a second login step in the console and in POST /api/v1/auth/token (form field
`totp`), recovery codes kept as hashes and usable once, DSR_REQUIRE_MFA, and an admin's reset.
Codes are computed with pyotp from the secret the enrolment page shows, as an app would."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pyotp
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import select

from dsr.auth.models import StaffUser
from tests.helpers import PASSWORD, Console, csrf_in, found, login

pytestmark = pytest.mark.usefixtures("mailbox")


def browser(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50001))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def later_code(totp: pyotp.TOTP, steps: int = 1) -> str:
    """A code of a later time step (within the accepted drift): each step's code is accepted
    once, so a second login in the same 30 seconds uses the next one."""
    return totp.at(time.time() + 30 * steps)


async def enrol(c: httpx.AsyncClient) -> tuple[pyotp.TOTP, list[str]]:
    """Set up the second factor from the account page, as a user with an app would."""
    page = await c.get("/console/account/mfa")
    assert page.status_code == 200, page.text
    r = await c.post("/console/account/mfa/start", data={"csrf_token": csrf_in(page.text)})
    assert r.status_code == 200
    assert "<svg" in r.text  # the QR code, inline
    secret = found(r'id="totp-secret">([A-Z2-7]+)<', r.text)
    totp = pyotp.TOTP(secret)
    wrong = await c.post(
        "/console/account/mfa/confirm", data={"code": "000000", "csrf_token": csrf_in(r.text)}
    )
    assert wrong.status_code == 422
    assert "The code is not right" in wrong.text
    done = await c.post(
        "/console/account/mfa/confirm", data={"code": totp.now(), "csrf_token": csrf_in(r.text)}
    )
    assert done.status_code == 200, done.text
    codes = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", done.text)
    assert len(codes) == 10
    return totp, codes


async def user_row(app: FastAPI, email: str) -> StaffUser:
    async with app.state.sessionmaker() as session:
        user: StaffUser = (
            await session.exec(select(StaffUser).where(StaffUser.email == email))
        ).one()
        return user


async def test_enrolment_then_login_asks_for_the_code(app: FastAPI, console: Console) -> None:
    c = await console("handler")
    totp, codes = await enrol(c)
    row = await user_row(app, "handler@example.com")
    assert row.mfa_enabled_at is not None
    assert row.totp_secret == totp.secret  # the model reads it back ...
    async with app.state.engine.connect() as conn:  # ... while the table holds it sealed
        stored = (
            await conn.execute(
                sa.text("SELECT totp_secret FROM staff_user WHERE email = :e"), {"e": row.email}
            )
        ).scalar_one()
    assert totp.secret not in stored
    assert not any(code in str(row.recovery_codes) for code in codes)  # hashes only
    assert (await c.get("/console")).status_code == 200  # enrolling kept this browser in

    other = browser(app)
    async with other:
        r = await login(other, "handler@example.com")
        assert (r.status_code, r.headers["location"]) == (303, "/console/login/code")
        assert (await other.get("/console")).status_code == 303  # the password alone: no session
        page = await other.get("/console/login/code")
        assert 'autocomplete="one-time-code"' in page.text
        token = csrf_in(page.text)
        r = await other.post("/console/login/code", data={"code": "123456", "csrf_token": token})
        assert r.status_code == 401
        assert "The code is not right" in r.text
        code = later_code(totp)
        r = await other.post("/console/login/code", data={"code": code, "csrf_token": token})
        assert (r.status_code, r.headers["location"]) == (303, "/console")
        assert (await other.get("/console")).status_code == 200

    # The same code again (seen over a shoulder) is refused; a recovery code works once.
    third = browser(app)
    async with third:
        await login(third, "handler@example.com")
        token = csrf_in((await third.get("/console/login/code")).text)
        r = await third.post("/console/login/code", data={"code": code, "csrf_token": token})
        assert r.status_code == 401
        r = await third.post(
            "/console/login/code", data={"code": codes[0].upper(), "csrf_token": token}
        )
        assert r.status_code == 303
    fourth = browser(app)
    async with fourth:
        await login(fourth, "handler@example.com")
        token = csrf_in((await fourth.get("/console/login/code")).text)
        r = await fourth.post("/console/login/code", data={"code": codes[0], "csrf_token": token})
        assert r.status_code == 401
    assert len((await user_row(app, "handler@example.com")).recovery_codes) == 9  # one spent


async def test_the_token_endpoint_asks_for_the_code(
    client: httpx.AsyncClient, console: Console
) -> None:
    c = await console("reviewer")
    totp, codes = await enrol(c)
    form = {"username": "reviewer@example.com", "password": PASSWORD}
    r = await client.post("/api/v1/auth/token", data=form)
    assert r.status_code == 401
    assert "form field totp" in r.json()["detail"]
    r = await client.post("/api/v1/auth/token", data={**form, "totp": "000000"})
    assert r.status_code == 401
    assert "code is not right" in r.json()["detail"]
    r = await client.post("/api/v1/auth/token", data={**form, "totp": later_code(totp)})
    assert r.status_code == 200, r.text
    r = await client.post("/api/v1/auth/token", data={**form, "totp": codes[3]})
    assert r.status_code == 200
    # A wrong password with a right code is still a wrong password.
    r = await client.post(
        "/api/v1/auth/token",
        data={**form, "password": "wrong password!!", "totp": later_code(totp, 2)},
    )
    assert r.status_code == 401


@pytest.mark.parametrize(
    "settings_overrides", [{"login_lockout_threshold": 3, "login_lockout_seconds": 60}]
)
async def test_wrong_codes_count_towards_the_lockout(
    client: httpx.AsyncClient, console: Console
) -> None:
    c = await console("handler")
    totp, _ = await enrol(c)
    form = {"username": "handler@example.com", "password": PASSWORD}
    for guess in ("111111", "222222", "333333"):
        assert (
            await client.post("/api/v1/auth/token", data={**form, "totp": guess})
        ).status_code == 401
    r = await client.post("/api/v1/auth/token", data={**form, "totp": later_code(totp)})
    assert r.status_code == 429


@pytest.mark.parametrize("settings_overrides", [{"require_mfa": True}])
async def test_require_mfa_sends_users_without_it_to_enrol(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_staff_without_token(app, "handler@example.com", "handler")
    r = await client.post(
        "/api/v1/auth/token", data={"username": "handler@example.com", "password": PASSWORD}
    )
    assert r.status_code == 401
    assert "must set up a second factor" in r.json()["detail"]
    c = browser(app)
    async with c:
        r = await login(c, "handler@example.com")
        assert (r.status_code, r.headers["location"]) == (303, "/console/account/mfa")
        assert (await c.get("/console")).status_code == 303  # no session before the second factor
        page = await c.get("/console/account/mfa")
        assert "This console requires a second factor" in page.text
        assert "Log out everywhere" not in page.text
        totp, _ = await enrol(c)
        assert (await c.get("/console")).status_code == 200
    r = await client.post(
        "/api/v1/auth/token",
        data={"username": "handler@example.com", "password": PASSWORD, "totp": later_code(totp)},
    )
    assert r.status_code == 200


async def make_staff_without_token(app: FastAPI, email: str, role: str) -> None:
    from dsr.auth import service

    async with app.state.sessionmaker() as session, session.begin():
        await service.create_user(session, email, role, PASSWORD)


async def test_admins_reset_a_users_second_factor(app: FastAPI, console: Console) -> None:
    handler = await console("handler")
    await enrol(handler)
    admin = await console("admin")
    user_id = uuid.UUID(str((await user_row(app, "handler@example.com")).id))
    page = await admin.get("/console/access")
    url = f"/console/access/users/{user_id}/reset-mfa"
    assert f'action="{url}"' in page.text
    r = await admin.post(url, data={"csrf_token": csrf_in(page.text)})
    assert (r.status_code, r.headers["location"]) == (303, "/console/access")
    row = await user_row(app, "handler@example.com")
    assert (row.totp_secret, row.mfa_enabled_at) == (None, None)
    assert (await handler.get("/console")).status_code == 303  # the user's sessions ended
    again = browser(app)
    async with again:
        r = await login(again, "handler@example.com")
        assert (r.status_code, r.headers["location"]) == (303, "/console")
