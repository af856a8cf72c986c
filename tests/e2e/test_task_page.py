"""A data-system owner and a handler in a real Chromium: the owner opens the e-mailed task link,
sees what a correction asks, sends JSON and a file, is told beside the field what is wrong, and
closes the task as retained with the exception; the handler reviews the results on the case page
(a table, a file list) and closes the other task there; axe-core on every page."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi import FastAPI

from tests.fulfilment_helpers import register_system
from tests.helpers import PASSWORD, Mailbox, make_staff, serious_violations
from tests.manual_helpers import manual_task

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.async_api import Page  # the browser tests skip without it

pytestmark = pytest.mark.browser

CORRECTION = {"inaccurate_data": "My birth year is shown as 1816", "corrected_data": "1815"}


async def test_the_owner_sends_results_and_closes_the_task_as_retained(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    page: Page,
    axe_source: str,
    tmp_path: Path,
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin", PASSWORD)
    task = await manual_task(client, app, mailbox, admin, type="correction", correction=CORRECTION)
    await page.goto(task.link)
    heading = await page.locator("h1").inner_text()
    assert heading.startswith("Correction request DSR-")
    assert heading.endswith(": task for crm")
    facts = await page.locator("dl.facts").inner_text()
    assert "My birth year is shown as 1816" in facts
    assert "1815" in facts
    assert "requester@example.org" in facts
    assert await serious_violations(page, axe_source) == []

    await page.get_by_label("Paste JSON").fill("{not json")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Send").click()
    assert await page.evaluate("document.activeElement.id") == "error-summary"
    assert "This is not valid JSON" in await page.locator("#pasted-error").inner_text()
    assert await serious_violations(page, axe_source) == []

    csv = tmp_path / "profile.csv"
    csv.write_text("field,value\nbirth_year,1815\n")
    await page.get_by_label("Paste JSON").fill('{"birth_year": 1815}')
    await page.get_by_label("Or upload files").set_input_files(str(csv))
    async with page.expect_navigation():
        await page.get_by_role("button", name="Send").click()
    assert await page.locator("#sent").inner_text() == "2 results received."
    assert await page.locator("table.results td").all_inner_texts() == ["birth_year", "1815"]
    assert await page.locator("ul.files li").all_inner_texts() == ["profile.csv · 28 bytes"]
    assert await serious_violations(page, axe_source) == []

    await page.get_by_label("Retained: we keep some data under a legal exception").check()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Close the task").click()
    assert await page.evaluate("document.activeElement.id") == "error-summary"
    await page.get_by_label("Note").fill("The old record is under a legal hold")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Close the task").click()
    closed = await page.locator("p.notice").inner_text()
    assert closed == "This task is closed: The old record is under a legal hold. Thank you."
    assert await page.get_by_role("button", name="Send").count() == 0
    assert await serious_violations(page, axe_source) == []


async def test_a_handler_reviews_results_and_closes_a_task_on_the_case_page(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    page: Page,
    axe_source: str,
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin", PASSWORD)
    await make_staff(app, "handler@example.com", "handler", PASSWORD)
    await register_system(client, admin, "billing", identities=["email"])
    task = await manual_task(client, app, mailbox, admin)
    r = await client.post(
        f"/tasks/{task.task_id}/results",
        data={"token": task.token, "pasted": '[{"order": 1, "total": "9.99"}, {"order": 2}]'},
        files=[("files", ("invoice.pdf", b"%PDF-1.4 test", "application/pdf"))],
    )
    assert r.status_code == 200

    await page.set_viewport_size({"width": 1366, "height": 768})
    await page.goto("/console/login")
    await page.get_by_label("E-mail address").fill("handler@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Log in").click()
    await page.goto(f"/console/cases/{task.case_id}")
    table = page.get_by_role("table", name="crm: JSON 1")
    assert await table.locator("th").all_inner_texts() == ["order", "total"]
    assert await table.locator("td").all_inner_texts() == ["1", "9.99", "2", ""]
    assert await page.locator("ul.files li").all_inner_texts() == ["invoice.pdf · 13 bytes"]
    assert await serious_violations(page, axe_source) == []

    billing = page.locator("form.task-close", has_text="Close the billing task")
    await billing.get_by_label("Retained under an exception").check()
    await billing.get_by_label("Records affected").fill("4")
    await billing.get_by_label("Note (the exception, or the reason to waive)").fill(
        "Invoices kept ten years under the tax code"
    )
    async with page.expect_navigation():
        await billing.get_by_role("button", name="Close the billing task").click()
    notice = await page.locator("#retained-notice").inner_text()
    assert notice.startswith("Only partial fulfilment is possible.")
    assert "billing: Invoices kept ten years under the tax code" in notice
    assert await serious_violations(page, axe_source) == []
