"""The yearly metrics (issue 13) on hand-built cases whose answers are known: every counting rule
of the README ("Reports and dashboard"), days counted in DSR_TIMEZONE, medians of odd and even
counts, on both databases, through the API and its role checks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dsr.domain.vocabulary import DenialReason, RequestType
from tests.helpers import auth, make_staff
from tests.report_cases import at, case, store, system, task


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    # Los Angeles: a decision at 05:00 UTC falls on the day before there.
    return {"timezone": "America/Los_Angeles"}


async def seed(app: FastAPI) -> None:
    crm = system()
    waived = case("2025-02-01", "fulfilled", decided=at("2025-02-05", 5))  # 3 days in LA (4 in UTC)
    rows = [
        case("2025-01-10", "fulfilled", decided=at("2025-01-20", 18)),  # whole, 10 days
        waived,  # a task waived: in part
        case("2025-03-01", "partially_fulfilled", decided=at("2025-03-21", 20)),  # part, 20
        case("2025-04-01", "denied", decided=at("2025-04-06", 20), reason="exception_applies"),
        case(  # refusal upheld on appeal: still denied, 30 days to the refusal
            "2025-05-01",
            "appeal_upheld",
            decided=at("2025-05-31", 20),
            reason="identity_not_verified",
        ),
        case("2025-06-01", "in_progress"),  # refusal overturned, not answered again: pending
        case("2025-06-02", "fulfilled", decided=at("2025-07-17", 20)),  # overturned, then done: 45
        case("2025-08-01", "appealed", decided=at("2025-08-03", 20)),  # partial, under appeal: 2
        case("2025-09-01", "withdrawn", closed=at("2025-09-02")),
        case("2025-10-01", "unverified", closed=at("2025-10-04")),
        case("2025-10-02", "duplicate", closed=at("2025-10-03")),  # counted once, elsewhere
        case("2024-12-31", "fulfilled", decided=at("2025-01-02")),  # received the year before
        case("2026-01-01", "fulfilled", decided=at("2026-01-02")),  # and the year after
        # Deletion: an even count, median between the middle two.
        *(
            case("2025-11-01", "fulfilled", type="deletion", decided=at(day, 20))
            for day in ("2025-11-05", "2025-11-08", "2025-11-11", "2025-12-02")
        ),
    ]
    await store(app, crm, *rows)
    await store(app, task(waived, crm, "waived"))


async def test_yearly_metrics_follow_the_counting_rules(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await seed(app)
    token = await make_staff(app, "auditor@example.com", "auditor")
    r = await client.get("/api/v1/reports/metrics", params={"year": 2025}, headers=auth(token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["year"] == 2025
    assert body["time_zone"] == "America/Los_Angeles"
    reasons = {code.value: 0 for code in DenialReason}
    assert body["types"]["access"] == {
        "received": 10,
        "complied_in_whole": 2,
        "complied_in_part": 3,
        "denied": 2,
        "denied_by_reason": {**reasons, "exception_applies": 1, "identity_not_verified": 1},
        "withdrawn": 1,
        "unverified": 1,
        "pending": 1,
        # answered in 2, 3, 5, 10, 20, 30 and 45 days
        "median_days": 10.0,
        "mean_days": 16.4,
    }
    deletion = body["types"]["deletion"]
    assert (deletion["received"], deletion["complied_in_whole"]) == (4, 4)
    assert (deletion["median_days"], deletion["mean_days"]) == (8.5, 13.0)  # 4, 7, 10, 31
    # Every request type is listed, with zeros where none was received.
    assert set(body["types"]) == {t.value for t in RequestType}
    assert body["types"]["objection"]["received"] == 0
    assert body["types"]["objection"]["median_days"] is None


async def test_a_year_without_requests_is_all_zeros(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await seed(app)
    token = await make_staff(app, "admin@example.com", "admin")
    r = await client.get("/api/v1/reports/metrics", params={"year": 2023}, headers=auth(token))
    assert r.status_code == 200
    assert {m["received"] for m in r.json()["types"].values()} == {0}


@pytest.mark.parametrize("role", ["handler", "reviewer"])
async def test_metrics_are_for_admins_and_auditors(
    app: FastAPI, client: httpx.AsyncClient, role: str
) -> None:
    token = await make_staff(app, f"{role}@example.com", role)
    r = await client.get("/api/v1/reports/metrics", params={"year": 2025}, headers=auth(token))
    assert r.status_code == 403


@pytest.mark.parametrize("year", ["1999", "2101", "twenty", ""])
async def test_a_bad_year_is_422(app: FastAPI, client: httpx.AsyncClient, year: str) -> None:
    token = await make_staff(app, "auditor@example.com", "auditor")
    r = await client.get("/api/v1/reports/metrics", params={"year": year}, headers=auth(token))
    assert r.status_code == 422


async def test_metrics_need_a_login(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/v1/reports/metrics", params={"year": 2025})
    assert r.status_code == 401
