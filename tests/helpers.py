"""Helpers shared by test modules: the test databases and settings, the captured mailbox, links
in e-mails, staff users and tokens, console logins and CSRF tokens, refused cases and appeals,
and axe-core checks in the browser."""

from __future__ import annotations

import html
import os
import re
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

from dsr.notifications.dispatcher import dispatch_once
from dsr.settings import Settings

if TYPE_CHECKING:
    from playwright.async_api import Page  # the browser tests skip without it

PASSWORD = "correct horse battery"  # of staff users made by make_staff
REQUESTER = "requester@example.org"  # of cases opened by open_case

PG_ADMIN_URL = os.environ.get(
    "DSR_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)

BACKENDS = [
    b.strip()
    for b in os.environ.get("DSR_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if b.strip()
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
if IN_CI and set(BACKENDS) != {"sqlite", "postgresql"}:
    # In CI both databases always run: a narrowed DSR_TEST_BACKENDS would skip one silently.
    raise pytest.UsageError("CI runs the suite on sqlite and postgresql: unset DSR_TEST_BACKENDS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def create_pg_database() -> tuple[str, str]:
    name = f"dsr_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return name, PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


async def drop_pg_database(name: str) -> None:
    admin = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def make_settings(database_url: str, smtp_port: int, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": "test-secret-key-not-for-production",
        "base_url": "http://testserver",
        "environment": "test",
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "mail_from": "privacy@example.com",
        "rate_limit_ip": "100000/minute",
        "rate_limit_email": "100000/minute",
        "rate_limit_login": "100000/minute",
        "var_dir": tmp_path,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: bool = False  # when True the server answers `refusal` to every message
    refusal: str = "451 try again later"

    def clear(self) -> None:
        self.messages.clear()
        self.refuse = False
        self.refusal = "451 try again later"

    def to(self, address: str) -> list[EmailMessage]:
        wanted = address.strip().lower()
        return [m for m in self.messages if str(m["To"]).strip().lower() == wanted]

    def last_to(self, address: str) -> EmailMessage:
        found = self.to(address)
        assert found, f"no e-mail to {address}; got {[m['To'] for m in self.messages]}"
        return found[-1]


def body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def link_in(msg: EmailMessage, path_fragment: str) -> str:
    match = re.search(r"https?://\S*" + re.escape(path_fragment) + r"\S*", body_text(msg))
    assert match, f"no link containing {path_fragment!r} in e-mail"
    return match.group(0)


async def count(app: FastAPI, table: str) -> int:
    """The number of rows in a table."""
    async with app.state.engine.connect() as conn:
        return int((await conn.execute(sa.text(f'SELECT count(*) FROM "{table}"'))).scalar_one())


async def deliver(app: FastAPI) -> tuple[int, int]:
    """Run the outbox worker once, as `dsr worker` would."""
    return await dispatch_once(app.state.sessionmaker, app.state.settings)


async def make_staff(app: FastAPI, email: str, role: str, password: str = PASSWORD) -> str:
    """Create a staff user directly through the service (as `dsr users create` does) and return
    a bearer token obtained from POST /api/v1/auth/token."""
    from dsr.auth import service

    async with app.state.sessionmaker() as session, session.begin():
        await service.create_user(session, email, role, password)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        r = await c.post("/api/v1/auth/token", data={"username": email, "password": password})
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])


async def make_service_token(app: FastAPI, name: str, *scopes: str) -> str:
    from dsr.auth import service

    async with app.state.sessionmaker() as session, session.begin():
        return await service.create_service_token(session, name, scopes)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_of(url: str) -> str:
    from urllib.parse import parse_qs, urlparse

    return parse_qs(urlparse(url).query)["token"][0]


async def open_case(
    client: httpx.AsyncClient, app: FastAPI, mailbox: Mailbox, **fields: Any
) -> str:
    """Submit through the public API and verify through the e-mailed link: an open case."""
    body = {
        "type": "access",
        "jurisdiction": "DE",
        "email": REQUESTER,
        "full_name": "Rosa Requester",
        **fields,
    }
    r = await client.post("/api/v1/requests", json=body)
    assert r.status_code == 201, r.text
    case_id = str(r.json()["id"])
    await deliver(app)
    link = link_in(mailbox.last_to(body["email"]), f"/requests/{case_id}/verify")
    r = await client.post(f"/api/v1/requests/{case_id}/verify", json={"token": token_of(link)})
    assert r.status_code == 200, r.text
    await deliver(app)
    return case_id


async def act(
    client: httpx.AsyncClient, token: str, case_id: str, action: str, **params: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/cases/{case_id}/actions", json={"action": action, **params}, headers=auth(token)
    )


# --- the staff console over HTTP -------------------------------------------------------------


class NewBrowser(Protocol):
    """The `browser_for` fixtures: a client with its own cookie jar, logged in when given an
    e-mail address."""

    async def __call__(self, email: str | None = None) -> httpx.AsyncClient: ...


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HREF = re.compile(r'(?:href|action)="([^"]+)"')


def found(pattern: str, text: str) -> str:
    """The first group of the pattern's first match in the text, which must have one."""
    match = re.search(pattern, text)
    assert match, f"no match for {pattern!r}"
    return match.group(1)


def csrf_in(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


CHECK_FORM = re.compile(
    r'<form method="post" action="([^"]+)" class="check-confirm">(.*?)</form>', re.S
)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def confirm_form(page: str) -> tuple[str, dict[str, list[str]]]:
    """The console's check step (before a decision e-mails a requester): where its confirmation
    posts, and the fields the browser sends with it (the CSRF token among them)."""
    match = CHECK_FORM.search(page)
    assert match, "no check step on the page"
    fields: dict[str, list[str]] = {}
    for name, value in HIDDEN.findall(match.group(2)):
        fields.setdefault(name, []).append(html.unescape(value))
    return html.unescape(match.group(1)), fields


def hidden_fields(page: str) -> dict[str, str]:
    """A form's hidden fields as a browser would send them back."""
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


async def send_public_form(c: httpx.AsyncClient, **post: Any) -> httpx.Response:
    """The public form as a person sends it: the answers (`post` as for httpx's post), the
    check page (which must come), then its "Send request" button; the last answer."""
    check = await c.post("/requests", **post)
    assert check.status_code == 200, check.text
    # The check page speaks the browser's language: find it by its form, not its English, and
    # post where its button does (the action keeps the page's language).
    action = re.search(r'<form method="post" action="(/requests/confirm[^"]*)"', check.text)
    assert action, check.text
    return await c.post(
        html.unescape(action.group(1)), data=hidden_fields(check.text), headers=post.get("headers")
    )


async def login(c: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    page = await c.get("/console/login")
    assert page.status_code == 200
    r = await c.post(
        "/console/login",
        data={"email": email, "password": password, "csrf_token": csrf_in(page.text)},
    )
    return r


async def token_of_page(c: httpx.AsyncClient, path: str = "/console") -> str:
    r = await c.get(path)
    assert r.status_code == 200, r.text
    return csrf_in(r.text)


async def events(app: FastAPI, case_id: str, *, deliveries: bool = False) -> list[str]:
    """The actions of a case's timeline, oldest first; without the e-mail delivery events
    (message_sent, _retrying, _failed) unless asked for."""
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT action FROM case_event WHERE case_id = :id ORDER BY seq"),
            {"id": uuid.UUID(case_id).hex if app.state.settings.is_sqlite else case_id},
        )
        return [r[0] for r in rows if deliveries or not r[0].startswith("message_")]


# --- appeals ----------------------------------------------------------------------------------


async def refused_case(
    client: httpx.AsyncClient,
    app: FastAPI,
    mailbox: Mailbox,
    staff: dict[str, str],
    jurisdiction: str = "US-VA",
    **fields: Any,
) -> tuple[str, str]:
    """An open case denied by staff["decider"]: (case id, the appeal token from the decision)."""
    case_id = await open_case(client, app, mailbox, jurisdiction=jurisdiction, **fields)
    r = await act(
        client,
        staff["decider"],
        case_id,
        "deny",
        reason_code="exception_applies",
        explanation="The data is under a legal hold.",
    )
    assert r.status_code == 200, r.text
    await deliver(app)
    decision = mailbox.last_to(fields.get("email", REQUESTER))
    return case_id, token_of(link_in(decision, f"/requests/{case_id}/appeal"))


async def file_appeal(
    client: httpx.AsyncClient,
    case_id: str,
    token: str,
    reason: str = "I was never told about any legal hold.",
) -> httpx.Response:
    return await client.post(
        f"/api/v1/requests/{case_id}/appeal", json={"token": token, "reason": reason}
    )


# --- the browser ------------------------------------------------------------------------------


async def serious_violations(page: Page, axe_source: str) -> list[str]:
    """Run axe-core on the current page (WCAG 2.x A/AA rules and best practices) and return the
    serious and critical violations, one line each. Injected through the DevTools protocol, so
    the page's Content-Security-Policy stays in force."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(axe_source)
    result = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in result
        if v.get("impact") in ("serious", "critical")
    ]


# A console fixture's login: role -> a logged-in client (its own cookie jar).
Console = Callable[[str], Awaitable[httpx.AsyncClient]]
