"""A person uses the public pages in a real browser: the form for each request type, the
"check your e-mail" page, the e-mailed confirmation link and button, the acknowledgement's status
link; validation errors; escaping; and axe-core accessibility checks on each page."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI

from dsr.cases.models import Case
from tests.helpers import Mailbox, deliver, link_in, serious_violations

if TYPE_CHECKING:
    from playwright.async_api import Page  # the browser tests skip without it

pytestmark = pytest.mark.browser

XSS = "<script>alert(1)</script>"

# (type, jurisdiction, the type's own fields: form field -> value)
TYPES: list[tuple[str, str, dict[str, str]]] = [
    ("access", "DE", {}),
    (
        "correction",
        "GB",
        {"inaccurate_data": "My birth year is shown as 1816", "corrected_data": "1815"},
    ),
    ("deletion", "US-CA", {}),
    (
        "output_removal",
        "FR",
        {
            "personal_data": "My home address, 12 Rue Example",
            "examples": "Where does Ada live?\nGive me Ada's address",
            "models": "chat-1, chat-2",
        },
    ),
    ("objection", "CA-QC", {}),
]


async def fill_form(page: Page, *, type_: str | None, jurisdiction: str, email: str, name: str,
                    extra: dict[str, str] | None = None) -> None:  # fmt: skip
    await page.goto("/")
    if type_:
        await page.check(f"#type-{type_}")
    if jurisdiction:
        await page.select_option("#jurisdiction", jurisdiction)
    await page.fill("#email", email)
    await page.fill("#full_name", name)
    for field, value in (extra or {}).items():
        await page.fill(f"#{field}", value)


async def submit(page: Page) -> None:
    """The form's own button: the answers to check, or the form again with its problems."""
    async with page.expect_navigation():
        await page.get_by_role("button", name="Continue").click()


async def submit_and_send(page: Page) -> None:
    """Continue, then "Send request" on the check page: the request is made."""
    await submit(page)
    await page.get_by_role("heading", name="Check your answers before sending").wait_for()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Send request").click()


async def case_row(app: FastAPI, case_id: str) -> Case:
    async with app.state.sessionmaker() as session:
        case: Case | None = await session.get(Case, uuid.UUID(case_id))
        assert case is not None
        return case


def long_date(d: date) -> str:
    return f"{d.day} {d.strftime('%B %Y')}"


@pytest.mark.parametrize(("type_", "jurisdiction", "extra"), TYPES, ids=[t[0] for t in TYPES])
async def test_request_confirm_and_follow(
    page: Page,
    app: FastAPI,
    mailbox: Mailbox,
    axe_source: str,
    dialogs: list[str],
    type_: str,
    jurisdiction: str,
    extra: dict[str, str],
) -> None:
    email = f"{type_}.person@example.org"
    await fill_form(
        page, type_=type_, jurisdiction=jurisdiction, email=email, name="Ada Lovelace", extra=extra
    )
    if type_ == "access":
        assert await serious_violations(page, axe_source) == []
    await submit_and_send(page)

    m = re.search(r"/requests/([0-9a-f-]{36})/submitted$", page.url)
    assert m, page.url
    case_id = m.group(1)
    await page.get_by_role("heading", name="Check your e-mail").wait_for()
    # The confirmation names the reference and the address the link went to.
    main = await page.inner_text("main")
    assert email in main

    stored = await case_row(app, case_id)
    assert stored.reference in main
    assert stored.type == type_
    assert stored.status == "pending_verification"
    if type_ == "correction":
        assert stored.type_data == {
            "inaccurate_data": extra["inaccurate_data"],
            "corrected_data": extra["corrected_data"],
        }
    if type_ == "output_removal":
        assert stored.type_data is not None
        assert stored.type_data["examples"] == ["Where does Ada live?", "Give me Ada's address"]
        assert stored.type_data["models"] == ["chat-1", "chat-2"]

    # The verification e-mail's link opens a page with a button: following it confirms nothing.
    assert await deliver(app) == (1, 0)
    verify_link = link_in(mailbox.last_to(email), f"/requests/{case_id}/verify")
    await page.goto(verify_link)
    assert (await case_row(app, case_id)).status == "pending_verification"
    confirm = page.get_by_role("button", name="Confirm my request")
    await confirm.wait_for()
    if type_ == "access":
        assert await serious_violations(page, axe_source) == []
    async with page.expect_navigation():
        await confirm.click()
    await page.get_by_role("heading", name=re.compile("your request is confirmed")).wait_for()
    assert stored.reference in await page.inner_text("main")
    opened = await case_row(app, case_id)
    assert opened.status == "open"

    # The acknowledgement's status link shows the status and the deadline.
    assert await deliver(app) == (1, 0)
    ack = mailbox.last_to(email)
    assert "received your privacy request" in ack["Subject"]
    await page.goto(link_in(ack, f"/requests/{case_id}?token="))
    main = await page.inner_text("main")
    assert stored.reference in main
    assert "Received, waiting for a member of our privacy team" in main
    assert "We must answer by" in main
    assert long_date(opened.respond_by) in main
    if type_ == "access":
        assert await serious_violations(page, axe_source) == []
    assert dialogs == []


