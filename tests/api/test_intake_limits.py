"""Public intake under abuse: rate limits (429 with Retry-After), body size limits (413 by
Content-Length and by counting a chunked body), hostile input, and no personal data in logs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dsr.cases.models import Case
from tests.helpers import Mailbox, count, deliver, link_in, send_public_form, token_of

IP_LIMIT = 3
EMAIL_LIMIT = 2
BASE = {
    "type": "access",
    "jurisdiction": "DE",
    "email": "Limit.Tester@example.org",
    "full_name": "Lina Limit",
}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"rate_limit_ip": f"{IP_LIMIT}/minute", "rate_limit_email": f"{EMAIL_LIMIT}/hour"}


def client_from(app: FastAPI, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def assert_429(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    retry = r.headers.get("retry-after")
    assert retry is not None, r.headers
    assert retry.isdigit(), r.headers
    assert 1 <= int(retry) <= 3600


# --- rate limits ------------------------------------------------------------------------------


async def test_per_ip_limit(app: FastAPI) -> None:
    async with client_from(app, "198.51.100.1") as c, client_from(app, "198.51.100.2") as other:
        for n in range(IP_LIMIT):
            r = await c.post("/api/v1/requests", json={**BASE, "email": f"ip{n}@example.org"})
            assert r.status_code == 201, r.text
        r = await c.post("/api/v1/requests", json={**BASE, "email": "ip9@example.org"})
        assert_429(r)
        assert "too many requests" in r.json()["detail"]
        assert "ip9" not in r.text
        # Another address is not affected.
        r = await other.post("/api/v1/requests", json={**BASE, "email": "other@example.org"})
        assert r.status_code == 201
    assert await count(app, "case_record") == IP_LIMIT + 1


async def test_per_ip_limit_also_covers_the_html_form(app: FastAPI) -> None:
    async with client_from(app, "198.51.100.3") as c:
        for n in range(IP_LIMIT):
            r = await send_public_form(c, data={**BASE, "email": f"form{n}@example.org"})
            assert r.status_code == 303, r.text
        r = await send_public_form(c, data={**BASE, "email": "form9@example.org"})
        assert r.status_code == 429
        assert "text/html" in r.headers["content-type"]
        assert "Too many requests" in r.text


async def test_html_429_has_retry_after(app: FastAPI) -> None:
    async with client_from(app, "198.51.100.4") as c:
        for n in range(IP_LIMIT):
            await send_public_form(c, data={**BASE, "email": f"form{n}@example.org"})
        assert_429(await send_public_form(c, data={**BASE, "email": "form9@example.org"}))


async def test_per_address_limit_across_ips_and_spellings(app: FastAPI) -> None:
    spellings = [
        "Limit.Tester@example.org",
        "limit.tester@EXAMPLE.org",
        " limit.tester@example.org",
    ]
    for n, address in enumerate(spellings[:EMAIL_LIMIT]):
        async with client_from(app, f"192.0.2.{n + 1}") as c:
            r = await c.post("/api/v1/requests", json={**BASE, "email": address})
            assert r.status_code == 201, r.text
    async with client_from(app, "192.0.2.99") as c:
        r = await c.post("/api/v1/requests", json={**BASE, "email": spellings[-1].strip()})
        assert_429(r)
        assert "e-mail address" in r.json()["detail"]
        assert "limit.tester" not in r.text.lower()
        # Another address from the same client still gets through.
        r = await c.post("/api/v1/requests", json={**BASE, "email": "fresh@example.org"})
        assert r.status_code == 201
    assert await count(app, "case_record") == EMAIL_LIMIT + 1


async def test_invalid_bodies_do_not_use_up_the_address_limit(app: FastAPI) -> None:
    async with client_from(app, "192.0.2.50") as c:
        bad = {**BASE, "jurisdiction": "??"}
        r = await c.post("/api/v1/requests", json=bad)
        assert r.status_code == 422
    for n in range(EMAIL_LIMIT):
        async with client_from(app, f"192.0.2.{60 + n}") as c:
            assert (await c.post("/api/v1/requests", json=BASE)).status_code == 201


# --- size limits ------------------------------------------------------------------------------


async def test_413_by_content_length(app: FastAPI, client: httpx.AsyncClient) -> None:
    body = json.dumps({**BASE, "details": "x" * 70_000}).encode()
    r = await client.post(
        "/api/v1/requests", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"
    # A lying or garbage Content-Length is refused too, before any of the body is read.
    r = await client.post(
        "/api/v1/requests",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": "abc"},
    )
    # Refused by the body-size guard itself, which treats a length it cannot read as too long.
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "payload_too_large"
    assert await count(app, "case_record") == 0


async def _chunks(total: int, size: int = 8192) -> AsyncIterator[bytes]:
    yield b'{"type":"access","jurisdiction":"DE","email":"c@example.org","full_name":"C","details":"'
    sent = 0
    while sent < total:
        yield b"x" * size
        sent += size
    yield b'"}'


async def test_oversized_chunked_body_is_refused_and_writes_nothing(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    req = client.build_request(
        "POST",
        "/api/v1/requests",
        content=_chunks(100_000),
        headers={"content-type": "application/json"},
    )
    assert "content-length" not in req.headers
    r = await client.send(req)
    assert r.status_code == 413
    # The HTML form reads its body itself; it gets the 413 as an HTML page.
    form = client.build_request(
        "POST",
        "/requests",
        content=_form_chunks(100_000),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert "content-length" not in form.headers
    r = await client.send(form)
    assert r.status_code == 413
    assert await count(app, "case_record") == 0


async def _form_chunks(total: int, size: int = 8192) -> AsyncIterator[bytes]:
    yield b"type=access&jurisdiction=DE&email=f%40example.org&full_name=F&details="
    for _ in range(0, total, size):
        yield b"x" * size


async def test_413_for_a_chunked_body_without_content_length(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    req = client.build_request(
        "POST",
        "/api/v1/requests",
        content=_chunks(100_000),
        headers={"content-type": "application/json"},
    )
    assert "content-length" not in req.headers
    assert req.headers.get("transfer-encoding") == "chunked"
    r = await client.send(req)
    assert r.status_code == 413, r.text
    # The same JSON shape and message as the refusal by Content-Length.
    assert r.json() == {
        "detail": "request body too large: the limit is 64 KB",
        "code": "payload_too_large",
    }
    # Under the limit, the same streamed body is accepted.
    ok = client.build_request(
        "POST",
        "/api/v1/requests",
        content=_chunks(1000),
        headers={"content-type": "application/json"},
    )
    assert (await client.send(ok)).status_code == 201
    assert await count(app, "case_record") == 1


async def test_413_over_a_real_socket(app: FastAPI) -> None:
    """The same through uvicorn and a raw socket: the server answers 413 without waiting for
    the rest of an endless chunked body."""
    import uvicorn

    from tests.helpers import free_port

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /api/v1/requests HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"x" * 4096
        with contextlib.suppress(ConnectionError):  # the server may close early: fine
            for _ in range(40):  # 160 KB, more than the 64 KB limit
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=5)
        assert status_line.split()[1] == b"413", status_line
        writer.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)
    assert await count(app, "case_record") == 0


# --- hostile input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: "[" * 30_000 + "]" * 30_000, id="deep-array"),
        pytest.param(lambda: '{"a":' * 10_000 + "1" + "}" * 10_000, id="deep-object"),
    ],
)
async def test_deeply_nested_json_is_422(
    app: FastAPI, client: httpx.AsyncClient, make: Callable[[], str]
) -> None:
    nested = make()
    body = json.dumps(BASE)[:-1] + ', "details": ' + nested + "}"
    assert len(body) < 64 * 1024
    r = await client.post(
        "/api/v1/requests", content=body, headers={"content-type": "application/json"}
    )
    # The JSON parser gives up (RecursionError): answered like any other malformed JSON.
    assert r.status_code == 422, r.text[:300]
    assert r.json()["code"] == "invalid"
    assert await count(app, "case_record") == 0


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", json.dumps(BASE).encode()),
        ("application/x-www-form-urlencoded", b"type=access&jurisdiction=DE&email=a%40b.org"),
        ("application/xml", b"<request><type>access</type></request>"),
        pytest.param(
            "application/json", b"\xff\xfe\x00{not utf-8", id="application/json-not-utf-8"
        ),
        ("application/json", b"[1, 2, 3]"),
        ("application/json", b"null"),
        ("application/json", b'"just a string"'),
        ("application/json", b""),
    ],
)
async def test_wrong_content_type_or_shape_is_422(
    app: FastAPI, client: httpx.AsyncClient, content_type: str, content: bytes
) -> None:
    r = await client.post(
        "/api/v1/requests", content=content, headers={"content-type": content_type}
    )
    assert r.status_code == 422, (r.status_code, r.text[:300])
    assert await count(app, "case_record") == 0


@pytest.mark.parametrize(
    "value",
    [
        "Ada\x00Lovelace",  # NUL: PostgreSQL cannot even store it
        "Ada\x1b[31mLovelace",  # ANSI escape: paints terminals that print logs
        "Ada\x07",  # bell
        "Ada\x7f",  # DEL
        "Ada\x08\x08\x08Eve",  # backspaces that rewrite what a terminal shows
    ],
)
async def test_control_characters_are_refused(
    app: FastAPI, client: httpx.AsyncClient, value: str
) -> None:
    r = await client.post("/api/v1/requests", json={**BASE, "full_name": value})
    assert r.status_code == 422, r.text
    assert "control characters" in r.text
    assert value not in r.text
    assert await count(app, "case_record") == 0


async def test_lone_surrogate_is_a_clean_4xx(app: FastAPI, client: httpx.AsyncClient) -> None:
    # Valid JSON, but not encodable as UTF-8: must not reach the database driver.
    body = json.dumps(BASE)[:-1] + ', "details": "\\ud800 broken"}'
    r = await client.post(
        "/api/v1/requests", content=body, headers={"content-type": "application/json"}
    )
    assert 400 <= r.status_code < 500, r.text[:300]
    assert await count(app, "case_record") == 0


SQLISH = [
    "Robert'); DROP TABLE case_record;--",
    "' OR '1'='1",
    '"; DELETE FROM outbox_message WHERE "1"="1',
    "1; SELECT pg_sleep(5)--",
    'O\'Brien <b>bold</b> & "quotes" {{ 7*7 }} ${7*7}',
]


async def test_sql_and_markup_are_stored_verbatim_and_shown_escaped(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    from tests.helpers import auth, make_staff

    ids = []
    for n, text in enumerate(SQLISH):
        async with client_from(app, f"203.0.113.{100 + n}") as c:
            r = await c.post(
                "/api/v1/requests",
                json={**BASE, "email": f"sql{n}@example.org", "full_name": text, "details": text},
            )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])

    # Stored exactly as typed.
    async with app.state.sessionmaker() as session:
        for case_id, text in zip(ids, SQLISH, strict=True):
            case: Case | None = await session.get(Case, uuid.UUID(case_id))
            assert case is not None
            assert (case.full_name, case.details) == (text, text)
    assert await count(app, "case_record") == len(SQLISH)

    # Returned verbatim in JSON to staff ...
    token = await make_staff(app, "handler@example.com", "handler")
    for case_id, text in zip(ids, SQLISH, strict=True):
        r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(token))
        assert r.status_code == 200
        assert r.json()["full_name"] == text

    # ... and escaped in the HTML e-mail (the template engine did not evaluate {{ 7*7 }}), cut
    # to the verification e-mail's 40 characters.
    assert await deliver(app) == (len(SQLISH), 0)
    html_part = mailbox.last_to("sql4@example.org").get_body(preferencelist=("html",))
    assert html_part is not None
    html = str(html_part.get_content())
    assert "“O&#39;Brien &lt;b&gt;bold&lt;/b&gt; &amp; &#34;quotes&#34; {{ 7*7 }…”" in html


# --- no personal data in logs -----------------------------------------------------------------

LOGGED_NAME = "Zelda Quintessa Loggins"
LOGGED_EMAIL = "zelda.loggins@example.org"


async def test_no_personal_data_in_logs(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    """Everything dsr and SQLAlchemy log at DEBUG while a request is submitted, mailed,
    verified and acknowledged. SQLAlchemy's own DEBUG output includes fetched rows ("Row ...")
    by design; those are counted separately below and reported, not hidden."""
    for name in ("dsr", "sqlalchemy", "aiosmtplib", "uvicorn", "fastapi"):
        caplog.set_level(logging.DEBUG, logger=name)
    body = {**BASE, "email": LOGGED_EMAIL, "full_name": LOGGED_NAME, "account_id": "acct-778899"}
    r = await client.post("/api/v1/requests", json=body)
    assert r.status_code == 201
    case_id = r.json()["id"]
    # A rejected submission (its values must not be echoed into logs either).
    bad = await client.post("/api/v1/requests", json={**body, "jurisdiction": "!!"})
    assert bad.status_code == 422
    assert await deliver(app) == (1, 0)
    token = token_of(link_in(mailbox.last_to(LOGGED_EMAIL), f"/requests/{case_id}/verify"))
    r = await client.post(f"/api/v1/requests/{case_id}/verify", json={"token": "0" * 40})
    assert r.status_code == 404
    r = await client.post(f"/api/v1/requests/{case_id}/verify", json={"token": token})
    assert r.status_code == 200
    assert await deliver(app) == (1, 0)

    ours = [
        rec
        for rec in caplog.records
        if rec.name.split(".")[0] in ("dsr", "sqlalchemy", "aiosmtplib", "uvicorn", "fastapi")
    ]
    assert any(rec.name.startswith("sqlalchemy.engine") for rec in ours)  # logging was on
    secrets = [
        LOGGED_EMAIL,
        LOGGED_EMAIL.split("@")[0],
        LOGGED_NAME,
        "Zelda",
        "Loggins",
        "acct-778899",
        token,
    ]
    rows = [rec for rec in ours if rec.msg == "Row %r"]
    leaks = [
        (rec.name, rec.getMessage()[:200])
        for rec in ours
        if rec not in rows
        and any(s.lower() in (rec.getMessage() + str(rec.exc_info or "")).lower() for s in secrets)
    ]
    assert leaks == []
