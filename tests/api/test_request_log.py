"""The request log CSV (11 CCR 7101): what each row says, receipt-date bounds, contact data only
for admins who ask (and every export on record), batches that join up without a gap or a
repeat, and cells a spreadsheet would run as formulas neutralised."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dsr.reports.request_log import BATCH
from tests.helpers import auth, make_staff
from tests.report_cases import at, case, store


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"timezone": "America/Los_Angeles"}


def rows_of(r: httpx.Response) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(r.text)))


async def seed(app: FastAPI) -> None:
    await store(
        app,
        case("2025-03-01", "fulfilled", decided=at("2025-03-10", 5), channel="post"),
        case(
            "2025-03-02",
            "denied",
            type="deletion",
            decided=at("2025-03-20", 20),
            reason="exception_applies",
            email="denied@example.org",
        ),
        case("2025-03-03", "withdrawn", closed=at("2025-03-04", 20)),
        case("2025-03-04", "open"),
        case("2025-04-01", "fulfilled", decided=at("2025-04-02")),  # after the range below
    )


async def exports(app: FastAPI) -> list[tuple[Any, ...]]:
    async with app.state.engine.connect() as conn:
        result = await conn.execute(
            sa.text("SELECT kind, include_contact, from_date, to_date FROM report_export")
        )
        return [tuple(r) for r in result]


async def test_the_log_lists_each_request_and_its_response(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await seed(app)
    token = await make_staff(app, "auditor@example.com", "auditor")
    params = {"from": "2025-03-01", "to": "2025-03-31"}
    r = await client.get("/api/v1/reports/requests.csv", params=params, headers=auth(token))
    rows = rows_of(r)
    assert [(x["received_date"], x["type"], x["channel"]) for x in rows] == [
        ("2025-03-01", "access", "post"),
        ("2025-03-02", "deletion", "web"),
        ("2025-03-03", "access", "web"),
        ("2025-03-04", "access", "web"),
    ]
    # The response's date is its day in DSR_TIMEZONE (05:00 UTC on the 10th is the 9th in LA).
    assert [(x["response"], x["response_date"]) for x in rows] == [
        ("complied_in_whole", "2025-03-09"),
        ("denied", "2025-03-20"),
        ("withdrawn", "2025-03-04"),
        ("pending", ""),
    ]
    assert rows[1]["denial_reason_code"] == "exception_applies"
    assert rows[1]["denial_explanation"] == "An exception applies."
    assert rows[0]["denial_reason_code"] == rows[0]["denial_explanation"] == ""
    assert "email" not in rows[0]
    assert "@example.org" not in r.text
    assert "Person" not in r.text
    recorded = await exports(app)
    assert [(kind, bool(contact)) for kind, contact, *_ in recorded] == [("request_log", False)]
    assert [str(d) for d in recorded[0][2:]] == ["2025-03-01", "2025-03-31"]


async def test_an_admin_may_ask_for_contact_data_and_it_is_recorded(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await seed(app)
    token = await make_staff(app, "admin@example.com", "admin")
    params = {"from": "2025-03-01", "to": "2025-03-02", "include_contact": "true"}
    rows = rows_of(
        await client.get("/api/v1/reports/requests.csv", params=params, headers=auth(token))
    )
    assert [x["email"] for x in rows] == ["someone@example.org", "denied@example.org"]
    assert rows[0]["full_name"].startswith("Person ")
    recorded = await exports(app)
    assert [(kind, bool(contact)) for kind, contact, *_ in recorded] == [("request_log", True)]
    assert [str(d) for d in recorded[0][2:]] == ["2025-03-01", "2025-03-02"]


async def test_only_an_admin_gets_contact_data(app: FastAPI, client: httpx.AsyncClient) -> None:
    await seed(app)
    token = await make_staff(app, "auditor@example.com", "auditor")
    params = {"include_contact": "true"}
    r = await client.get("/api/v1/reports/requests.csv", params=params, headers=auth(token))
    assert r.status_code == 403
    assert await exports(app) == []  # refused before anything was recorded


@pytest.mark.parametrize("role", ["handler", "reviewer"])
async def test_the_log_is_for_admins_and_auditors(
    app: FastAPI, client: httpx.AsyncClient, role: str
) -> None:
    token = await make_staff(app, f"{role}@example.com", role)
    r = await client.get("/api/v1/reports/requests.csv", headers=auth(token))
    assert r.status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2025-03-02", "to": "2025-03-01"},
        {"from": "yesterday"},
        {"to": "0001-01-05"},
        {"from": "9999-12-31"},
    ],
)
async def test_bad_dates_are_422(
    app: FastAPI, client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    token = await make_staff(app, "auditor@example.com", "auditor")
    r = await client.get("/api/v1/reports/requests.csv", params=params, headers=auth(token))
    assert r.status_code == 422
    assert await exports(app) == []


async def test_batches_join_up_without_gaps_or_repeats(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    many = BATCH + 7
    # Two receipt days, so a batch boundary falls inside a day (the key is date, then id).
    await store(app, *(case("2025-05-0" + str(1 + i % 2), "open") for i in range(many)))
    token = await make_staff(app, "auditor@example.com", "auditor")
    params = {"from": "2025-05-01", "to": "2025-05-31"}
    rows = rows_of(
        await client.get("/api/v1/reports/requests.csv", params=params, headers=auth(token))
    )
    references = [x["reference"] for x in rows]
    assert len(references) == many
    assert len(set(references)) == many
    assert [x["received_date"] for x in rows] == sorted(x["received_date"] for x in rows)


async def test_formula_cells_are_neutralised(app: FastAPI, client: httpx.AsyncClient) -> None:
    hostile = case("2025-06-01", "denied", decided=at("2025-06-02"), reason="other")
    hostile.decision_explanation = '=HYPERLINK("http://evil.example","x")'
    await store(app, hostile)
    token = await make_staff(app, "auditor@example.com", "auditor")
    params = {"from": "2025-06-01", "to": "2025-06-01"}
    rows = rows_of(
        await client.get("/api/v1/reports/requests.csv", params=params, headers=auth(token))
    )
    assert rows[0]["denial_explanation"] == "'" + hostile.decision_explanation
