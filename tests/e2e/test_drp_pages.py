"""The DRP pages in a real Chromium with axe-core: an admin registers and disables an agent on
the console's DRP agents page (reached from the navigation, a bad key refused with the message
focused), and the consumer's user_verification_url page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI

from tests.drp_agent import Agent
from tests.helpers import PASSWORD, make_staff, serious_violations

if TYPE_CHECKING:
    from playwright.async_api import Page  # the browser tests skip without it

pytestmark = pytest.mark.browser

BUSINESS = "DSR_E2E_BUSINESS"


@pytest.fixture
def settings_overrides(live_port: int) -> dict[str, Any]:
    return {"base_url": f"http://127.0.0.1:{live_port}", "drp_business_id": BUSINESS}


async def test_admin_registers_an_agent_whose_consumer_sees_the_verification_page(
    app: FastAPI, page: Page, live_server: str, axe_source: str
) -> None:
    await make_staff(app, "admin@example.com", "admin", PASSWORD)
    await page.goto("/console/login")
    await page.get_by_label("E-mail address").fill("admin@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Log in").click()
    async with page.expect_navigation():
        await page.get_by_role("link", name="DRP agents").click()
    assert page.url.endswith("/console/agents")
    assert await serious_violations(page, axe_source) == []

    async with httpx.AsyncClient(base_url=live_server, timeout=10) as c:
        agent = Agent(c, "E2E_AGENT", BUSINESS)
        await page.get_by_label("Agent id").fill(agent.agent_id)
        await page.get_by_label("Verify key").fill("not a key")
        async with page.expect_navigation():
            await page.get_by_role("button", name="Add agent").click()
        assert await page.evaluate("document.activeElement.id") == "error-summary"
        assert await serious_violations(page, axe_source) == []
        await page.get_by_label("Verify key").fill(agent.verify_key)
        await page.get_by_label("Name").fill("E2E Agent")
        async with page.expect_navigation():
            await page.get_by_role("button", name="Add agent").click()
        assert "E2E Agent" in await page.locator("table").inner_text()

        assert (await agent.pair()).status_code == 200
        r = await agent.exercise(agent.exercise_claims())
        url = r.json()["user_verification_url"]
        async with page.expect_navigation():
            await page.get_by_role("button", name="Disable E2E_AGENT").click()
        assert "disabled" in await page.locator("table").inner_text()
        assert (await agent.status(r.json()["request_id"])).status_code == 403

    await page.goto(url)
    assert await page.locator("h1").inner_text() == "Confirm your request"
    assert "E2E Agent sent us a privacy request" in await page.locator("main").inner_text()
    assert await serious_violations(page, axe_source) == []
