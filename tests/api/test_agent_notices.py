"""Every status notice the consumer gets reaches the agent too, an appeal's included, without
any link; the links stay the consumer's (dsr.cases.agents; README, "Authorized agents")."""

from __future__ import annotations

import re
from email.message import EmailMessage

import httpx
from fastapi import FastAPI

from tests.helpers import Mailbox, act, auth, body_text, deliver, link_in, make_staff, token_of

CONSUMER = "consumer@example.org"
AGENT = "agent@permission.example"


def words(msg: EmailMessage) -> str:
    return " ".join(body_text(msg).split())


async def test_the_agent_hears_of_each_status_change_and_of_the_appeal_without_links(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    handler = await make_staff(app, "handler@example.com", "handler")
    reviewer = await make_staff(app, "reviewer@example.com", "reviewer")
    body = {
        "type": "deletion",
        "jurisdiction": "US-OR",  # a state with an appeal right
        "email": CONSUMER,
        "full_name": "Carla Consumer",
        "agent": {"name": "Permission Agency", "email": AGENT, "kind": "power_of_attorney"},
    }
    r = await client.post("/api/v1/requests", json=body)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    assert (
        await act(client, handler, case_id, "assign", assignee="handler@example.com")
    ).status_code == 200
    r = await act(client, handler, case_id, "extend", reason="Records sit in many systems")
    assert r.status_code == 200, r.text
    r = await act(
        client,
        handler,
        case_id,
        "deny",
        reason_code="exception_applies",
        explanation="The records are under a legal hold.",
    )
    assert r.status_code == 200, r.text
    await deliver(app)
    appeal_link = link_in(mailbox.last_to(CONSUMER), f"/requests/{case_id}/appeal")
    r = await client.post(
        f"/api/v1/requests/{case_id}/appeal",
        json={"token": token_of(appeal_link), "reason": "The hold ended last month."},
    )
    assert r.status_code == 201, r.text
    appeal_id = r.json()["id"]
    await client.post(
        f"/api/v1/appeals/{appeal_id}/actions",
        json={"action": "assign", "assignee": "reviewer@example.com"},
        headers=auth(reviewer),
    )
    r = await client.post(
        f"/api/v1/appeals/{appeal_id}/actions",
        json={"action": "uphold", "explanation": "The hold is still in force."},
        headers=auth(reviewer),
    )
    assert r.status_code == 200, r.text
    await deliver(app)

    told = [words(m) for m in mailbox.to(AGENT)]
    assert len(told) == 6, told  # submitted, open, extension, decision, appeal, its outcome
    assert "Records sit in many systems" in told[2]
    assert "The records are under a legal hold." in told[3]
    assert "The consumer appealed our decision" in told[4]
    assert "upheld our decision" in told[5]
    assert "The hold is still in force." in told[5]
    for text in told[1:]:
        assert not re.findall(r"https?://", text), text
    # The consumer got the same notices, with their links.
    consumer = [words(m) for m in mailbox.to(CONSUMER)]
    assert any("Outcome" in str(m["Subject"]) for m in mailbox.to(CONSUMER))
    assert any(f"/requests/{case_id}?token=" in text for text in consumer)
