"""Staff API and console fixes: who closes data-system tasks, the session cookie links in staff
e-mails need (SameSite=Lax), staff login's own rate-limit bucket, and staff-entered receipt
dates judged in DSR_TIMEZONE."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from dsr.ratelimit import RateLimiter
from tests.fulfilment_helpers import make_system_token
from tests.helpers import (
    PASSWORD,
    Mailbox,
    act,
    auth,
    csrf_in,
    login,
    make_staff,
    open_case,
)

REQUESTER = {
    "type": "access",
    "jurisdiction": "DE",
    "email": "someone@example.org",
    "full_name": "Some One",
}


async def test_reviewers_may_not_close_tasks_but_handlers_and_owners_may(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin", PASSWORD)
    handler = await make_staff(app, "handler@example.com", "handler", PASSWORD)
    reviewer = await make_staff(app, "reviewer@example.com", "reviewer", PASSWORD)
    for name in ("crm", "warehouse"):
        r = await client.post(
            "/api/v1/data-systems",
            json={"name": name, "owner_email": f"{name}@example.com", "request_types": ["access"]},
            headers=auth(admin),
        )
        assert r.status_code == 201, r.text
    case_id = await open_case(client, app, mailbox)
    tasks = (await client.get(f"/api/v1/cases/{case_id}/tasks", headers=auth(handler))).json()
    crm, warehouse = (t["id"] for t in sorted(tasks, key=lambda t: t["system"]))
    url = f"/api/v1/cases/{case_id}/tasks/"
    r = await client.post(url + crm, json={"status": "done"}, headers=auth(reviewer))
    assert r.status_code == 403
    r = await client.post(url + crm, json={"status": "done"}, headers=auth(handler))
    assert r.status_code == 200
    assert r.json()["status"] == "done"
    systems = {
        s["name"]: s["id"]
        for s in (await client.get("/api/v1/data-systems", headers=auth(admin))).json()
    }
    owner = await make_system_token(app, systems["warehouse"], "warehouse-owner")
    r = await client.post(
        f"/api/v1/tasks/{warehouse}/complete",
        json={"outcome": "done", "note": "erased"},
        headers=auth(owner),
    )
    assert r.status_code == 200
    assert r.json()["status"] == "done"
    await act(client, handler, case_id, "assign", assignee="handler@example.com")
    assert (await act(client, handler, case_id, "fulfil")).status_code == 200


async def test_console_cookies_are_samesite_lax_and_forms_still_need_csrf(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_staff(app, "handler@example.com", "handler", PASSWORD)
    r = await login(client, "handler@example.com")
    assert r.status_code == 303
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("dsr_session="))
    csrf = next(c for c in cookies if c.startswith("dsr_csrf="))
    for cookie in (session, csrf):
        assert "samesite=lax" in cookie.lower()
        assert "httponly" in cookie.lower()
    # Lax lets a link (a GET) arrive with the session; an unsafe request still needs the token,
    # which another site can neither read nor send.
    assert (await client.get("/console")).status_code == 200
    assert (await client.post("/console/logout", data={})).status_code == 403
    assert (await client.get("/console")).status_code == 200


async def test_staff_login_has_its_own_rate_limit_bucket(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await make_staff(app, "handler@example.com", "handler", PASSWORD)
    # Public intake exhausted from this address: staff can still log in from it.
    app.state.rate_limiter = RateLimiter("2/minute", "100/minute", "3/minute")
    for i in range(2):
        r = await client.post("/api/v1/requests", json={**REQUESTER, "email": f"p{i}@example.org"})
        assert r.status_code == 201, r.text
    r = await client.post("/api/v1/requests", json=REQUESTER)
    assert r.status_code == 429
    assert (await login(client, "handler@example.com")).status_code == 303
    r = await client.post(
        "/api/v1/auth/token", data={"username": "handler@example.com", "password": PASSWORD}
    )
    assert r.status_code == 200

    # Password guessing exhausts the login bucket (the console's form and the token endpoint
    # share it): the public can still submit requests from the same address.
    app.state.rate_limiter = RateLimiter("2/minute", "100/minute", "2/minute")
    client.cookies.clear()  # logged out again
    bad = {"username": "handler@example.com", "password": "wrong password!"}
    assert (await client.post("/api/v1/auth/token", data=bad)).status_code == 401
    assert (await login(client, "handler@example.com", "wrong password!")).status_code == 401
    r = await client.post("/api/v1/auth/token", data=bad)
    assert r.status_code == 429
    assert "retry-after" in r.headers
    page = await client.get("/console/login")
    r = await client.post(
        "/console/login",
        data={
            "email": "handler@example.com",
            "password": PASSWORD,
            "csrf_token": csrf_in(page.text),
        },
    )
    assert r.status_code == 429
    assert "too many" in r.text.lower()
    r = await client.post("/api/v1/requests", json=REQUESTER)
    assert r.status_code == 201, r.text


# UTC+12 all year: from 12:00 UTC its date is a day ahead of UTC's, and noon on that date (the
# time a bare date is taken to mean) is still that date in UTC, which a UTC comparison refused.
EAST = "Etc/GMT-12"


@pytest.mark.parametrize("settings_overrides", [{"timezone": EAST}])
async def test_staff_entered_receipt_date_is_judged_in_the_controllers_time_zone(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token = await make_staff(app, "handler@example.com", "handler", PASSWORD)
    today = datetime.now(ZoneInfo(EAST)).date()
    body = {**REQUESTER, "channel": "post"}
    r = await client.post(
        "/api/v1/cases", json={**body, "received_at": today.isoformat()}, headers=auth(token)
    )
    assert r.status_code == 201, r.text
    received = datetime.fromisoformat(r.json()["received_at"]).astimezone(ZoneInfo(EAST))
    assert received.date() == today
    assert received <= datetime.now(ZoneInfo(EAST))
    tomorrow = today + timedelta(days=1)
    r = await client.post(
        "/api/v1/cases",
        json={**body, "email": "x@example.org", "received_at": tomorrow.isoformat()},
        headers=auth(token),
    )
    assert r.status_code == 422
    assert "future" in r.json()["detail"]
    later = datetime.now(ZoneInfo(EAST)) + timedelta(hours=1)
    r = await client.post(
        "/api/v1/cases",
        json={**body, "email": "y@example.org", "received_at": later.isoformat()},
        headers=auth(token),
    )
    assert r.status_code == 422
