"""The check step in a real Chromium (issue 14): a single denial shows the notice the requester
will receive, and cancelling sends nothing; the queue's bulk actions appear only once a case is
ticked; a bulk denial says how many requests and people, and confirming sends exactly those
e-mails. axe-core runs on the check pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import (
    PASSWORD,
    Mailbox,
    auth,
    body_text,
    deliver,
    make_staff,
    open_case,
    serious_violations,
)

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = pytest.mark.browser


async def reference(client: httpx.AsyncClient, token: str, case_id: str) -> str:
    r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(token))
    return str(r.json()["reference"])


async def status(client: httpx.AsyncClient, token: str, case_id: str) -> str:
    r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(token))
    return str(r.json()["status"])


@pytest.fixture
async def staff(app: FastAPI) -> str:
    admin = await make_staff(app, "admin@example.com", "admin", PASSWORD)
    await make_staff(app, "handler@example.com", "handler", PASSWORD)
    return admin


async def log_in(page: Page) -> None:
    await page.goto("/console")
    await page.get_by_label("E-mail address").fill("handler@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Log in").click()


async def sent_to(app: FastAPI, mailbox: Mailbox, *addresses: str) -> list[str]:
    """Deliver what is queued and return the bodies sent to these addresses."""
    mailbox.clear()
    await deliver(app)
    return [body_text(m) for a in addresses for m in mailbox.to(a)]


async def test_single_denial_shows_the_notice_and_cancel_sends_nothing(
    page: Page,
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    staff: str,
    axe_source: str,
) -> None:
    case_id = await open_case(client, app, mailbox, jurisdiction="US-CA", email="d@example.org")
    await log_in(page)
    await page.goto(f"/console/cases/{case_id}")
    await page.locator("summary", has_text="Deny").click()
    form = page.locator("details[open]")
    await form.get_by_label("Reason code").select_option("exception_applies")
    await form.get_by_label("Explanation").fill("A court ordered us\nto keep these records.")
    async with page.expect_navigation():
        await form.get_by_role("button", name="Deny").click()

    summary = page.locator("#check-summary")
    assert "You are about to refuse this request" in await summary.inner_text()
    assert "e-mail 1 person" in await summary.inner_text()
    assert await page.evaluate("document.activeElement.id") == "check-summary"
    notice = await page.locator(".email-preview").inner_text()
    assert "d@example.org (the requester)" in notice
    assert "Decision on your privacy request" in notice
    assert "We cannot do what you asked" in notice
    assert "A court ordered us\nto keep these records." in notice
    assert "@" not in page.url
    assert "token" not in page.url
    assert await serious_violations(page, axe_source) == []

    async with page.expect_navigation():
        await page.get_by_role("link", name="Cancel: send nothing").click()
    assert page.url.endswith(f"/console/cases/{case_id}")
    assert await status(client, staff, case_id) == "open"
    assert await sent_to(app, mailbox, "d@example.org") == []

    # Again, and confirm: exactly that notice goes out.
    await page.locator("summary", has_text="Deny").click()
    form = page.locator("details[open]")
    await form.get_by_label("Reason code").select_option("exception_applies")
    await form.get_by_label("Explanation").fill("A court ordered us to keep these records.")
    async with page.expect_navigation():
        await form.get_by_role("button", name="Deny").click()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Confirm: deny and e-mail 1 person").click()
    assert "The request was denied" in await page.locator("#messages").inner_text()
    assert await status(client, staff, case_id) == "denied"
    bodies = await sent_to(app, mailbox, "d@example.org")
    assert len(bodies) == 1
    assert "A court ordered us to keep these records." in bodies[0]


async def test_bulk_denial_is_hidden_until_ticked_and_sends_exactly_what_it_counted(
    page: Page,
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    staff: str,
    axe_source: str,
) -> None:
    emails = ["one@example.org", "two@example.org", "three@example.org"]
    ids = [await open_case(client, app, mailbox, email=e, jurisdiction="GB") for e in emails]
    refs = [await reference(client, staff, i) for i in ids]
    await log_in(page)
    deny = page.get_by_role("button", name="Check the refusal of the selected cases")
    assert not await deny.is_visible()
    assert await page.locator("#bulk-hint").is_visible()
    assert await serious_violations(page, axe_source) == []

    await page.get_by_label(f"Select {refs[0]}").check()
    await page.get_by_label(f"Select {refs[1]}").check()
    assert await deny.is_visible()
    assert await page.locator("#bulk-count").inner_text() == "2 selected"
    await page.get_by_label("Reason code").select_option("outside_jurisdiction")
    await page.get_by_label("Explanation (sent to each requester)").fill(
        "We do not offer our service\nwhere you live."
    )
    async with page.expect_navigation():
        await deny.click()
    summary = await page.locator("#check-summary").inner_text()
    assert "You are about to refuse 2 requests and e-mail 2 people." in summary
    assert await page.locator(".email-preview").count() == 2
    assert refs[2] not in await page.locator("main").inner_text()
    assert await serious_violations(page, axe_source) == []
    assert await sent_to(app, mailbox, *emails) == []

    async with page.expect_navigation():
        await page.get_by_role(
            "button", name="Confirm: refuse 2 requests and e-mail 2 people"
        ).click()
    assert "2 done, 0 not done" in await page.locator("#bulk-summary").inner_text()
    mailbox.clear()
    await deliver(app)
    assert sorted(str(m["To"]) for m in mailbox.to(emails[0]) + mailbox.to(emails[1])) == sorted(
        emails[:2]
    )
    assert mailbox.to(emails[2]) == []
    assert "where you live." in body_text(mailbox.last_to(emails[0]))
    assert await status(client, staff, ids[2]) == "open"