async def test_validation_errors_keep_values_escaped_and_link_to_fields(
    page: Page, app: FastAPI, axe_source: str, dialogs: list[str]
) -> None:
    await fill_form(page, type_=None, jurisdiction="", email="not-an-address", name=XSS)
    await page.fill("#account_id", 'acct-1" onfocus="alert(2)')
    await submit(page)

    summary = page.locator("#error-summary")
    await summary.wait_for()
    assert await summary.locator("[role=alert]").count() == 1
    links = summary.locator("a")
    targets = [await links.nth(i).get_attribute("href") for i in range(await links.count())]
    assert set(targets) >= {"#type-access", "#jurisdiction", "#email"}, targets
    for href in targets:
        assert href is not None
        # Every summary link leads to a control on the page (the type group to its first radio).
        name = href.removeprefix("#")
        assert await page.locator(f"#{name}").count() == 1, href

    await summary.locator('a[href="#email"]').click()
    assert await page.evaluate("document.activeElement.id") == "email"
    assert await page.get_attribute("#email", "aria-invalid") == "true"
    described = await page.get_attribute("#email", "aria-describedby")
    assert described
    assert "email-error" in described.split()

    # The values are kept, as text: the name is shown literally and no script ran.
    assert await page.input_value("#full_name") == XSS
    assert await page.input_value("#account_id") == 'acct-1" onfocus="alert(2)'
    assert await page.input_value("#email") == "not-an-address"
    await page.focus("#account_id")
    html = await page.content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # No script but the site's own file (static/dsr.js): the name's markup made none.
    assert (
        await page.evaluate(
            "document.querySelectorAll('script:not([src=\"/static/dsr.js\"])').length"
        )
        == 0
    )
    assert dialogs == []
    assert await serious_violations(page, axe_source) == []

    async with app.state.engine.connect() as conn:
        from sqlalchemy import text

        assert (await conn.execute(text("SELECT count(*) FROM case_record"))).scalar_one() == 0


async def test_validation_error_keeps_details(page: Page) -> None:
    await fill_form(page, type_="access", jurisdiction="DE", email="bad", name="Ada")
    await page.fill("#details", "Please include my chat history from 2025.")
    await submit(page)
    await page.locator("#error-summary").wait_for()
    assert await page.input_value("#details") == "Please include my chat history from 2025."


@pytest.mark.parametrize(
    ("type_", "jurisdiction", "extra"),
    [t for t in TYPES if t[2]],
    ids=[t[0] for t in TYPES if t[2]],
)
async def test_validation_error_keeps_every_field(
    page: Page, type_: str, jurisdiction: str, extra: dict[str, str]
) -> None:
    """One invalid field must not cost the person anything else they typed, the type's own
    fields included."""
    typed = {
        **extra,
        "account_id": "acct-12345",
        "details": "Line one\nLine two & <b>three</b>",
    }
    await fill_form(
        page, type_=type_, jurisdiction=jurisdiction, email="bad", name="Ada", extra=typed
    )
    await submit(page)
    await page.locator("#error-summary").wait_for()
    assert await page.is_checked(f"#type-{type_}")
    assert await page.locator("#jurisdiction").input_value() == jurisdiction
    assert await page.input_value("#email") == "bad"
    assert await page.input_value("#full_name") == "Ada"
    for field, value in typed.items():
        assert await page.input_value(f"#{field}") == value, field


async def test_type_specific_error_names_the_field(page: Page) -> None:
    await fill_form(
        page,
        type_="output_removal",
        jurisdiction="DE",
        email="ada@example.org",
        name="Ada Lovelace",
        extra={"personal_data": "", "models": ""},
    )
    await submit(page)
    summary = page.locator("#error-summary")
    await summary.wait_for()
    text = await summary.inner_text()
    assert "problem" in text
    assert await page.is_checked("#type-output_removal")
    assert await page.locator("#jurisdiction").input_value() == "DE"


async def test_markup_in_a_name_is_escaped_in_the_email(
    page: Page, app: FastAPI, mailbox: Mailbox, dialogs: list[str]
) -> None:
    await fill_form(page, type_="access", jurisdiction="DE", email="xss@example.org", name=XSS)
    await submit_and_send(page)
    await page.get_by_role("heading", name="Check your e-mail").wait_for()
    assert await deliver(app) == (1, 0)
    msg = mailbox.last_to("xss@example.org")
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None
    html = str(html_part.get_content())
    assert "<script>" not in html
    assert "the name “&lt;script&gt;alert(1)&lt;/script&gt;” from" in html
    # Open the HTML e-mail in the browser, as a webmail would show it: no script runs.
    await page.set_content(html)
    assert dialogs == []
