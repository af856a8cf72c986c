"""Public intake end to end: submit, verification e-mail, verify, acknowledgement, status."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from dsr.i18n.catalogues import format_date
from dsr.settings import Settings
from tests.helpers import Mailbox, body_text, count, deliver, link_in, token_of

BASE = {
    "type": "access",
    "jurisdiction": "DE",
    "email": "Ada.Lovelace@example.org",
    "full_name": "Ada Lovelace",
}


async def test_submit_verify_acknowledge_and_follow(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    r = await client.post("/api/v1/requests", json=BASE)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "pending_verification"
    assert body["reference"].startswith("DSR-")
    case_id = body["id"]

    assert await deliver(app) == (1, 0)
    msg = mailbox.last_to("Ada.Lovelace@example.org")
    assert body["reference"] in msg["Subject"]
    assert msg["Message-ID"].startswith("<dsr.")
    verify_url = link_in(msg, f"/requests/{case_id}/verify")
    token = token_of(verify_url)

    # Only a hash of the token is stored.
    async with app.state.engine.connect() as conn:
        stored = (await conn.execute(sa.text("SELECT token_hash FROM case_token"))).scalars().all()
    assert token not in stored
    assert len(stored) == 1

    r = await client.post(f"/api/v1/requests/{case_id}/verify", json={"token": token})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "open"

    # Single use: used again, it opens nothing more, and says the request is confirmed.
    r = await client.post(f"/api/v1/requests/{case_id}/verify", json={"token": token})
    assert (r.status_code, r.json()["code"]) == (409, "already_confirmed")

    assert await deliver(app) == (1, 0)
    ack = mailbox.last_to("Ada.Lovelace@example.org")
    assert "received your privacy request" in ack["Subject"]
    status_url = link_in(ack, f"/requests/{case_id}?token=")
    r = await client.get(f"/api/v1/requests/{case_id}", params={"token": token_of(status_url)})
    assert r.status_code == 200
    status = r.json()
    assert status["status"] == "open"
    assert status["respond_by"] > status["received_date"]
    # The deadlines are rendered into the e-mail, not the template's variable names.
    text = " ".join(body_text(ack).split())
    assert (
        f"We received it on {format_date(status['received_date'], 'en')} and will answer by "
        f"{format_date(status['respond_by'], 'en')} at the latest." in text
    ), text
    assert "respond_by" not in text
    assert "{{" not in text


async def test_staff_view_has_deadlines_for_eu(app: FastAPI, client: httpx.AsyncClient) -> None:
    from tests.helpers import auth, make_staff

    r = await client.post("/api/v1/requests", json=BASE)
    case_id = r.json()["id"]
    token = await make_staff(app, "handler@example.com", "handler")
    r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(token))
    assert r.status_code == 200, r.text
    case = r.json()
    assert case["jurisdiction"] == "EU"
    assert case["jurisdiction_input"] == "DE"
    d = case["deadlines"]
    assert d["acknowledge_by"] is None
    assert d["extended"] is False
    assert d["extended_respond_by"] > d["respond_by"]


async def test_wrong_token_is_404_and_attempts_are_limited(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    r = await client.post("/api/v1/requests", json=BASE)
    case_id = r.json()["id"]
    await deliver(app)
    good = token_of(link_in(mailbox.last_to(BASE["email"]), "/verify"))
    for _ in range(settings.verification_max_attempts):
        r = await client.post(f"/api/v1/requests/{case_id}/verify", json={"token": "0" * 64})
        assert r.status_code == 404
        assert "not valid" in r.json()["detail"]
    # The real token no longer works either: the link is burnt after too many guesses.
    r = await client.post(f"/api/v1/requests/{case_id}/verify", json={"token": good})
    assert r.status_code == 404


async def test_unknown_request_and_forged_token_answer_alike(client: httpx.AsyncClient) -> None:
    import uuid

    r1 = await client.post(f"/api/v1/requests/{uuid.uuid4()}/verify", json={"token": "x" * 64})
    r2 = await client.get(f"/api/v1/requests/{uuid.uuid4()}", params={"token": "x" * 64})
    assert r1.status_code == r2.status_code == 404
    assert r1.json()["detail"] == r2.json()["detail"]


async def test_type_specific_fields(client: httpx.AsyncClient, app: FastAPI) -> None:
    ok = dict(
        BASE,
        type="correction",
        correction={"inaccurate_data": "birth year 1816", "corrected_data": "1815"},
    )
    assert (await client.post("/api/v1/requests", json=ok)).status_code == 201
    missing = dict(BASE, type="correction")
    r = await client.post("/api/v1/requests", json=missing)
    assert r.status_code == 422
    assert "correction" in r.json()["detail"]
    wrong = dict(BASE, type="access", output_removal={"personal_data": "x", "models": ["m"]})
    assert (await client.post("/api/v1/requests", json=wrong)).status_code == 422
    removal = dict(
        BASE,
        type="output_removal",
        output_removal={
            "personal_data": "my home address",
            "examples": ["Where does Ada live?"],
            "models": ["chat-1"],
        },
    )
    assert (await client.post("/api/v1/requests", json=removal)).status_code == 201
    assert await count(app, "case_record") == 2


async def test_bad_input_is_rejected_and_writes_nothing(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    cases = [
        ({**BASE, "type": "sell_my_soul"}, 422),
        ({**BASE, "email": "not-an-address"}, 422),
        ({**BASE, "jurisdiction": "Narnia!"}, 422),
        ({**BASE, "full_name": "Ada\x00Lovelace"}, 422),
        ({**BASE, "full_name": ""}, 422),
        ({**BASE, "details": "x" * 10_001}, 422),
        ({**BASE, "unexpected": 1}, 422),
        ({**BASE, "website": "http://spam.example"}, 422),  # honeypot
    ]
    for body, expected in cases:
        r = await client.post("/api/v1/requests", json=body)
        assert r.status_code == expected, (body, r.text)
        assert "Ada" not in r.text  # never echo personal data back
    r = await client.post(
        "/api/v1/requests", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    r = await client.post("/api/v1/requests", json={**BASE, "details": "x" * 70_000})
    assert r.status_code == 413
    assert await count(app, "case_record") == 0
    assert await count(app, "outbox_message") == 0


async def test_unknown_jurisdiction_gets_default_policy_and_flag(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    from tests.helpers import auth, make_staff

    r = await client.post("/api/v1/requests", json={**BASE, "jurisdiction": "JP"})
    assert r.status_code == 201
    token = await make_staff(app, "h@example.com", "handler")
    case = (await client.get(f"/api/v1/cases/{r.json()['id']}", headers=auth(token))).json()
    assert case["jurisdiction"] == "DEFAULT"
    assert case["jurisdiction_known"] is False
    received = datetime.fromisoformat(case["received_at"]).astimezone(UTC).date()
    assert (datetime.fromisoformat(case["deadlines"]["respond_by"]).date() - received).days == 30
