"""A handler works the staff console in a real Chromium on a 1366 by 768 laptop screen: log in, the
queue sorted by deadline with an overdue flag, a filter, a case worked from assignment to denial
with each step on the timeline, a stale form refused with the message focused, a bulk
assignment, and axe-core on the queue and case pages."""

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
    link_in,
    make_staff,
    open_case,
    serious_violations,
)

if TYPE_CHECKING:
    from playwright.async_api import Page, ViewportSize  # the browser tests skip without it

pytestmark = pytest.mark.browser

LAPTOP: ViewportSize = {"width": 1366, "height": 768}
# Each e-mail's delivery is on the timeline too; the steps checked here are the case's own.
DELIVERY_STEPS = {
    "E-mail accepted by the mail server",
    "E-mail not delivered yet: will be tried again",
    "E-mail could not be delivered",
}


async def reference(client: httpx.AsyncClient, token: str, case_id: str) -> str:
    r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(token))
    return str(r.json()["reference"])


@pytest.fixture
async def cases(app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox) -> dict[str, str]:
    """Staff, and four open cases: one overdue, one to work, two for the bulk assignment."""
    admin = await make_staff(app, "admin@example.com", "admin", PASSWORD)
    await make_staff(app, "handler@example.com", "handler", PASSWORD)
    await make_staff(app, "handler2@example.com", "handler", PASSWORD)
    ids = {
        "late": await open_case(client, app, mailbox, jurisdiction="US-VA", email="l@example.org"),
        "work": await open_case(client, app, mailbox, jurisdiction="US-CA", email="w@example.org"),
        "bulk1": await open_case(client, app, mailbox, jurisdiction="BR", email="b1@example.org"),
        "bulk2": await open_case(client, app, mailbox, jurisdiction="GB", email="b2@example.org"),
    }
    refs = {name: await reference(client, admin, cid) for name, cid in ids.items()}
    async with app.state.engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE case_record SET respond_by = '2020-03-02' WHERE reference = :r"),
            {"r": refs["late"]},
        )
    return {**ids, **{f"{k}_ref": v for k, v in refs.items()}}


async def log_in(page: Page) -> None:
    await page.set_viewport_size(LAPTOP)
    await page.goto("/console")
    assert page.url.endswith("/console/login")
    await page.get_by_label("E-mail address").fill("handler@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Log in").click()
    assert page.url.endswith("/console")


async def queue_refs(page: Page) -> list[str]:
    return [t.strip() for t in await page.locator("#queue tbody th[scope=row] a").all_inner_texts()]


async def run_action(page: Page, summary: str, fields: dict[str, str], button: str) -> None:
    await page.locator("summary", has_text=summary).click()
    details = page.locator("details[open]")
    for label, value in fields.items():
        field = details.get_by_label(label, exact=True)
        if await field.evaluate("el => el.tagName") == "SELECT":
            await field.select_option(value)
        else:
            await field.fill(value)
    async with page.expect_navigation():
        await details.get_by_role("button", name=button, exact=True).click()
    if await page.locator("form.check-confirm").count():
        # A decision that e-mails the requester shows the notice first (test_console_check_step).
        async with page.expect_navigation():
            await page.locator("form.check-confirm button").click()
    assert await page.locator("#messages .result").count() == 1, await page.content()


