"""An auditor opens the dashboard from the console's navigation in a real Chromium: every chart
image loads and draws, each beside its table; the jurisdiction filter narrows it; axe-core
finds no serious or critical violation."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI

from dsr.db.types import utcnow
from tests.helpers import PASSWORD, make_staff, serious_violations
from tests.report_cases import appeal, at, case, store

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = pytest.mark.browser


async def seed(app: FastAPI) -> None:
    today = utcnow().date()

    def d(days: int) -> str:
        return (today + timedelta(days=days)).isoformat()

    refused = case(d(-20), "appealed", decided=at(d(-6)), reason="other", jurisdiction="GB")
    await store(
        app,
        case(d(-30), "fulfilled", decided=at(d(-2))),
        case(d(-9), "fulfilled", type="deletion", decided=at(d(-1)), jurisdiction="US-CA"),
        case(d(-3), "open", respond_by=d(-1)),
        case(d(-1), "in_progress", respond_by=d(4), jurisdiction="US-CA"),
        refused,
    )
    await store(app, appeal(refused, "appealed", d(-2)))
    await make_staff(app, "auditor@example.com", "auditor", PASSWORD)


async def test_auditor_reads_the_dashboard(page: Page, app: FastAPI, axe_source: str) -> None:
    await seed(app)
    await page.set_viewport_size({"width": 1366, "height": 768})
    await page.goto("/console/login")
    await page.get_by_label("E-mail address").fill("auditor@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Log in").click()
    async with page.expect_navigation():
        await page.get_by_role("link", name="Dashboard").click()
    assert page.url.endswith("/console/dashboard")
    assert await page.get_by_role("heading", name="Dashboard", level=1).is_visible()

    images = page.locator("figure img")
    assert await images.count() == 5
    await page.wait_for_load_state("load")
    for i in range(5):
        # Drawn: the SVG loaded and decoded (a broken image has no natural width).
        assert await images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
    assert await page.locator("#overdue").inner_text() == "1"
    assert await page.locator("#due-this-week").inner_text() == "1"
    assert await serious_violations(page, axe_source) == []

    await page.get_by_label("Jurisdiction", exact=True).select_option("US-CA")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Show").click()
    assert "jurisdiction=US-CA" in page.url
    assert await page.locator("#overdue").inner_text() == "0"
    assert await page.locator("#due-this-week").inner_text() == "1"
    rows = await page.locator("#t-closing tbody tr").all_inner_texts()
    assert [r.split("\t")[0] for r in rows] == ["Deletion"]
    assert await serious_violations(page, axe_source) == []
