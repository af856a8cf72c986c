"""The Data Rights Protocol 1.0 endpoints in process, on both databases: pair-wise set-up,
exercise, status, revoke, the validation order of §3.07, the liberal readings, the registry's
console page. The live server and the status callbacks: tests/integration/test_drp_live.py."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import col, select

from dsr.cases.models import Case
from dsr.credentials import sha256_hex
from dsr.db.types import utcnow
from dsr.drp import registry
from dsr.notifications.models import OutboxMessage
from dsr.retention import service as retention
from tests.drp_agent import Agent, stamp
from tests.helpers import Mailbox, act, count, csrf_in, deliver, link_in, make_staff, token_of

BUSINESS = "DSR_TEST_BUSINESS"


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return {"drp_business_id": BUSINESS, **getattr(request, "param", {})}


async def register(app: FastAPI, agent: Agent, name: str = "Permission Slip") -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await registry.add(
            session, agent_id=agent.agent_id, verify_key=agent.verify_key, name=name, now=utcnow()
        )


@pytest.fixture
async def agent(app: FastAPI, client: httpx.AsyncClient) -> Agent:
    a = Agent(client, "PERMISSION_SLIP", BUSINESS)
    await register(app, a)
    r = await a.pair()
    assert r.status_code == 200, r.text
    return a


async def rows(app: FastAPI, sql: str, **params: Any) -> list[Any]:
    async with app.state.engine.connect() as conn:
        return list((await conn.execute(sa.text(sql), params)).all())


async def test_pairwise_setup_gives_a_token_stored_only_hashed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    a = Agent(client, "PERMISSION_SLIP", BUSINESS)
    await register(app, a)
    r = await a.pair()
    assert r.status_code == 200
    assert r.json()["agent-id"] == "PERMISSION_SLIP"
    token = r.json()["token"]
    stored = await rows(app, "SELECT token_hash, agent_id FROM drp_token")
    assert stored == [(sha256_hex(token), "PERMISSION_SLIP")]
    info = await client.get("/drp/v1/agent/PERMISSION_SLIP", headers=a.headers())
    assert info.status_code == 200
    assert info.json()["agent-id"] == "PERMISSION_SLIP"
    # The token is for this agent only; a made-up one is nobody's.
    assert (await client.get("/drp/v1/agent/OTHER", headers=a.headers())).status_code == 403
    bad = await client.get("/drp/v1/agent/PERMISSION_SLIP", headers=a.headers("made-up"))
    assert bad.status_code == 403


async def test_pairwise_setup_refusals_are_403_with_no_body(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    a = Agent(client, "PERMISSION_SLIP", BUSINESS)
    await register(app, a)
    forged = await a.pair(key=Agent(client, "X", BUSINESS).key)
    other_business = await a.pair({**a.envelope(), "business-id": "SOMEONE_ELSE"})
    wrong_path = await a.pair(path_id="ANOTHER_AGENT")
    too_long = await a.pair(path_id="A" * 150)
    expired = await a.pair(a.envelope(issued=datetime.now(UTC) - timedelta(minutes=20)))
    for r in (forged, other_business, wrong_path, too_long, expired):
        assert r.status_code == 403
        assert r.content == b""
    assert await count(app, "drp_token") == 0
    body = a.sign(a.envelope())
    url = "/drp/v1/agent/PERMISSION_SLIP"
    assert (await client.post(url, content=body, headers=a.headers())).status_code == 200
    # The same signed message again is a replay: a clean 409, still one token.
    replay = await client.post(url, content=body, headers=a.headers())
    assert replay.status_code == 409
    assert await count(app, "drp_token") == 1


async def test_exercise_opens_a_case_that_waits_for_the_consumer(
    app: FastAPI, client: httpx.AsyncClient, agent: Agent, mailbox: Mailbox
) -> None:
    r = await agent.exercise(
        agent.exercise_claims("deletion", **{"agent-request-id": "slip-1"}, phone_number="+1555")
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "in_progress"
    assert body["reason"] == "need_user_verification"
    assert body["agent_request_id"] == "slip-1"
    assert body["user_verification_url"] == f"http://testserver/drp/verify/{body['request_id']}"
    (case,) = await rows(
        app,
        "SELECT c.id, c.channel, c.agent_kind, c.respond_by, c.status FROM case_record c "
        "JOIN drp_request d ON d.case_id = c.id",
    )
    assert case.channel == "agent"
    assert case.agent_kind == "authorized_agent"
    assert body["expected_by"] == str(case.respond_by)[:10]
    # Identity claims and the consumer's data are sealed: no address in clear in either table.
    raw = await rows(app, "SELECT claims FROM drp_request")
    assert "ada@example.org" not in raw[0][0]
    assert "+1555" not in raw[0][0]
    # The consumer confirms by our own e-mailed link, which names the agent.
    assert await deliver(app) == (1, 0)
    (mail,) = mailbox.messages
    assert mail["To"] == "ada@example.org"
    assert "Permission Slip" in str(mail)
    page = await client.get(
        body["user_verification_url"], params={"request_id": body["request_id"]}
    )
    assert page.status_code == 200
    assert "Permission Slip sent us a privacy request on your behalf" in page.text
    link = link_in(mail, "/verify")
    r = await client.post(f"/requests/{case.id}/verify", data={"token": token_of(link)})
    assert r.status_code == 200
    after = (await agent.status(body["request_id"])).json()
    assert after["status"] == "in_progress"
    assert after["reason"] is None
    assert "user_verification_url" not in after


async def test_validation_order_and_refusals_change_nothing(
    app: FastAPI, client: httpx.AsyncClient, agent: Agent
) -> None:
    stranger = Agent(client, "PERMISSION_SLIP", BUSINESS)  # same id, another key: a forgery
    now = datetime.now(UTC)
    cases = {
        "forged": await agent.exercise(agent.exercise_claims(), key=stranger.key),
        "not base64": await agent.exercise({}, body=b"%%% not base64 %%%"),
        "no token": await agent.exercise(agent.exercise_claims(), token="unknown-token"),
        "agent-id": await agent.exercise({**agent.exercise_claims(), "agent-id": "OTHER"}),
        "business": await agent.exercise({**agent.exercise_claims(), "business-id": "ELSEWHERE"}),
    }
    for what, r in cases.items():
        assert (r.status_code, r.content) == (403, b""), what
    late = agent.exercise_claims()
    late.update(
        {
            "issued-at": stamp(now - timedelta(minutes=30)),
            "expires-at": stamp(now - timedelta(minutes=20)),
        }
    )
    expired = await agent.exercise(late)
    assert expired.status_code == 400
    assert expired.json() == {"code": "400", "message": expired.json()["message"], "fatal": True}
    early = agent.exercise_claims()
    early.update(
        {
            "issued-at": stamp(now + timedelta(minutes=10)),
            "expires-at": stamp(now + timedelta(minutes=15)),
        }
    )
    assert (await agent.exercise(early)).status_code == 400
    wide = agent.exercise_claims()
    wide["expires-at"] = stamp(datetime.fromisoformat(wide["issued-at"]) + timedelta(minutes=30))
    assert (await agent.exercise(wide)).status_code == 400
    no_email = agent.exercise_claims()
    del no_email["email"]
    r = await agent.exercise(no_email)
    assert r.status_code == 400
    assert "email" in r.json()["message"]
    assert await count(app, "case_record") == 0
    assert await count(app, "drp_request") == 0
    # A 15-minute window is taken (agents in the field send it); the same message twice is not.
    ok = agent.exercise_claims()
    ok["expires-at"] = stamp(datetime.fromisoformat(ok["issued-at"]) + timedelta(minutes=14))
    body = agent.sign(ok)
    assert (await agent.exercise({}, body=body)).status_code == 200
    replay = await agent.exercise({}, body=body)
    assert replay.status_code == 409
    assert replay.json()["code"] == "409"
    assert await count(app, "case_record") == 1


async def test_a_signed_message_sent_twice_at_once_makes_one_case(
    app: FastAPI, agent: Agent
) -> None:
    body = agent.sign(agent.exercise_claims())
    answers = await asyncio.gather(*(agent.exercise({}, body=body) for _ in range(2)))
    assert sorted(r.status_code for r in answers) == [200, 409]
    assert await count(app, "case_record") == 1
    assert await count(app, "drp_request") == 1


@pytest.mark.parametrize(
    ("exercise", "regime", "status", "reason", "case_type"),
    [
        ("sale:opt-out", "ccpa", "in_progress", None, "opt_out"),
        ("sale:opt_out", "voluntary", "in_progress", None, "opt_out"),
        ("access", None, "in_progress", "need_user_verification", "access"),
        ("sale:opt-in", "ccpa", "denied", "claim_not_covered", None),
        ("sale:opt_in", "ccpa", "denied", "claim_not_covered", None),
        ("deletion", "gdpr", "denied", "outside_jurisdiction", None),
    ],
)
async def test_exercises_map_to_request_types(
    app: FastAPI,
    agent: Agent,
    exercise: str,
    regime: str | None,
    status: str,
    reason: str | None,
    case_type: str | None,
) -> None:
    claims = agent.exercise_claims(exercise, regime=regime)
    if regime is None:
        del claims["regime"]
    r = await agent.exercise(claims, path="/drp/v1/data-rights-request/")  # old trailing slash
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["reason"]) == (status, reason)
    types = await rows(app, "SELECT type FROM case_record")
    assert types == ([(case_type,)] if case_type else [])
    again = await agent.status(r.json()["request_id"])
    assert again.json()["status"] == status


async def test_another_agents_request_is_403(
    app: FastAPI, client: httpx.AsyncClient, agent: Agent
) -> None:
    r = await agent.exercise(agent.exercise_claims())
    request_id = r.json()["request_id"]
    other = Agent(client, "OTHER_AGENT", BUSINESS)
    await register(app, other, "Other Agent")
    assert (await other.pair()).status_code == 200
    assert (await other.status(request_id)).status_code == 403
    assert (await other.revoke(request_id)).status_code == 403
    assert (await agent.status(str(uuid.uuid4()))).status_code == 404
    assert (await agent.status("not-a-uuid")).status_code == 404
    (status,) = await rows(app, "SELECT status FROM case_record")
    assert status[0] == "pending_verification"


async def test_revoke_withdraws_the_case_and_queues_a_callback(
    app: FastAPI, client: httpx.AsyncClient, agent: Agent
) -> None:
    claims = agent.exercise_claims(
        "sale:opt-out", status_callback="https://agent.example/drp/callback"
    )
    request_id = (await agent.exercise(claims)).json()["request_id"]
    stranger = Agent(client, agent.agent_id, BUSINESS)
    forged = await agent.client.request(
        "DELETE",
        f"/drp/v1/data-rights-request/{request_id}",
        content=stranger.sign({"reason": "not the agent"}),
        headers=agent.headers(),
    )
    assert (forged.status_code, forged.content) == (403, b"")
    wrong = await agent.revoke(request_id, {**agent.envelope(), "business-id": "ELSEWHERE"})
    assert (wrong.status_code, wrong.content) == (403, b"")
    r = await agent.revoke(request_id, slash="/")  # signed without the identity claims
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "revoked"
    (status,) = await rows(app, "SELECT status FROM case_record")
    assert status[0] == "withdrawn"
    again = await agent.revoke(request_id, {**agent.envelope(), "reason": "twice"})
    assert again.json()["status"] == "revoked"
    callbacks = await rows(app, "SELECT dedup_key FROM outbox_message WHERE kind = 'drp_callback'")
    assert len(callbacks) == 1  # the withdrawal; the revoke repeated changed nothing
    assert callbacks[0][0].startswith(f"drp_callback:{request_id}:")


async def test_a_decided_request_cannot_be_revoked(
    app: FastAPI, client: httpx.AsyncClient, agent: Agent
) -> None:
    request_id = (await agent.exercise(agent.exercise_claims("sale:opt-out"))).json()["request_id"]
    token = await make_staff(app, "handler@example.com", "handler")
    (case_id,) = (await rows(app, "SELECT id FROM case_record"))[0]
    r = await act(client, token, str(case_id), "assign", assignee="handler@example.com")
    assert r.status_code == 200, r.text
    r = await act(client, token, str(case_id), "fulfil")
    assert r.status_code == 200, r.text
    assert (await agent.status(request_id)).json()["status"] == "fulfilled"
    refused = await agent.revoke(request_id)
    assert refused.status_code == 409
    assert (await agent.status(request_id)).json()["status"] == "fulfilled"


async def test_disabled_agent_is_refused(app: FastAPI, agent: Agent) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await registry.set_enabled(session, agent.agent_id, enabled=False, now=utcnow())
    r = await agent.exercise(agent.exercise_claims())
    assert (r.status_code, r.content) == (403, b"")


@pytest.mark.parametrize("settings_overrides", [{"rate_limit_drp": "3/minute"}], indirect=True)
async def test_drp_is_rate_limited(agent: Agent) -> None:
    # The fixture's set-up was one request; two more pass, the fourth is refused.
    codes = [(await agent.status(str(uuid.uuid4()))).status_code for _ in range(3)]
    assert codes == [404, 404, 429]


@pytest.mark.parametrize("settings_overrides", [{"drp_business_id": ""}], indirect=True)
async def test_drp_is_off_without_a_business_id(client: httpx.AsyncClient) -> None:
    r = await client.post("/drp/v1/data-rights-request", content=b"x")
    assert r.status_code == 404


async def test_console_agents_page_is_for_admins(app: FastAPI, console: Any) -> None:
    admin = await console("admin")
    page = await admin.get("/console/agents")
    assert page.status_code == 200
    key = Agent(admin, "NEW_AGENT", BUSINESS).verify_key
    r = await admin.post(
        "/console/agents",
        data={
            "agent_id": "NEW_AGENT",
            "verify_key": key,
            "name": "New Agent",
            "csrf_token": csrf_in(page.text),
        },
    )
    assert r.status_code == 303
    bad = await admin.post(
        "/console/agents",
        data={"agent_id": "BAD", "verify_key": "not a key", "csrf_token": csrf_in(page.text)},
    )
    assert bad.status_code == 422
    r = await admin.post(
        "/console/agents/NEW_AGENT/disable", data={"csrf_token": csrf_in(page.text)}
    )
    assert r.status_code == 303
    assert await rows(app, "SELECT id, name, enabled FROM drp_agent") == [
        ("NEW_AGENT", "New Agent", False)
    ]
    handler = await console("handler")
    assert (await handler.get("/console/agents")).status_code == 403


async def test_every_case_change_queues_its_callback_with_the_deadline_in_force(
    app: FastAPI, client: httpx.AsyncClient, agent: Agent, mailbox: Mailbox
) -> None:
    claims = agent.exercise_claims("access", status_callback="https://agent.example/cb")
    request_id = (await agent.exercise(claims)).json()["request_id"]
    await deliver(app)
    (case_id,) = (await rows(app, "SELECT id FROM case_record"))[0]
    link = link_in(mailbox.messages[0], "/verify")
    assert (
        await client.post(f"/requests/{case_id}/verify", data={"token": token_of(link)})
    ).status_code == 200
    token = await make_staff(app, "handler@example.com", "handler")
    assert (
        await act(client, token, str(case_id), "assign", assignee="handler@example.com")
    ).status_code == 200
    r = await act(client, token, str(case_id), "extend", reason="Records in many systems")
    assert r.status_code == 200, r.text
    async with app.state.sessionmaker() as session:
        stmt = (
            select(OutboxMessage)
            .where(OutboxMessage.kind == "drp_callback")
            .order_by(col(OutboxMessage.id))
        )
        sent = [m.context["status"] for m in (await session.exec(stmt)).all()]
    assert [s["status"] for s in sent] == ["in_progress"] * 3
    assert {s["request_id"] for s in sent} == {request_id}
    assert sent[-1]["processing_details"] == "the deadline was extended, as the law allows"
    assert sent[-1]["expected_by"] == r.json()["deadlines"]["respond_by"]
    assert sent[0]["expected_by"] != sent[-1]["expected_by"]
    # What the agent asks for is what it was last told.
    assert (await agent.status(request_id)).json() == sent[-1]


async def test_retention_erases_the_identity_claims_and_denials_keep_none(
    app: FastAPI, agent: Agent
) -> None:
    denied = await agent.exercise(agent.exercise_claims("sale:opt-in"))
    assert denied.json()["status"] == "denied"
    request_id = (await agent.exercise(agent.exercise_claims("sale:opt-out"))).json()["request_id"]
    assert (await agent.revoke(request_id)).json()["status"] == "revoked"
    claims = {
        uuid.UUID(str(k)): v for k, v in await rows(app, "SELECT id, claims FROM drp_request")
    }
    assert claims[uuid.UUID(denied.json()["request_id"])] is None
    assert claims[uuid.UUID(request_id)] is not None
    async with app.state.sessionmaker() as session:
        closed = (await session.exec(select(Case))).one().closed_at
    assert closed is not None
    settings = app.state.settings
    later = closed + timedelta(days=settings.retention_days + 1)
    assert (await retention.run(app.state.sessionmaker, settings, later)).cases == 1
    assert await rows(app, "SELECT claims FROM drp_request WHERE claims IS NOT NULL") == []
    # The request's record stays: the agent can still ask how it ended.
    assert (await agent.status(request_id)).json()["status"] == "revoked"
