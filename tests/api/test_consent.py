"""The consent ledger over HTTP: append-only records, validation, limits, scopes, staff history."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from tests.helpers import auth, count, make_service_token, make_staff

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ADA = "email_sha256:" + hashlib.sha256(b"ada@example.org").hexdigest()


def rec(subject: str, granted: bool = True, at: datetime = T0, **extra: object) -> dict[str, Any]:
    return {
        "subject": subject,
        "category": "prompts",
        "purpose": "base_model_training",
        "granted": granted,
        "recorded_at": at.isoformat(),
        **extra,
    }


@pytest.fixture
async def writer(app: FastAPI) -> dict[str, str]:
    return auth(await make_service_token(app, "consent-sync", "consent:write"))


async def test_records_are_appended_never_overwritten(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    body = {
        "records": [
            rec(ADA, True, T0, source="signup-form"),
            rec(ADA, False, T0 + timedelta(days=1), source="settings-page"),
            rec("account:42", True, T0),
        ]
    }
    r = await client.post("/api/v1/consents", json=body, headers=writer)
    assert r.status_code == 201, r.text
    assert r.json() == {"recorded": 3}
    r = await client.post(
        "/api/v1/consents",
        json={"records": [rec(ADA, True, T0 + timedelta(days=2))]},
        headers=writer,
    )
    assert r.json() == {"recorded": 1}
    assert await count(app, "consent_record") == 4

    staff = auth(await make_staff(app, "auditor@example.com", "auditor"))
    r = await client.post("/api/v1/consents/history", json={"subject": ADA}, headers=staff)
    assert r.status_code == 200, r.text
    h = r.json()
    assert h["subject"] == ADA
    assert h["excluded"] is False
    assert h["exclusions"] == []
    assert [(c["granted"], c["source"]) for c in h["consents"]] == [
        (True, None),
        (False, "settings-page"),
        (True, "signup-form"),
    ]
    assert "account:42" not in r.text  # only the subject asked about
    assert h["consents_truncated"] is False


async def decision(app: FastAPI, client: httpx.AsyncClient, subject: str) -> str:
    reader = auth(await make_service_token(app, "trainer", "training:read"))
    body = {"purpose": "base_model_training", "category": "prompts", "subjects": [subject]}
    r = await client.post("/api/v1/training/eligibility", json=body, headers=reader)
    return str(r.json()["results"][0]["reason"])


async def test_a_late_older_record_is_kept_but_does_not_decide(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    newer = {"records": [rec("account:7", True, T0 + timedelta(days=5))]}
    older = {"records": [rec("account:7", False, T0)]}
    assert (await client.post("/api/v1/consents", json=newer, headers=writer)).status_code == 201
    r = await client.post("/api/v1/consents", json=older, headers=writer)
    assert r.status_code == 201
    assert r.json() == {"recorded": 1}
    assert await count(app, "consent_record") == 2
    assert await decision(app, client, "account:7") == "consent_granted"


async def test_same_time_records_in_one_call_the_later_one_wins(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    body = {"records": [rec("account:8", True), rec("account:8", False)]}
    assert (await client.post("/api/v1/consents", json=body, headers=writer)).status_code == 201
    assert await decision(app, client, "account:8") == "consent_withdrawn"
    body = {"records": [rec("account:9", False), rec("account:9", True)]}
    assert (await client.post("/api/v1/consents", json=body, headers=writer)).status_code == 201
    assert await decision(app, client, "account:9") == "consent_granted"


async def test_scopes(app: FastAPI, client: httpx.AsyncClient) -> None:
    body = {"records": [rec("account:1")]}
    assert (await client.post("/api/v1/consents", json=body)).status_code == 401
    wrong = auth(await make_service_token(app, "trainer", "training:read"))
    r = await client.post("/api/v1/consents", json=body, headers=wrong)
    assert r.status_code == 403
    assert "consent:write" in r.json()["detail"]
    handler = auth(await make_staff(app, "handler@example.com", "handler"))
    assert (await client.post("/api/v1/consents", json=body, headers=handler)).status_code == 403
    # The staff history is for staff, not service tokens.
    writer = auth(await make_service_token(app, "sync", "consent:write"))
    r = await client.post("/api/v1/consents/history", json={"subject": ADA}, headers=writer)
    assert r.status_code == 403
    assert (await client.post("/api/v1/consents/history", json={"subject": ADA})).status_code == 401
    assert await count(app, "consent_record") == 0


async def test_subject_keys_never_go_in_a_url(app: FastAPI, client: httpx.AsyncClient) -> None:
    handler = auth(await make_staff(app, "handler@example.com", "handler"))
    r = await client.get("/api/v1/consents", params={"subject": ADA}, headers=handler)
    assert r.status_code == 405


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "emails"}, "category"),
        ({"purpose": "advertising"}, "purpose"),
        ({"subject": "no-namespace"}, "subject"),
        ({"subject": "Account:1"}, "subject"),
        ({"subject": "account:"}, "subject"),
        ({"subject": "account:has space"}, "subject"),
        ({"subject": "account:1\n"}, "subject"),
        ({"subject": "account:" + "9" * 201}, "subject"),
        ({"subject": "email_sha256:" + "A" * 64}, "subject"),
        ({"subject": "email_sha256:" + "a" * 63}, "subject"),
        ({"subject": "email_sha256:ada@example.org"}, "subject"),
        ({"granted": "yes"}, "granted"),
        ({"granted": 1}, "granted"),
        ({"recorded_at": "2026-03-01T12:00:00"}, "recorded_at"),  # no offset: ambiguous
        ({"recorded_at": "yesterday"}, "recorded_at"),
        ({"recorded_at": "0001-01-01T00:00:00+05:00"}, "recorded_at"),  # before year 1 in UTC
        ({"source": "x" * 101}, "source"),
        ({"source": "tab\there"}, "source"),
        ({"colour": "blue"}, "colour"),
    ],
)
async def test_bad_records_are_422_and_name_the_field(
    app: FastAPI,
    client: httpx.AsyncClient,
    writer: dict[str, str],
    change: dict[str, Any],
    field: str,
) -> None:
    body = {"records": [rec("account:1"), {**rec("account:2"), **change}]}
    r = await client.post("/api/v1/consents", json=body, headers=writer)
    assert r.status_code == 422, r.text
    assert field in r.json()["detail"]
    assert "ada@example.org" not in r.text
    assert "has space" not in r.text
    assert await count(app, "consent_record") == 0


async def test_empty_and_malformed_bodies(
    client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    bodies: list[dict[str, Any]] = [{"records": []}, {}, {"records": "all"}]
    for body in bodies:
        assert (await client.post("/api/v1/consents", json=body, headers=writer)).status_code == 422
    r = await client.post(
        "/api/v1/consents", content=b"{", headers={**writer, "content-type": "application/json"}
    )
    assert r.status_code == 422


async def test_ten_thousand_per_call_and_not_one_more(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    records = [rec(f"account:{i}") for i in range(10_001)]
    r = await client.post("/api/v1/consents", json={"records": records}, headers=writer)
    assert r.status_code == 422
    assert "10000" in r.json()["detail"].replace(",", "")
    assert await count(app, "consent_record") == 0
    r = await client.post("/api/v1/consents", json={"records": records[:10_000]}, headers=writer)
    assert r.status_code == 201, r.text
    assert r.json() == {"recorded": 10_000}
    assert await count(app, "consent_record") == 10_000
    assert await count(app, "training_change") == 10_000


async def test_all_or_nothing_when_the_last_record_is_refused(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    # The future date is only detectable against the ledger clock, after the lock is taken and
    # the first records are checked: the whole call still writes nothing.
    future = datetime.now(UTC) + timedelta(hours=1)
    records = [rec(f"account:{i}") for i in range(9_999)] + [rec("account:x", at=future)]
    r = await client.post("/api/v1/consents", json={"records": records}, headers=writer)
    assert r.status_code == 422
    assert "records.9999.recorded_at" in r.json()["detail"]
    assert await count(app, "consent_record") == 0
    assert await count(app, "training_change") == 0


async def test_a_slightly_fast_source_clock_is_taken_as_now(
    app: FastAPI, client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=2)
    r = await client.post(
        "/api/v1/consents", json={"records": [rec("account:1", at=soon)]}, headers=writer
    )
    assert r.status_code == 201
    async with app.state.engine.connect() as conn:
        row = (
            await conn.execute(sa.text("SELECT recorded_at, received_at FROM consent_record"))
        ).one()
    assert row.recorded_at == row.received_at  # clamped: never ahead of the ledger


async def test_history_bad_subject_is_422(app: FastAPI, client: httpx.AsyncClient) -> None:
    staff = auth(await make_staff(app, "handler@example.com", "handler"))
    r = await client.post(
        "/api/v1/consents/history", json={"subject": "email_sha256:nothex"}, headers=staff
    )
    assert r.status_code == 422
    assert "nothex" not in r.text
