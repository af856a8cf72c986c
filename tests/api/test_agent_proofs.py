"""An authorized agent's signed permission (README, "Authorized agents"; dsr.cases.proofs): the
agent uploads it over the API or their upload page with the capability they alone get (it adds
files and reads nothing), PDF/PNG/JPEG told by the bytes, at most DSR_MAX_PROOF_BYTES; sealed
at rest, downloaded by staff through the access log, erased by retention with the case."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import col, select

from dsr.cases import proofs
from dsr.cases.access_models import CaseAccess
from dsr.cases.models import Case
from dsr.cases.proof_models import AgentProof
from dsr.retention.service import run as retention
from dsr.settings import Settings
from tests.helpers import (
    Mailbox,
    act,
    body_text,
    count,
    deliver,
    events,
    link_in,
    make_staff,
    token_of,
)

CONSUMER = "consumer@example.org"
AGENT = "agent@permission.example"
PDF = b"%PDF-1.4\n1 0 obj << /Title (Permission signed by Carla Consumer) >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
LIMIT = 4096


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_proof_bytes": LIMIT}


def request(kind: str = "authorized_agent", **extra: Any) -> dict[str, Any]:
    return {
        "type": "deletion",
        "jurisdiction": "US-CA",
        "email": CONSUMER,
        "full_name": "Carla Consumer",
        "agent": {"name": "Permission Agency", "email": AGENT, "kind": kind},
        **extra,
    }


async def submit(client: httpx.AsyncClient, kind: str = "authorized_agent", **extra: Any) -> Any:
    r = await client.post("/api/v1/requests", json=request(kind, **extra))
    assert r.status_code == 201, r.text
    return r.json()


async def upload(
    client: httpx.AsyncClient, case_id: str, token: str, data: bytes, kind: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/requests/{case_id}/agent-proof",
        content=data,
        headers={"X-Agent-Proof-Token": token, "Content-Type": kind},
    )


async def stored(app: FastAPI, case_id: str) -> list[AgentProof]:
    async with app.state.sessionmaker() as session:
        return list(await proofs.proofs_of(session, uuid.UUID(case_id)))


async def test_the_agent_uploads_the_permission_and_it_is_sealed_at_rest(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    made = await submit(client)
    case_id, token = made["id"], made["agent_proof_token"]
    assert token
    r = await upload(client, case_id, token, PDF, "application/pdf")
    assert r.status_code == 201, r.text
    assert (r.json()["content_type"], r.json()["size"]) == ("application/pdf", len(PDF))
    # A generic declared type is fine: the bytes decide.
    r = await upload(client, case_id, token, PNG, "application/octet-stream")
    assert r.status_code == 201, r.text
    assert r.json()["content_type"] == "image/png"

    rows = await stored(app, case_id)
    assert [p.content_type for p in rows] == ["application/pdf", "image/png"]
    assert rows[0].blob is not None
    assert b"Carla" not in rows[0].blob
    assert proofs.read(settings, rows[0]) == PDF
    assert (await events(app, case_id)).count("agent_proof_uploaded") == 2
    async with app.state.engine.connect() as conn:
        raw = (await conn.execute(sa.text("SELECT blob FROM agent_proof"))).scalars().all()
    assert all(b"PDF" not in bytes(b) and b"PNG" not in bytes(b) for b in raw)


async def test_refused_uploads_change_nothing(app: FastAPI, client: httpx.AsyncClient) -> None:
    made = await submit(client)
    case_id, token = made["id"], made["agent_proof_token"]
    other = await submit(client, email="someone.else@example.org")

    too_big = PDF + b"0" * LIMIT
    assert (await upload(client, case_id, token, too_big, "application/pdf")).status_code == 413
    for data, kind in (
        (b"I, Carla, give permission.", "text/plain"),
        (b"I, Carla, give permission.", "application/pdf"),  # the bytes are not a PDF
        (PNG, "application/pdf"),  # the bytes contradict the declared type
        (b"GIF89a" + b"\x00" * 16, "image/gif"),
    ):
        r = await upload(client, case_id, token, data, kind)
        assert r.status_code == 415, (kind, r.text)
        assert "Carla" not in r.text
    assert (await upload(client, case_id, "wrong-token", PDF, "application/pdf")).status_code == 404
    # One case's link opens no other case.
    r = await upload(client, other["id"], token, PDF, "application/pdf")
    assert r.status_code == 404
    r = await client.post(f"/api/v1/requests/{case_id}/agent-proof", content=PDF)
    assert r.status_code == 422  # no token
    assert await count(app, "agent_proof") == 0
    assert "agent_proof_uploaded" not in await events(app, case_id)


async def test_no_upload_link_without_an_agent_and_none_once_closed(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    plain = {k: v for k, v in request().items() if k != "agent"}
    r = await client.post("/api/v1/requests", json=plain)
    assert r.json()["agent_proof_token"] is None

    handler = await make_staff(app, "handler@example.com", "handler")
    made = await submit(client, "power_of_attorney")
    assert made["status"] == "open"  # a power of attorney needs no confirmation
    r = await act(client, handler, made["id"], "withdraw", reason="The consumer withdrew it")
    assert r.status_code == 200, r.text
    r = await upload(client, made["id"], made["agent_proof_token"], PDF, "application/pdf")
    assert r.status_code == 409, r.text
    assert await count(app, "agent_proof") == 0


async def test_the_agents_one_link_uploads_and_shows_nothing_of_the_consumer(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    case_id = (await submit(client))["id"]
    await deliver(app)
    told = mailbox.last_to(AGENT)
    links = re.findall(r"https?://\S+", body_text(told))
    assert len(links) == 1  # the upload link, and nothing that reads the case
    link = link_in(told, f"/requests/{case_id}/agent-proof")
    path = link.removeprefix("http://testserver")

    page = await client.get(path)
    assert page.status_code == 200, page.text
    assert "Carla" not in page.text
    assert CONSUMER not in page.text
    assert page.headers["cache-control"] == "no-store"
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None
    target = action.group(1).replace("&amp;", "&")

    r = await client.post(target, files={"file": ("letter.txt", b"not a file type", "text/plain")})
    assert r.status_code == 415
    assert 'id="file-error"' in r.text
    r = await client.post(target, files={"file": ("scan.jpg", JPEG, "image/jpeg")})
    assert r.status_code == 303, r.text
    done = await client.get(r.headers["location"])
    assert 'id="sent"' in done.text
    assert [p.content_type for p in await stored(app, case_id)] == ["image/jpeg"]

    wrong = path.replace(token_of(link), "not-the-token")
    assert (await client.get(wrong)).status_code == 404
    r = await client.post(
        f"/requests/{case_id}/agent-proof?token=not-the-token",
        files={"file": ("scan.jpg", JPEG, "image/jpeg")},
    )
    assert r.status_code == 404
    assert len(await stored(app, case_id)) == 1


async def test_staff_see_and_download_the_permission_through_the_access_log(
    app: FastAPI,
    client: httpx.AsyncClient,
    console: Callable[[str], Awaitable[httpx.AsyncClient]],
) -> None:
    made = await submit(client)
    case_id = made["id"]
    c = await console("handler")
    page = await c.get(f"/console/cases/{case_id}")
    held = re.search(r'id="agent-proofs">(.*?)</dd>', page.text, re.S)
    assert held is not None
    assert held.group(1) == "None uploaded"

    assert (
        await upload(client, case_id, made["agent_proof_token"], PDF, "application/pdf")
    ).status_code == 201
    page = await c.get(f"/console/cases/{case_id}")
    href = re.search(r'href="(/console/cases/[^"]+/agent-proofs/[^"]+)"', page.text)
    assert href is not None
    assert "Agent uploaded a signed permission" in page.text  # on the timeline

    async def logged() -> int:
        async with app.state.sessionmaker() as session:
            stmt = select(CaseAccess).where(col(CaseAccess.kind) == "console_agent_proof")
            return len((await session.exec(stmt)).all())

    assert await logged() == 0
    r = await c.get(href.group(1))
    assert r.status_code == 200
    assert r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    assert "Carla" not in r.headers["content-disposition"]
    assert r.headers["content-disposition"].endswith('-agent-proof-1.pdf"')
    assert await logged() == 1

    other = (await client.post("/api/v1/requests", json=request(email="x@example.org"))).json()
    r = await c.get(href.group(1).replace(case_id, other["id"]))
    assert r.status_code == 404  # a file is served only under its own case


async def test_retention_erases_the_permission_with_the_case(
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    console: Callable[[str], Awaitable[httpx.AsyncClient]],
) -> None:
    handler = await make_staff(app, "handler@example.com", "handler")
    made = await submit(client, "power_of_attorney")
    case_id = made["id"]
    assert (
        await upload(client, case_id, made["agent_proof_token"], PDF, "application/pdf")
    ).status_code == 201
    r = await act(client, handler, case_id, "withdraw", reason="The consumer withdrew it")
    assert r.status_code == 200, r.text
    async with app.state.sessionmaker() as session:
        case = await session.get(Case, uuid.UUID(case_id))
        assert case is not None
        assert case.closed_at is not None
        closed = case.closed_at

    report = await retention(app.state.sessionmaker, settings, closed + timedelta(days=731))
    assert report.proofs == 1
    [proof] = await stored(app, case_id)
    assert (proof.blob, proof.path) == (None, None)
    assert proof.erased_at is not None
    assert (proof.size, proof.sha256) == (len(PDF), hashlib.sha256(PDF).hexdigest())

    c = await console("admin")
    page = await c.get(f"/console/cases/{case_id}")
    assert "agent-proofs/" not in page.text
    r = await c.get(f"/console/cases/{case_id}/agent-proofs/{proof.id}")
    assert r.status_code == 409
    # The link died with the case: the tokens went with the personal data.
    r = await upload(client, case_id, made["agent_proof_token"], PDF, "application/pdf")
    assert r.status_code == 404


async def test_the_consumers_confirm_page_names_the_agent_for_a_valid_link_only(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    case_id = (await submit(client))["id"]
    await deliver(app)
    link = link_in(mailbox.last_to(CONSUMER), f"/requests/{case_id}/verify")
    page = await client.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200
    assert "<h1>Confirm the agent's permission</h1>" in page.text
    assert "Permission Agency made a privacy request for you" in page.text
    wrong = await client.get(f"/requests/{case_id}/verify?token=not-the-token")
    assert "Permission Agency" not in wrong.text
    assert "Confirm your request" in wrong.text

    r = await client.post(f"/api/v1/requests/{case_id}/verify", json={"token": token_of(link)})
    assert r.json()["status"] == "open"
    used = await client.get(link.removeprefix("http://testserver"))
    assert "Permission Agency" not in used.text  # a spent link names nobody
