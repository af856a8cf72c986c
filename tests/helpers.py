"""Helpers for tests: the captured mailbox, links in e-mails, staff users and tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx

from dsr.notifications.dispatcher import dispatch_once


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: bool = False  # when True the server answers 451 to every message

    def clear(self) -> None:
        self.messages.clear()
        self.refuse = False

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


async def deliver(app: Any) -> tuple[int, int]:
    """Run the outbox worker once, as `dsr worker` would."""
    return await dispatch_once(app.state.sessionmaker, app.state.settings)


async def make_staff(
    app: Any, email: str, role: str, password: str = "correct horse battery"
) -> str:
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


async def make_service_token(app: Any, name: str, *scopes: str) -> str:
    from dsr.auth import service

    async with app.state.sessionmaker() as session, session.begin():
        return await service.create_service_token(session, name, scopes)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_of(url: str) -> str:
    from urllib.parse import parse_qs, urlparse

    return parse_qs(urlparse(url).query)["token"][0]


async def open_case(client: httpx.AsyncClient, app: Any, mailbox: Mailbox, **fields: Any) -> str:
    """Submit through the public API and verify through the e-mailed link: an open case."""
    body = {
        "type": "access",
        "jurisdiction": "DE",
        "email": "requester@example.org",
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
