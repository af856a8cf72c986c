"""Global Privacy Control signals (POST /api/v1/signals/gpc): an opt-out for a known subject,
recorded once however often it is sent, answered by the eligibility API's opt-out purposes and
shown on the subject's console page."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from tests.helpers import auth, count, csrf_in, make_service_token
from tests.training import eligibility, email_key, reasons

ADA = email_key("ada@example.org")


def signal(subject: str = ADA, at: datetime | None = None) -> dict[str, str]:
    return {"subject": subject, "observed_at": (at or datetime.now(UTC)).isoformat()}


async def test_gpc_records_one_opt_out_however_often_sent(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token = await make_service_token(app, "site", "consent:write")
    reader = await make_service_token(app, "adtech", "training:read")
    r = await client.post("/api/v1/signals/gpc", json=signal(), headers=auth(token))
    assert r.status_code == 201, r.text
    assert r.json() == {"subject": ADA, "opted_out": True, "recorded": True}
    for _ in range(3):
        r = await client.post("/api/v1/signals/gpc", json=signal(), headers=auth(token))
        assert r.status_code == 200, r.text
        assert r.json() == {"subject": ADA, "opted_out": True, "recorded": False}
    assert await count(app, "opt_out") == 1

    other = "account:never-signalled"
    got = reasons(
        await eligibility(
            client, reader, [ADA, other], purpose="targeted_advertising", category="outputs"
        )
    )
    assert got == [(ADA, False, "opted_out"), (other, True, "not_opted_out")]
    # Training answers are untouched: no consent record means not eligible, as before.
    assert reasons(await eligibility(client, reader, [ADA])) == [(ADA, False, "no_consent")]


async def test_concurrent_signals_still_record_once(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    token = await make_service_token(app, "site", "consent:write")
    sent = await asyncio.gather(
        *(client.post("/api/v1/signals/gpc", json=signal(), headers=auth(token)) for _ in range(4))
    )
    assert sorted(r.status_code for r in sent) == [200, 200, 200, 201]
    assert await count(app, "opt_out") == 1


async def test_gpc_needs_consent_write_and_a_valid_key(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    reader = await make_service_token(app, "reader", "training:read")
    writer = await make_service_token(app, "site", "consent:write")
    r = await client.post("/api/v1/signals/gpc", json=signal(), headers=auth(reader))
    assert r.status_code == 403
    r = await client.post("/api/v1/signals/gpc", json=signal())
    assert r.status_code == 401
    r = await client.post(
        "/api/v1/signals/gpc", json=signal("email_sha256:abc"), headers=auth(writer)
    )
    assert r.status_code == 422
    assert "abc" not in r.text
    r = await client.post(
        "/api/v1/signals/gpc",
        json=signal(at=datetime.now(UTC) + timedelta(hours=2)),
        headers=auth(writer),
    )
    assert r.status_code == 422
    r = await client.post(
        "/api/v1/signals/gpc",
        json={"subject": ADA, "observed_at": "2026-12-01T10:00:00"},  # no offset
        headers=auth(writer),
    )
    assert r.status_code == 422
    assert await count(app, "opt_out") == 0


async def test_the_subject_page_shows_the_gpc_opt_out(
    app: FastAPI,
    client: httpx.AsyncClient,
    console: Callable[[str], Awaitable[httpx.AsyncClient]],
) -> None:
    token = await make_service_token(app, "site", "consent:write")
    r = await client.post("/api/v1/signals/gpc", json=signal(), headers=auth(token))
    assert r.status_code == 201, r.text
    c = await console("handler")
    form = await c.get("/console/subjects")
    page = await c.post(
        "/console/subjects", data={"subject": "ada@example.org", "csrf_token": csrf_in(form.text)}
    )
    assert page.status_code == 200, page.text
    state = re.search(r'id="opt-out-state">(.*?)</p>', page.text, re.S)
    assert state is not None
    assert "<strong>Opted out</strong>" in state.group(1)
    assert "Global Privacy Control signal" in page.text
