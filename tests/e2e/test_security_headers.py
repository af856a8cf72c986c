"""Issue 12, item 16: the pages work in Chromium under a Content-Security-Policy without inline
script or style. Every violation the browser reports (the `securitypolicyviolation` event and
the console's CSP messages) is recorded on the public form, the status page, the console's queue
and a case page; there must be none, while the site's own script still runs (the focused error
summary) and its style sheets apply. A script injected into the page is blocked and reported,
which shows the recorder works."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlparse

import httpx
import pytest
from fastapi import FastAPI

from dsr.middleware import PAGE_POLICY
from tests.helpers import PASSWORD, REQUESTER, Mailbox, link_in, make_staff, open_case

if TYPE_CHECKING:
    from playwright.async_api import ConsoleMessage, Page

pytestmark = pytest.mark.browser

RECORD = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


async def violations(page: Page, console: list[str]) -> list[str]:
    seen: list[str] = await page.evaluate("window.__csp")
    return seen + [m for m in console if "Content Security Policy" in m]


@pytest.fixture
async def recorded(page: Page) -> list[str]:
    """The browser console's messages; the page records violations itself (RECORD)."""
    messages: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        messages.append(message.text)

    page.on("console", on_console)
    await page.add_init_script(RECORD)
    return messages


async def test_public_pages_work_without_a_policy_violation(
    page: Page,
    recorded: list[str],
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
) -> None:
    response = await page.goto("/")
    assert response is not None
    headers = await response.all_headers()
    assert headers["content-security-policy"] == PAGE_POLICY.decode()
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    # The style sheet applies (main is 46rem wide at 16px) ...
    assert await page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == (
        "736px"
    )
    # ... and the script runs: a form sent with problems focuses their summary.
    async with page.expect_navigation():
        await page.get_by_role("button", name="Continue").click()
    assert await page.evaluate("document.activeElement.id") == "error-summary"
    assert await violations(page, recorded) == []

    case_id = await open_case(client, app, mailbox)
    status_link = link_in(mailbox.last_to(REQUESTER), f"/requests/{case_id}?token=")
    parsed = urlparse(status_link)
    await page.goto(f"{parsed.path}?{parsed.query}")
    assert await page.locator("h1").count() == 1
    assert await violations(page, recorded) == []

    # The recorder is live: an inline script added now is refused, reported and never run.
    await page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.__ran = 1'; document.body.append(s); }"
    )
    assert await page.evaluate("window.__ran === undefined")
    assert any(v.startswith("script-src") for v in await violations(page, recorded))


async def test_console_queue_and_case_page_work_without_a_policy_violation(
    page: Page,
    recorded: list[str],
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
) -> None:
    await make_staff(app, "handler@example.com", "handler", PASSWORD)
    case_id = await open_case(client, app, mailbox)
    await page.goto("/console/login")
    await page.get_by_label("E-mail address").fill("handler@example.com")
    await page.get_by_label("Password").fill("wrong password")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Log in").click()
    assert await page.evaluate("document.activeElement.id") == "error-summary"
    await page.get_by_label("Password").fill(PASSWORD)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Log in").click()
    assert page.url.endswith("/console")
    assert await page.locator("#queue tbody tr").count() == 1
    # The console's own sheet applies on top of the site's (88rem wide).
    assert await page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") == (
        "1408px"
    )
    assert await violations(page, recorded) == []

    await page.goto(f"/console/cases/{case_id}")
    assert await page.locator("h1").count() == 1
    assert await violations(page, recorded) == []
