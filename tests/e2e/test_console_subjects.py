"""A handler looks up a person's consent and exclusion history in a real Chromium: reached from
the navigation, the address typed in a POST form (never in the URL), the causing case one click
away, a mistyped key refused with the message focused, and axe-core on each page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import PASSWORD, Mailbox, auth, make_staff, open_case, serious_violations
from tests.training import email_key

if TYPE_CHECKING:
    from playwright.async_api import Page  # the browser tests skip without it

pytestmark = pytest.mark.browser

ADA = "ada@example.org"


@pytest.fixture
async def objection(app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox) -> dict[str, str]:
    """A verified objection: Ada is excluded from training."""
    handler = await make_staff(app, "handler@example.com", "handler", PASSWORD)
    case_id = await open_case(client, app, mailbox, type="objection", email=ADA)
    r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(handler))
    return {"id": case_id, "reference": str(r.json()["reference"])}


async def test_handler_finds_why_a_person_is_excluded(
    page: Page, objection: dict[str, str], axe_source: str
) -> None:
    await page.set_viewport_size({"width": 1366, "height": 768})
    await page.goto("/console/login")
    await page.get_by_label("E-mail address").fill("handler@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Log in").click()

    async with page.expect_navigation():
        await page.get_by_role("link", name="Consent and exclusions").click()
    assert page.url.endswith("/console/subjects")
    assert await serious_violations(page, axe_source) == []

    await page.get_by_label("Subject key or e-mail address").fill("nobody")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Show history").click()
    assert await page.evaluate("document.activeElement.id") == "error-summary"
    assert await serious_violations(page, axe_source) == []

    await page.get_by_label("Subject key or e-mail address").fill(" Ada@Example.org")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Show history").click()
    assert page.url.endswith("/console/subjects")
    assert "@" not in page.url
    assert email_key(ADA)[13:] not in page.url
    results = await page.locator("#results").inner_text()
    assert email_key(ADA) in results
    assert "Excluded from training" in results
    assert await serious_violations(page, axe_source) == []

    async with page.expect_navigation():
        await page.get_by_role("link", name=objection["reference"]).click()
    assert page.url.endswith(f"/console/cases/{objection['id']}")
