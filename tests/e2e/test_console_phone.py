"""Issue 14, items 1, 8 and 10 in a real Chromium: the console's pages at desktop width and on a
375-pixel phone, with axe-core, no page wider than the screen, the navigation folded behind
"Menu" at phone width (no script), and a refused acknowledgement shown as a delivery problem."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from tests.helpers import (
    PASSWORD,
    Mailbox,
    auth,
    deliver,
    make_staff,
    open_case,
    serious_violations,
)

if TYPE_CHECKING:
    from playwright.async_api import Page, ViewportSize

pytestmark = pytest.mark.browser

DESKTOP: ViewportSize = {"width": 1366, "height": 768}
PHONE: ViewportSize = {"width": 375, "height": 812}
PAGES = [
    "/console",
    "/console?status=all&sort=received",
    "CASE",
    "/console/appeals",
    "/console/dashboard",
    "/console/new",
    "/console/subjects",
    "/console/data-systems",
    "/console/notifications",
    "/console/access",
    "/console/agents",
    "/console/account/mfa",
]


@pytest.fixture
async def world(app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox) -> dict[str, str]:
    """An admin, two open cases, and one whose acknowledgement the requester's server refused."""
    admin = await make_staff(app, "admin@example.com", "admin", PASSWORD)
    ok = await open_case(client, app, mailbox, jurisdiction="US-CA", email="ok@example.org")
    await open_case(client, app, mailbox, jurisdiction="GB", email="fine@example.org")
    r = await client.post(
        "/api/v1/cases",
        json={
            "type": "deletion",
            "jurisdiction": "US-CA",
            "email": "bounce@example.org",
            "full_name": "Bea Bounce",
            "received_at": "2026-11-30",
            "channel": "post",
            "identity_verified": True,
        },
        headers=auth(admin),
    )
    assert r.status_code == 201, r.text
    bounced = str(r.json()["id"])
    mailbox.refuse = True
    assert await deliver(app) == (0, 1)
    async with app.state.engine.begin() as conn:  # given up on: listed as failed too
        await conn.execute(
            sa.text("UPDATE outbox_message SET status = 'failed' WHERE status = 'pending'")
        )
    return {"ok": ok, "bounced": bounced}


async def log_in(page: Page) -> None:
    await page.goto("/console/login")
    await page.get_by_label("E-mail address").fill("admin@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Log in").click()


async def overflow(page: Page) -> tuple[int, int]:
    width, inner = await page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    return int(width), int(inner)


# For the failure message: the elements that reach past the right edge.
WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id)"""


@pytest.mark.parametrize("size", ["desktop", "phone"])
async def test_console_pages_fit_and_pass_axe(
    page: Page, world: dict[str, str], axe_source: str, size: str
) -> None:
    await page.set_viewport_size(DESKTOP if size == "desktop" else PHONE)
    await log_in(page)
    for path in PAGES:
        url = f"/console/cases/{world['bounced']}" if path == "CASE" else path
        response = await page.goto(url)
        assert response is not None
        assert response.status == 200, url
        width, inner = await overflow(page)
        assert width <= inner, f"{url}: {width}px > {inner}px: {await page.evaluate(WIDE)}"
        assert await serious_violations(page, axe_source) == [], url
        if size == "phone":
            # The menu is folded; "Menu" opens it, without script.
            link = page.locator("nav.console").get_by_role("link", name="Dashboard")
            assert not await link.is_visible()
            await page.get_by_text("Menu", exact=True).click()
            assert await link.is_visible()
            width, inner = await overflow(page)
            assert width <= inner, f"{url} with the menu open"
            assert await serious_violations(page, axe_source) == [], f"{url} with the menu open"


@pytest.mark.usefixtures("world")
async def test_a_bounced_acknowledgement_is_a_visible_problem(page: Page, axe_source: str) -> None:
    await page.set_viewport_size(PHONE)
    await log_in(page)
    await page.goto("/console")
    assert (await page.locator("#nav-delivery .count").inner_text()).strip() == "1"
    await page.get_by_text("Menu", exact=True).click()
    async with page.expect_navigation():
        await page.locator("#nav-delivery").click()
    rows = page.locator("#queue tbody tr")
    assert await rows.count() == 1
    assert "delivery problem" in await rows.first.inner_text()
    async with page.expect_navigation():
        await rows.first.locator("th a").click()
    warning = page.locator("#delivery-warning")
    assert await warning.is_visible()
    assert "Acknowledgement" in await warning.inner_text()
    assert "SMTP 451" in await warning.inner_text()
    assert "not yet acknowledged" in await page.locator("main").inner_text()
    timeline = await page.locator("#timeline").inner_text()
    assert "E-mail not delivered yet" in timeline
    assert "to the requester" in timeline
    assert "bounce@example.org" not in await warning.inner_text()
    width, inner = await overflow(page)
    assert width <= inner
    assert await serious_violations(page, axe_source) == []
