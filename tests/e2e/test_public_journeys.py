"""The public form's journeys in Chromium, at a desktop width and at 375px (a small phone), with
JavaScript and without: the GOV.UK error summary, the conditional questions, check your answers
with a change, the confirmation page; axe-core on every page and nothing wider than the screen."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI

from dsr.cases.models import Case
from tests.helpers import serious_violations

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

pytestmark = pytest.mark.browser

WIDTHS = [1280, 375]
OpenPage = Callable[..., Awaitable["Page"]]


@pytest.fixture
async def open_page(browser: Browser, live_server: str) -> AsyncIterator[OpenPage]:
    """A page in its own context, `width` wide, with or without JavaScript."""
    contexts = []

    async def make(width: int, *, js: bool = True) -> Page:
        context = await browser.new_context(
            base_url=live_server,
            viewport={"width": width, "height": 900},
            java_script_enabled=js,
        )
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        await context.close()


async def fits(page: Page) -> bool:
    """Nothing on the page is wider than the window (no sideways scrolling)."""
    return bool(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


async def check_page(page: Page, axe_source: str, *, js: bool = True) -> None:
    """axe-core and the width check run scripts in the page: with JavaScript off (where the
    page cannot run them) the same markup was checked with it on."""
    if js:
        assert await serious_violations(page, axe_source) == []
        assert await fits(page), await page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => "
            "e.getBoundingClientRect().right > window.innerWidth).map(e => e.tagName + '#' + e.id"
            " + '.' + e.className).slice(0, 8)"
        )


async def focused_id(page: Page) -> str | None:
    """The id of the focused element, found by a selector (works with JavaScript off)."""
    focused = page.locator("*:focus")
    return await focused.get_attribute("id") if await focused.count() == 1 else None


async def go_on(page: Page, button: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=button, exact=True).click()


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
async def test_error_summary(open_page: OpenPage, axe_source: str, width: int, js: bool) -> None:
    page = await open_page(width, js=js)
    await page.goto("/")
    await page.fill("#email", "not-an-address")
    await go_on(page, "Continue")

    assert (await page.title()).startswith("Error: Make a privacy request")
    # The focus is on the summary, so it is read out first: by dsr.js, or by autofocus.
    assert await focused_id(page) == "error-summary"
    summary = page.locator("#error-summary")
    assert await summary.locator("[role=alert] h2").inner_text() == "There is a problem"
    links = summary.locator("a")
    hrefs = [await links.nth(i).get_attribute("href") for i in range(await links.count())]
    assert hrefs[:4] == ["#type-access", "#jurisdiction", "#email", "#full_name"], hrefs
    for href in hrefs:
        assert href is not None
        assert await page.locator(href).count() == 1, href
    # Each field in error: the message above it, named by aria-describedby, the error classes.
    for name in ("email", "full_name", "jurisdiction"):
        described = (await page.get_attribute(f"#{name}", "aria-describedby") or "").split()
        assert f"{name}-error" in described
        assert "input--error" in (await page.get_attribute(f"#{name}", "class") or "")
        assert await page.locator(f".form-group--error #{name}").count() == 1
        message = await page.locator(f"#{name}-error").bounding_box()
        field = await page.locator(f"#{name}").bounding_box()
        assert message is not None
        assert field is not None
        assert message["y"] + message["height"] <= field["y"], name  # the message is above
    assert await page.get_attribute("fieldset.radios-fieldset", "aria-describedby") == (
        "type-error"
    )
    assert await page.input_value("#email") == "not-an-address"
    await check_page(page, axe_source, js=js)

    await summary.locator('a[href="#type-access"]').click()
    assert await focused_id(page) == "type-access"
    await summary.locator('a[href="#email"]').click()
    assert await focused_id(page) == "email"


@pytest.mark.parametrize("width", WIDTHS)
async def test_type_questions_revealed_with_javascript(
    open_page: OpenPage, axe_source: str, width: int
) -> None:
    page = await open_page(width)
    await page.goto("/")
    correction = page.locator("#conditional-correction")
    removal = page.locator("#conditional-output_removal")
    assert await correction.is_hidden()
    assert await removal.is_hidden()
    assert await page.get_attribute("#type-correction", "aria-controls") == (
        "conditional-correction"
    )
    await page.check("#type-correction")
    assert await correction.is_visible()
    assert await removal.is_hidden()
    await page.check("#type-output_removal")
    assert await correction.is_hidden()
    assert await removal.is_visible()
    # GOV.UK-sized radios: 40px, wherever the page is read.
    box = await page.locator("#type-access").bounding_box()
    assert box is not None
    assert (round(box["width"]), round(box["height"])) == (40, 40)
    await check_page(page, axe_source)
    await page.check("#type-access")
    assert await removal.is_hidden()


async def test_type_questions_all_shown_without_javascript(
    open_page: OpenPage, app: FastAPI
) -> None:
    page = await open_page(375, js=False)
    await page.goto("/")
    for heading in ("For a correction request", "For removal from model outputs"):
        await page.get_by_role("heading", name=heading).wait_for()
    assert await page.locator("#inaccurate_data").is_visible()
    assert await page.locator("#personal_data").is_visible()

    await page.check("#type-correction")
    await page.select_option("#jurisdiction", "GB")
    await page.fill("#email", "nojs@example.org")
    await page.fill("#full_name", "Ada Lovelace")
    await page.fill("#inaccurate_data", "Born 1816")
    await page.fill("#corrected_data", "Born 1815")
    await page.fill("#personal_data", "typed under another type: not sent")
    await go_on(page, "Continue")
    main = await page.inner_text("main")
    assert "Born 1816" in main
    assert "typed under another type" not in main
    await go_on(page, "Send request")
    await page.get_by_role("heading", name="Check your e-mail").wait_for()
    case_id = re.search(r"/requests/([0-9a-f-]{36})/submitted", page.url)
    assert case_id
    async with app.state.sessionmaker() as session:
        case = await session.get(Case, uuid.UUID(case_id.group(1)))
        assert case is not None
        assert case.type_data == {"inaccurate_data": "Born 1816", "corrected_data": "Born 1815"}


@pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("width", WIDTHS)
async def test_check_change_and_send(
    open_page: OpenPage, app: FastAPI, axe_source: str, width: int, js: bool
) -> None:
    page = await open_page(width, js=js)
    await page.goto("/")
    await page.check("#type-deletion")
    await page.select_option("#jurisdiction", "US-CA")
    await page.fill("#email", "ada@exmaple.org")  # the typo the check page is there to catch
    await page.fill("#full_name", "Ada Lovelace")
    await go_on(page, "Continue")
    await page.get_by_role("heading", name="Check your answers before sending").wait_for()
    main = await page.inner_text("main")
    for shown in ("Delete my data", "California", "ada@exmaple.org", "Ada Lovelace"):
        assert shown in main
    await check_page(page, axe_source, js=js)
    async with app.state.engine.connect() as conn:
        from sqlalchemy import text

        assert (await conn.execute(text("SELECT count(*) FROM case_record"))).scalar_one() == 0

    await go_on(page, "Change e-mail address")
    assert await focused_id(page) == "email"
    assert await page.is_checked("#type-deletion")
    assert await page.input_value("#full_name") == "Ada Lovelace"
    await page.fill("#email", "ada@example.org")
    await go_on(page, "Continue")
    assert "ada@example.org" in await page.inner_text("main")
    await go_on(page, "Send request")

    await page.get_by_role("heading", name="Check your e-mail").wait_for()
    main = await page.inner_text("main")
    assert "ada@example.org" in main
    reference = re.search(r"DSR-[A-Z0-9-]+", main)
    assert reference, main
    await check_page(page, axe_source, js=js)
    async with app.state.sessionmaker() as session:
        from sqlmodel import select

        stored = (await session.exec(select(Case))).one()
        assert (stored.reference, stored.email) == (reference.group(0), "ada@example.org")