async def test_handler_works_cases_in_the_console(
    page: Page, cases: dict[str, str], axe_source: str, dialogs: list[str]
) -> None:
    await log_in(page)

    # The queue: soonest deadline first, the overdue case flagged.
    refs = await queue_refs(page)
    assert set(refs) == {cases[k] for k in ("late_ref", "work_ref", "bulk1_ref", "bulk2_ref")}
    assert refs[0] == cases["late_ref"]
    first_row = page.locator("#queue tbody tr").first
    assert "Overdue" in await first_row.inner_text()
    assert await serious_violations(page, axe_source) == []
    # Usable on a laptop: the table fits the width, nothing scrolls sideways.
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Filter by jurisdiction (a GET form: codes in the URL, never personal data).
    await page.get_by_label("Jurisdiction").select_option("BR")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Filter").click()
    assert "jurisdiction=BR" in page.url
    assert "@" not in page.url
    assert await queue_refs(page) == [cases["bulk1_ref"]]
    async with page.expect_navigation():
        await page.get_by_role("link", name="Clear").click()

    # Open a case and work it.
    async with page.expect_navigation():
        await page.get_by_role("link", name=cases["work_ref"]).click()
    assert page.url.endswith(f"/console/cases/{cases['work']}")
    assert await page.get_by_role("heading", level=1).inner_text() == (
        f"Case {cases['work_ref']} Open"
    )
    assert "w@example.org" in await page.locator("main").inner_text()
    assert await serious_violations(page, axe_source) == []

    await run_action(page, "Assign", {"Assign to": "handler2@example.com"}, "Assign")
    await run_action(
        page,
        "Request information",
        {"What do you need from the requester?": "Please confirm your account id."},
        "Request information",
    )
    await run_action(page, "Add a note", {"Note": "Called the requester."}, "Add a note")
    await run_action(
        page,
        "Extend the deadline",
        {"Reason for the extension": "Data is spread over many systems."},
        "Extend the deadline",
    )
    await run_action(
        page,
        "Deny",
        {"Reason code": "exception_applies", "Explanation": "A legal hold applies."},
        "Deny",
    )
    assert "Denied" in await page.get_by_role("heading", level=1).inner_text()

    timeline = page.locator("#timeline tbody tr")
    steps = [s for s in await timeline.locator("th").all_inner_texts() if s not in DELIVERY_STEPS]
    assert steps == [
        "Request received",
        "E-mail address confirmed",
        "Assigned",
        "Information requested",
        "Note",
        "Deadline extended",
        "Denied",
    ]
    text = await page.locator("#timeline").inner_text()
    for expected in (
        "to handler2@example.com",
        "Please confirm your account id.",
        "Called the requester.",
        "Data is spread over many systems.",
        "A legal hold applies.",
        "In progress → Awaiting information",
        "Awaiting information → Denied",
    ):
        assert expected in text, expected
    assert "handler@example.com" in text  # who did it
    assert await serious_violations(page, axe_source) == []

    # A stale form: someone else changes the case while this page is open.
    other = await page.context.new_page()
    await other.goto(f"/console/cases/{cases['bulk2']}")
    await page.goto(f"/console/cases/{cases['bulk2']}")
    await run_action(other, "Add a note", {"Note": "First."}, "Add a note")
    await page.locator("summary", has_text="Add a note").click()
    await page.locator("details[open]").get_by_label("Note").fill("Second.")
    async with page.expect_navigation():
        await page.locator("details[open]").get_by_role("button", name="Add a note").click()
    summary = page.locator("#error-summary")
    assert "changed by someone else" in await summary.inner_text()
    assert await page.evaluate("document.activeElement.id") == "error-summary"
    assert "Second." not in await page.locator("#timeline").inner_text()
    await other.close()

    # Bulk-assign two cases from the queue.
    await page.goto("/console")
    assert not await page.get_by_role("button", name="Assign selected").is_visible()
    await page.get_by_label(f"Select {cases['bulk1_ref']}").check()
    await page.get_by_label(f"Select {cases['bulk2_ref']}").check()
    await page.get_by_label("To", exact=True).select_option("handler@example.com")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Assign selected").click()
    results = page.locator("#bulk-summary")
    assert "2 done, 0 not done" in await results.inner_text()
    assert await page.evaluate("document.activeElement.id") == "bulk-summary"
    for ref in (cases["bulk1_ref"], cases["bulk2_ref"]):
        row = page.locator("#queue tbody tr", has_text=ref)
        assert "handler@example.com" in await row.inner_text()
        assert "In progress" in await row.inner_text()
    assert await serious_violations(page, axe_source) == []

    # Log out.
    async with page.expect_navigation():
        await page.get_by_role("button", name="Log out").click()
    assert page.url.endswith("/console/login")
    assert dialogs == []


async def test_search_by_email_keeps_the_address_out_of_the_url(
    page: Page, cases: dict[str, str], axe_source: str
) -> None:
    await log_in(page)
    await page.get_by_label("Find by reference or requester e-mail").fill("w@example.org")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Find", exact=True).click()
    assert page.url.endswith("/console/search")
    assert "@" not in page.url
    assert cases["work_ref"] in await page.locator("#results").inner_text()
    assert await serious_violations(page, axe_source) == []


