"""The opt_out request type (docs/legal.md, "Opt-outs"): it opens at once without verification,
runs on California's 15-business-day clock with no extension, reaches data systems as tasks,
answers the eligibility API's opt-out purposes, and a documented-fraud denial lifts it."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
from fastapi import FastAPI

from dsr.cases.models import Case
from tests.fulfilment_helpers import register_system, task_of
from tests.helpers import Mailbox, act, auth, body_text, deliver, make_service_token, make_staff
from tests.training import consent, eligibility, email_key, post_consents, reasons

OPT_OUT = {
    "type": "opt_out",
    "jurisdiction": "US-CA",
    "email": "Grace.Hopper@example.org",
    "full_name": "Grace Hopper",
    "account_id": "acct-77",
}


async def _case(app: FastAPI, case_id: str) -> Case:
    async with app.state.sessionmaker() as session:
        case: Case | None = await session.get(Case, uuid.UUID(case_id))
        assert case is not None
        return case


async def test_opt_out_opens_at_once_and_the_email_confirms_receipt(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    system_id = await register_system(
        client, admin, "adtech", request_types=["opt_out", "deletion"]
    )
    r = await client.post("/api/v1/requests", json=OPT_OUT)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "open"
    case_id = r.json()["id"]

    assert await deliver(app) == (2, 0)  # the acknowledgement and the data system's task
    ack = mailbox.last_to("Grace.Hopper@example.org")
    assert "received your privacy request" in ack["Subject"]
    text = " ".join(body_text(ack).split())
    assert "You do not need to confirm anything" in text
    assert "/verify" not in text

    case = await _case(app, case_id)
    assert case.verified_at is None  # nothing was verified, and nothing needed to be
    assert case.expires_at is None
    assert case.acknowledge_by is None  # no acknowledgement deadline for opt-outs
    assert case.extended_respond_by is None  # and no extension
    assert (case.respond_by - case.received_date).days in range(19, 26)  # 15 business days
    task = await task_of(app, case_id, system_id)
    assert task.status == "open"

    r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(admin))
    assert r.status_code == 200, r.text
    assert r.json()["deadlines"]["extended_respond_by"] is None
    assert r.json()["type"] == "opt_out"
    r = await act(client, admin, case_id, "extend", reason="busy")
    assert r.status_code == 409, r.text


async def test_opt_out_answers_the_eligibility_purposes_and_leaves_training_alone(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    reader = await make_service_token(app, "pipeline", "training:read")
    writer = await make_service_token(app, "consents", "consent:write")
    grace, other = email_key(OPT_OUT["email"]), email_key("someone@example.org")
    await post_consents(client, writer, consent(grace), consent(other))
    before = reasons(await eligibility(client, reader, [grace, other]))

    r = await client.post("/api/v1/requests", json=OPT_OUT)
    assert r.status_code == 201, r.text

    keys = [grace, "account:acct-77", other]
    for purpose in ("sale_or_sharing", "targeted_advertising"):
        got = reasons(await eligibility(client, reader, keys, purpose=purpose))
        assert got == [
            (grace, False, "opted_out"),
            ("account:acct-77", False, "opted_out"),
            (other, True, "not_opted_out"),
        ]
    # The training purposes answer exactly as before: an opt-out is not an objection.
    assert reasons(await eligibility(client, reader, [grace, other])) == before
    assert before == [(grace, True, "consent_granted"), (other, True, "consent_granted")]


async def test_documented_fraud_denial_lifts_the_opt_out(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    handler = await make_staff(app, "handler@example.com", "handler")
    reader = await make_service_token(app, "pipeline", "training:read")
    case_id = (await client.post("/api/v1/requests", json=OPT_OUT)).json()["id"]
    grace = email_key(OPT_OUT["email"])
    r = await act(
        client,
        handler,
        case_id,
        "deny",
        reason_code="fraudulent",
        explanation="Submitted by a bot network flagged on 2026-11-30 (incident 42).",
    )
    assert r.status_code == 200, r.text
    got = reasons(await eligibility(client, reader, [grace], purpose="sale_or_sharing"))
    assert got == [(grace, True, "not_opted_out")]


async def test_opt_out_can_be_fulfilled_without_verification(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    handler = await make_staff(app, "handler@example.com", "handler")
    case_id = (await client.post("/api/v1/requests", json=OPT_OUT)).json()["id"]
    r = await act(client, handler, case_id, "assign", assignee="handler@example.com")
    assert r.status_code == 200, r.text
    r = await act(client, handler, case_id, "fulfil")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "fulfilled"


async def test_other_types_still_wait_for_verification(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/requests", json={**OPT_OUT, "type": "deletion"})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending_verification"


async def test_opt_out_deadline_in_california_is_15_business_days(app: FastAPI) -> None:
    from dsr.cases.deadlines import compute, policy_for

    policy, _ = policy_for(app.state.settings, "US-CA", "opt_out")
    d = compute(policy, date(2028, 6, 16))
    assert (d.acknowledge_by, d.respond_by, d.extended_respond_by) == (
        None,
        date(2028, 7, 11),
        None,
    )
