"""Requests an authorized agent makes for a consumer (form/API `agent` object; docs/legal.md
§1.10): the consumer confirms directly (or staff accept other proof), a power of attorney needs
no confirmation, the agent hears of every status change without any link, and the consumer
alone gets the status links and their copy of their data."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI

from tests.helpers import Mailbox, act, auth, body_text, deliver, link_in, make_staff, token_of

CONSUMER = "consumer@example.org"
AGENT = "agent@permission.example"


def upload_links_only(text: str, case_id: str) -> bool:
    """Every link in the text is the agent's upload link for this case."""
    upload = f"http://testserver/requests/{case_id}/agent-proof?token="
    return all(url.startswith(upload) for url in re.findall(r"https?://\S+", text))


def request(kind: str = "authorized_agent", **extra: Any) -> dict[str, Any]:
    return {
        "type": "deletion",
        "jurisdiction": "US-CA",
        "email": CONSUMER,
        "full_name": "Carla Consumer",
        "agent": {"name": "Permission Agency", "email": AGENT, "kind": kind},
        **extra,
    }


async def test_the_consumer_confirms_directly_and_the_agent_hears_without_links(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    r = await client.post("/api/v1/requests", json=request())
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending_verification"
    case_id = r.json()["id"]
    assert await deliver(app) == (2, 0)

    ask = body_text(mailbox.last_to(CONSUMER))
    assert "Permission Agency" in " ".join(ask.split())
    assert "confirm directly that you gave them permission" in " ".join(ask.split())
    told = mailbox.last_to(AGENT)
    assert "you made for a consumer" in told["Subject"]
    text = " ".join(body_text(told).split())
    assert "asked them to confirm directly" in text
    # No capability that reads the case reaches the agent: their one link uploads the signed
    # permission (tests/api/test_agent_proofs.py).
    assert upload_links_only(text, case_id)

    link = link_in(mailbox.last_to(CONSUMER), f"/requests/{case_id}/verify")
    r = await client.post(f"/api/v1/requests/{case_id}/verify", json={"token": token_of(link)})
    assert r.status_code == 200, r.text
    assert await deliver(app) == (2, 0)  # the consumer's acknowledgement and the agent's copy
    assert f"/requests/{case_id}?token=" in body_text(mailbox.last_to(CONSUMER))
    copy = " ".join(body_text(mailbox.last_to(AGENT)).split())
    assert "is open" in copy
    assert "http" not in copy

    admin = await make_staff(app, "admin@example.com", "admin")
    r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(admin))
    assert r.json()["agent"] == {
        "name": "Permission Agency",
        "email": AGENT,
        "kind": "authorized_agent",
    }


async def test_a_power_of_attorney_needs_no_confirmation(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    r = await client.post("/api/v1/requests", json=request("power_of_attorney"))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "open"
    await deliver(app)
    assert "/verify" not in body_text(mailbox.last_to(CONSUMER))
    assert len(mailbox.to(AGENT)) == 2  # submitted, then open


async def test_staff_may_accept_other_proof_only_for_an_agents_request(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    handler = await make_staff(app, "handler@example.com", "handler")
    case_id = (await client.post("/api/v1/requests", json=request())).json()["id"]
    r = await act(client, handler, case_id, "accept_agent_proof")
    assert r.status_code == 422, r.text  # the reason is required
    r = await act(
        client, handler, case_id, "accept_agent_proof", reason="Notarised letter, checked"
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "open"

    plain = {k: v for k, v in request().items() if k != "agent"}
    other = (await client.post("/api/v1/requests", json=plain)).json()["id"]
    r = await act(client, handler, other, "accept_agent_proof", reason="no agent here")
    assert r.status_code == 409, r.text


async def test_the_data_package_link_goes_to_the_consumer_only(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    handler = await make_staff(app, "handler@example.com", "handler")
    body = request("power_of_attorney", type="access")
    case_id = (await client.post("/api/v1/requests", json=body)).json()["id"]
    assert (
        await act(client, handler, case_id, "assign", assignee="handler@example.com")
    ).status_code == 200
    r = await act(client, handler, case_id, "fulfil")
    assert r.status_code == 200, r.text
    await deliver(app)
    package = [m for m in mailbox.messages if "ready to download" in m["Subject"]]
    assert [str(m["To"]) for m in package] == [CONSUMER]
    for m in mailbox.to(AGENT):
        assert "/package" not in body_text(m)
        assert upload_links_only(body_text(m), case_id)
    assert any("We decided" in body_text(m) for m in mailbox.to(AGENT))


async def test_agent_input_is_checked(client: httpx.AsyncClient) -> None:
    for agent in (
        {"name": "A", "email": "not-an-address", "kind": "authorized_agent"},
        {"name": "A", "email": AGENT, "kind": "friend"},
        {"name": "", "email": AGENT, "kind": "authorized_agent"},
        {"name": "A", "email": AGENT},
    ):
        r = await client.post("/api/v1/requests", json={**request(), "agent": agent})
        assert r.status_code == 422, agent


async def test_the_console_shows_the_agent_and_the_confirmation(
    client: httpx.AsyncClient,
    console: Callable[[str], Awaitable[httpx.AsyncClient]],
) -> None:
    case_id = (await client.post("/api/v1/requests", json=request())).json()["id"]
    c = await console("handler")
    page = await c.get(f"/console/cases/{case_id}")
    assert page.status_code == 200, page.text
    agent = re.search(r'id="case-agent">(.*?)</dd>', page.text, re.S)
    assert agent is not None
    assert agent.group(1) == "Permission Agency (agent@permission.example) · authorized agent"
    state = re.search(r'id="agent-confirmation">(.*?)</dd>', page.text, re.S)
    assert state is not None
    assert state.group(1) == "<strong>Waiting for the consumer to confirm</strong>"
    assert 'id="action-accept_agent_proof"' in page.text