@pytest.mark.usefixtures("cases")
async def test_admin_records_a_posted_request_and_manages_systems(
    page: Page, axe_source: str
) -> None:
    await page.set_viewport_size(LAPTOP)
    await page.goto("/console/login")
    await page.get_by_label("E-mail address").fill("admin@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Log in").click()

    async with page.expect_navigation():
        await page.get_by_role("link", name="Data systems").click()
    await page.get_by_label("Name", exact=True).fill("CRM")
    await page.get_by_label("Owner's e-mail").fill("crm-owner@example.com")
    await page.get_by_label("Data categories").fill("prompts, outputs")
    await page.get_by_label("Access").check()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Add data system").click()
    assert "The data system CRM was added." in await page.locator("#messages").inner_text()
    assert await serious_violations(page, axe_source) == []

    async with page.expect_navigation():
        await page.get_by_role("link", name="Record a request").click()
    async with page.expect_navigation():  # nothing filled in: the errors, focused
        await page.get_by_role("button", name="Record the request").click()
    assert await page.evaluate("document.activeElement.id") == "error-summary"
    assert await serious_violations(page, axe_source) == []
    await page.get_by_label("Request type").select_option("access")
    await page.get_by_label("Where the requester lives").select_option("US-CA")
    await page.get_by_label("Requester's e-mail").fill("posted@example.org")
    await page.get_by_label("Requester's full name").fill("Pat Posted")
    await page.get_by_label("Date received").fill("2026-01-05")
    await page.get_by_label("Received by").select_option("post")
    await page.get_by_label("I have verified the requester's identity").check()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Record the request").click()
    assert "/console/cases/" in page.url
    assert "@" not in page.url
    main = await page.locator("main").inner_text()
    assert "was recorded" in main
    assert "Pat Posted" in main
    assert "via Post" in main
    tasks = await page.locator("section", has_text="Data-system tasks").inner_text()
    assert "CRM" in tasks
    assert "Open" in tasks
    assert await serious_violations(page, axe_source) == []

    async with page.expect_navigation():
        await page.get_by_role("link", name="Failed notifications").click()
    assert "No failed notifications." in await page.locator("main").inner_text()
    assert await serious_violations(page, axe_source) == []


@pytest.fixture
async def appeal(app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox) -> dict[str, str]:
    """A Virginia request refused by an admin and appealed by the requester; a reviewer."""
    from tests.helpers import file_appeal, refused_case

    staff = {"decider": await make_staff(app, "decider@example.com", "admin", PASSWORD)}
    await make_staff(app, "reviewer@example.com", "reviewer", PASSWORD)
    case_id, token = await refused_case(client, app, mailbox, staff, "US-VA")
    r = await file_appeal(client, case_id, token)
    assert r.status_code == 201, r.text
    await deliver(app)
    link = link_in(mailbox.last_to("reviewer@example.com"), "/console/appeals/")
    return {
        "id": str(r.json()["id"]),
        "case_id": case_id,
        "ref": await reference(client, staff["decider"], case_id),
        "link": link,
    }


async def test_reviewer_overturns_an_appeal_in_the_console(
    page: Page, appeal: dict[str, str], axe_source: str, dialogs: list[str]
) -> None:
    await page.set_viewport_size(LAPTOP)
    await page.goto("/console/login")
    await page.get_by_label("E-mail address").fill("reviewer@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Log in").click()

    # The link in the reviewer's e-mail, followed from another site (a webmail): the session
    # cookie (SameSite=Lax) comes along, so the appeal opens without logging in again.
    await page.goto("about:blank")
    await page.set_content(f'<a href="{appeal["link"]}">Open the appeal</a>')
    async with page.expect_navigation():
        await page.get_by_role("link", name="Open the appeal").click()
    assert page.url == appeal["link"], page.url

    # The appeals queue, from the console's navigation.
    async with page.expect_navigation():
        await page.get_by_role("link", name="Appeals", exact=True).click()
    assert page.url.endswith("/console/appeals")
    row = page.locator("#appeals tbody tr", has_text=appeal["ref"])
    assert "Waiting for a reviewer" in await row.inner_text()
    assert await serious_violations(page, axe_source) == []
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The appeal beside the original case and its timeline.
    async with page.expect_navigation():
        await page.get_by_role("link", name=appeal["ref"]).click()
    assert page.url.endswith(f"/console/appeals/{appeal['id']}")
    assert "@" not in page.url
    assert await page.get_by_role("heading", level=1).inner_text() == (
        f"Appeal on case {appeal['ref']} Waiting for a reviewer"
    )
    decision = await page.locator("#decision").inner_text()
    assert "A legal exception applies" in decision
    assert "legal hold" in decision
    assert "I was never told about any legal hold." in await page.locator("main").inner_text()
    assert await serious_violations(page, axe_source) == []

    await run_action(
        page, "Assign the appeal", {"Assign to": "reviewer@example.com"}, "Assign the appeal"
    )
    await run_action(
        page,
        "Overturn the refusal",
        {"Why the refusal was wrong": "The legal hold ended in March."},
        "Overturn the refusal",
    )
    assert "Overturned" in await page.get_by_role("heading", level=1).inner_text()
    assert "back in progress" in await page.locator("#messages").inner_text()
    steps = await page.locator("#timeline tbody tr th").all_inner_texts()
    steps = [s for s in steps if s not in DELIVERY_STEPS]  # the deliveries of the notices
    assert steps[-4:] == [
        "Denied",
        "Appealed",
        "Appeal assigned",
        "Appeal decided: refusal overturned",
    ]
    assert "The legal hold ended in March." in await page.locator("#timeline").inner_text()
    assert await serious_violations(page, axe_source) == []
    assert dialogs == []
