"""An authorized agent uses the public form in a real browser (issue 11): the agent fields, their
upload page telling them the consumer must confirm and taking the signed permission, the
consumer confirming the agent's permission through their own e-mailed link; and an opt-out made
through the form opens at once."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI

from dsr.cases import proofs
from dsr.cases.models import Case
from tests.helpers import Mailbox, body_text, deliver, link_in, serious_violations

if TYPE_CHECKING:
    from playwright.async_api import Page  # the browser tests skip without it

pytestmark = pytest.mark.browser

CONSUMER = "carla.consumer@example.org"
AGENT = "desk@permission.example"


async def case_row(app: FastAPI, case_id: str) -> Case:
    async with app.state.sessionmaker() as session:
        case: Case | None = await session.get(Case, uuid.UUID(case_id))
        assert case is not None
        return case


async def send(page: Page) -> str:
    """Continue, then send from the check page."""
    async with page.expect_navigation():
        await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("heading", name="Check your answers before sending").wait_for()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Send request").click()
    m = re.search(r"/requests/([0-9a-f-]{36})/submitted", page.url)
    assert m, page.url
    return m.group(1)


async def test_an_agent_submits_uploads_the_permission_and_the_consumer_confirms(
    page: Page, app: FastAPI, mailbox: Mailbox, axe_source: str, tmp_path: Path
) -> None:
    await page.goto("/")
    await page.check("#type-deletion")
    await page.select_option("#jurisdiction", "US-CA")
    await page.fill("#email", CONSUMER)
    await page.fill("#full_name", "Carla Consumer")
    await page.select_option("#agent_kind", "authorized_agent")
    await page.fill("#agent_name", "Permission Agency")
    await page.fill("#agent_email", AGENT)
    assert await serious_violations(page, axe_source) == []
    async with page.expect_navigation():
        await page.get_by_role("button", name="Continue").click()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Send request").click()
    # The agent lands on their upload page: what happens next, and where the permission goes.
    m = re.search(r"/requests/([0-9a-f-]{36})/agent-proof\?token=", page.url)
    assert m, page.url
    case_id = m.group(1)
    await page.get_by_role("heading", name="We have asked the consumer to confirm").wait_for()
    assert "Carla" not in await page.content()
    assert await serious_violations(page, axe_source) == []
    stored = await case_row(app, case_id)
    assert (stored.status, stored.agent_name, stored.agent_email, stored.agent_kind) == (
        "pending_verification",
        "Permission Agency",
        AGENT,
        "authorized_agent",
    )

    # A file of the wrong type is refused beside the field; the signed PDF is taken.
    note = tmp_path / "permission.txt"
    note.write_text("I give permission.")
    await page.set_input_files("#file", str(note))
    async with page.expect_navigation():
        await page.get_by_role("button", name="Send the file").click()
    await page.locator("#file-error").wait_for()
    assert await page.get_attribute("#file", "aria-invalid") == "true"
    assert await serious_violations(page, axe_source) == []
    signed = tmp_path / "permission.pdf"
    signed.write_bytes(b"%PDF-1.4\n% signed by Carla Consumer\n%%EOF\n")
    await page.set_input_files("#file", str(signed))
    async with page.expect_navigation():
        await page.get_by_role("button", name="Send the file").click()
    await page.locator("#sent").wait_for()
    assert "1 file" in await page.inner_text("#received")
    assert await serious_violations(page, axe_source) == []
    async with app.state.sessionmaker() as session:
        held = await proofs.proofs_of(session, uuid.UUID(case_id))
    assert [(p.content_type, p.size) for p in held] == [("application/pdf", signed.stat().st_size)]

    assert await deliver(app) == (2, 0)
    told = body_text(mailbox.last_to(AGENT))
    assert re.findall(r"https?://\S+", told) == [page.url.split("&sent=")[0]]
    link = link_in(mailbox.last_to(CONSUMER), f"/requests/{case_id}/verify")
    await page.goto(link)
    await page.get_by_role("heading", name="Confirm the agent's permission").wait_for()
    assert await serious_violations(page, axe_source) == []
    async with page.expect_navigation():
        await page.get_by_role("button", name="I gave this permission").click()
    await page.get_by_role("heading", name=re.compile("your request is confirmed")).wait_for()
    assert (await case_row(app, case_id)).status == "open"


async def test_an_agent_error_is_shown_beside_the_agent_field(page: Page) -> None:
    await page.goto("/")
    await page.check("#type-access")
    await page.select_option("#jurisdiction", "US-CA")
    await page.fill("#email", CONSUMER)
    await page.fill("#full_name", "Carla Consumer")
    await page.select_option("#agent_kind", "authorized_agent")
    await page.fill("#agent_name", "Permission Agency")
    await page.fill("#agent_email", "not an address")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Continue").click()
    error = page.locator("#agent_email-error")
    await error.wait_for()
    assert await page.locator("#email-error").count() == 0
    assert await page.input_value("#email") == CONSUMER


async def test_an_opt_out_through_the_form_opens_at_once(
    page: Page, app: FastAPI, mailbox: Mailbox
) -> None:
    await page.goto("/")
    await page.check("#type-opt_out")
    await page.select_option("#jurisdiction", "US-CA")
    await page.fill("#email", CONSUMER)
    await page.fill("#full_name", "Carla Consumer")
    case_id = await send(page)
    await page.get_by_role("heading", name="Request received").wait_for()
    assert (await case_row(app, case_id)).status == "open"
    assert await deliver(app) == (1, 0)
    assert "You do not need to confirm anything" in " ".join(
        body_text(mailbox.last_to(CONSUMER)).split()
    )
