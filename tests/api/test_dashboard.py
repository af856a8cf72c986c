"""The console's dashboard (issue 13) on hand-built cases with known numbers, on both databases:
each table, the jurisdiction filter, bad filters, the chart images, and who may see it."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import httpx
import pytest
from fastapi import FastAPI

from dsr.db.types import utcnow
from tests.helpers import Console
from tests.report_cases import appeal, at, case, store


def table(html: str, table_id: str) -> list[list[str]]:
    """The body rows of a table, each a list of its cells' text."""
    match = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert match, f"no table {table_id}"
    rows = re.findall(r"<tr>(.*?)</tr>", match.group(1), re.S)
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in rows
    ]


async def seed(app: FastAPI) -> None:
    today = utcnow().date()

    def d(days: int) -> str:
        return (today + timedelta(days=days)).isoformat()

    denied_appealed = case(
        d(-15), "appealed", decided=at(d(-1)), reason="other", respond_by=d(10), jurisdiction="GB"
    )
    overturned = case(d(-12), "in_progress")
    await store(
        app,
        case(d(-10), "fulfilled", decided=at(d(-5)), respond_by=d(20)),  # on time, 5 days
        case(
            d(-10), "denied", type="deletion", decided=at(d(-2)), reason="other", respond_by=d(-3)
        ),
        case(d(-3), "open", respond_by=d(-1)),  # overdue
        case(d(-2), "in_progress", respond_by=d(3)),  # due this week
        case(d(-1), "pending_verification", respond_by=d(30)),
        case(d(-1), "duplicate", closed=at(d(-1))),  # not counted
        case(d(-40), "fulfilled", decided=at(d(-30))),  # before the period
        denied_appealed,  # 14 days to the refusal, on time
        case(d(-5), "fulfilled", decided=at(d(-3)), jurisdiction="US-CA"),  # 2 days
        overturned,
    )
    await store(
        app,
        appeal(denied_appealed, "appealed", d(-1)),
        appeal(overturned, "overturned", d(-4), decided=at(d(-2))),
    )


def period() -> dict[str, str]:
    today = utcnow().date()
    return {"from": (today - timedelta(days=20)).isoformat(), "to": today.isoformat()}


@pytest.mark.parametrize("role", ["admin", "handler", "reviewer", "auditor"])
async def test_every_staff_role_sees_the_dashboard(
    app: FastAPI, console: Console, role: str
) -> None:
    await seed(app)
    c = await console(role)
    r = await c.get("/console/dashboard", params=period())
    assert r.status_code == 200
    html = r.text
    assert '<a href="/console/dashboard" aria-current="page">Dashboard</a>' in html

    volume = table(html, "t-volume")
    assert sum(int(row[-1]) for row in volume) == 8  # the duplicate and the old case are out
    head = re.search(r'id="t-volume".*?<thead>(.*?)</thead>', html, re.S)
    assert head
    assert re.findall(r'<th scope="col">(.*?)</th>', head.group(1)) == [
        "Week of",
        "Access",
        "Deletion",
        "Total",
    ]
    assert sum(int(row[1]) for row in volume) == 7

    on_time = table(html, "t-ontime")
    assert sum(int(row[1]) for row in on_time) == 4
    assert sum(int(row[2]) for row in on_time) == 3  # the deletion was refused a day late

    assert table(html, "t-open") == [
        ["Pending verification", "1"],
        ["Open", "1"],
        ["In progress", "2"],
        ["Awaiting information", "0"],
        ["Appealed", "1"],
        ["Appeal in review", "0"],
    ]
    assert re.search(r'<dd id="overdue">1</dd>', html)
    assert re.search(r'<dd id="due-this-week">1</dd>', html)
    # Access answered in 2, 5 and 14 days; the deletion in 8.
    assert table(html, "t-closing") == [
        ["Access", "3", "5", "2", "14", "14", "7.0"],
        ["Deletion", "1", "8", "8", "8", "8", "8.0"],
    ]
    assert table(html, "t-appeals") == [
        ["Waiting for a reviewer", "1"],
        ["In review", "0"],
        ["Upheld (refusal stands)", "0"],
        ["Overturned", "1"],
    ]


async def test_one_jurisdiction(app: FastAPI, console: Console) -> None:
    await seed(app)
    c = await console("auditor")
    r = await c.get("/console/dashboard", params={**period(), "jurisdiction": "US-CA"})
    assert r.status_code == 200
    assert [row[-1] for row in table(r.text, "t-volume")] == ["1"]
    assert table(r.text, "t-closing") == [["Access", "1", "2", "2", "2", "2", "2.0"]]
    assert {row[1] for row in table(r.text, "t-open")} == {"0"}
    assert {row[1] for row in table(r.text, "t-appeals")} == {"0"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "soon"}, "A date was not understood"),
        ({"to": "0001-01-02"}, "A date was not understood"),
        ({"from": "2025-03-02", "to": "2025-03-01"}, "The period started after it ended"),
        ({"from": "2015-01-01", "to": "2025-01-01"}, "The longest period shown is two years"),
        ({"jurisdiction": "XX"}, "Unknown jurisdiction; showing all."),
    ],
)
async def test_bad_filters_fall_back_with_a_message(
    console: Console, params: dict[str, str], message: str
) -> None:
    c = await console("handler")
    r = await c.get("/console/dashboard", params=params)
    assert r.status_code == 200
    assert message in r.text


@pytest.mark.parametrize("name", ["volume", "on-time", "open-work", "closing", "appeals"])
async def test_each_chart_is_an_svg_image(app: FastAPI, console: Console, name: str) -> None:
    await seed(app)
    c = await console("reviewer")
    r = await c.get(f"/console/dashboard/charts/{name}.svg", params=period())
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/svg+xml"
    assert r.headers["cache-control"] == "private, no-store"
    assert "<svg" in r.text
    assert "pygal-chart" in r.text


async def test_an_unknown_chart_is_422(console: Console) -> None:
    c = await console("handler")
    r = await c.get("/console/dashboard/charts/secrets.svg")
    assert r.status_code == 422


async def test_the_dashboard_needs_a_login(client: httpx.AsyncClient) -> None:
    r = await client.get("/console/dashboard")
    assert r.status_code == 303
    assert r.headers["location"].startswith("/console/login")
    r = await client.get("/console/dashboard/charts/volume.svg")
    assert r.status_code == 303
