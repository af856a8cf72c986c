"""The requester's pages after the request is in, in Chromium at a desktop width and at 375px:
the status page after a refusal, after an appeal decision and while we wait for information, its
history, withdrawing, and a confirmation link pressed twice; axe-core on each, nothing wider
than the screen."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import httpx
import pytest
from fastapi import FastAPI

from tests.e2e.test_public_journeys import WIDTHS, OpenPage, check_page, go_on, open_page
from tests.helpers import (
    REQUESTER,
    Mailbox,
    act,
    auth,
    deliver,
    events,
    file_appeal,
    link_in,
    make_staff,
    open_case,
    refused_case,
    token_of,
)

pytestmark = pytest.mark.browser
__all__ = ["open_page"]  # the fixture, shared with the form's journeys

DATE = r"\d{1,2} [A-Z][a-z]+ \d{4}"


@pytest.fixture
async def staff(app: FastAPI) -> dict[str, str]:
    return {
        "decider": await make_staff(app, "decider@example.com", "admin"),
        "handler": await make_staff(app, "handler@example.com", "handler"),
        "rev1": await make_staff(app, "rev1@example.com", "reviewer"),
    }


def path_of(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.path}?{parsed.query}"


@pytest.mark.parametrize("width", WIDTHS)
async def test_after_a_refusal_and_after_the_appeal_decision(
    open_page: OpenPage,
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    staff: dict[str, str],
    axe_source: str,
    width: int,
) -> None:
    page = await open_page(width)
    case_id, token = await refused_case(client, app, mailbox, staff)
    await page.goto(f"/requests/{case_id}?token={token}")
    main = await page.inner_text("main")
    assert "We must answer by" not in main
    assert re.search(f"On {DATE} we decided that we cannot do what you asked", main)
    assert "The data is under a legal hold." in main
    assert "the Virginia Office of the Attorney General" in main
    await check_page(page, axe_source)
    await page.get_by_role("link", name="Appeal this decision").click()
    await page.get_by_role("button", name="Send my appeal").wait_for()

    appeal_id = (await file_appeal(client, case_id, token)).json()["id"]
    for action in (
        {"action": "assign", "assignee": "rev1@example.com"},
        {"action": "uphold", "explanation": "A court ordered the hold."},
    ):
        r = await client.post(
            f"/api/v1/appeals/{appeal_id}/actions", json=action, headers=auth(staff["rev1"])
        )
        assert r.status_code == 200, r.text
    await page.goto(f"/requests/{case_id}?token={token}")
    main = await page.inner_text("main")
    assert "We must decide by" not in main
    assert "We must answer by" not in main
    assert re.search(f"Decided on\\s+{DATE}", main)
    assert "our original decision stands" in main
    assert "A court ordered the hold." in main
    assert await page.get_by_role("link", name="Appeal this decision").count() == 0
    history = await page.locator("ol.history li").all_inner_texts()
    assert [re.sub(f"^{DATE} ", "", step) for step in history] == [
        "We received your request.",
        "You confirmed your request; we opened it.",
        "We decided that we cannot do what you asked.",
        "We received your appeal.",
        "We decided your appeal: our original decision stands.",
    ]
    assert all(re.match(DATE, step) for step in history)
    assert "rev1@example.com" not in await page.content()
    await check_page(page, axe_source)


@pytest.mark.parametrize("width", WIDTHS)
async def test_awaiting_information_then_withdrawn(
    open_page: OpenPage,
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    staff: dict[str, str],
    axe_source: str,
    width: int,
) -> None:
    page = await open_page(width)
    case_id = await open_case(client, app, mailbox, jurisdiction="FR")
    status_link = path_of(link_in(mailbox.last_to(REQUESTER), f"/requests/{case_id}?token="))
    await act(client, staff["handler"], case_id, "assign", assignee="handler@example.com")
    r = await act(
        client, staff["handler"], case_id, "request_info", reason="Which account did you use?"
    )
    assert r.status_code == 200, r.text
    await page.goto(status_link)
    notice = page.locator("section.notice")
    await notice.get_by_role("heading", name="We need more information from you").wait_for()
    text = await notice.inner_text()
    assert re.search(f"On {DATE} we asked you:", text)
    assert "Which account did you use?" in text
    assert "answer the e-mail in which we asked for it" in text
    assert "handler@example.com" not in await page.content()
    await check_page(page, axe_source)

    # Withdraw: a confirmation page first, which changes nothing.
    await page.get_by_role("link", name="Withdraw this request").click()
    await page.get_by_role("button", name="Yes, withdraw my request").wait_for()
    await check_page(page, axe_source)
    assert (await events(app, case_id))[-1] == "request_info"
    await page.get_by_role("link", name="No, keep my request").click()
    await page.get_by_role("link", name="Withdraw this request").click()
    await go_on(page, "Yes, withdraw my request")
    assert await page.inner_text("#status") == "Withdrawn"
    assert "You withdrew this request" in await page.inner_text("main")
    assert await page.get_by_role("link", name="Withdraw this request").count() == 0
    assert (await events(app, case_id))[-1] == "withdraw"
    await check_page(page, axe_source)


async def test_a_confirmation_link_pressed_twice(
    open_page: OpenPage, app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, axe_source: str
) -> None:
    page = await open_page(375)
    body = {"type": "access", "jurisdiction": "DE", "email": REQUESTER, "full_name": "Rosa"}
    case_id = (await client.post("/api/v1/requests", json=body)).json()["id"]
    await deliver(app)
    link = path_of(link_in(mailbox.last_to(REQUESTER), f"/requests/{case_id}/verify"))
    await page.goto(link)
    await go_on(page, "Confirm my request")
    await page.get_by_role("heading", name=re.compile("your request is confirmed")).wait_for()
    await page.goto(link)
    await go_on(page, "Confirm my request")
    await page.get_by_role("heading", name="Your request is already confirmed").wait_for()
    main = await page.inner_text("main")
    assert "submit it again" not in main
    assert "follow your request" in main
    await check_page(page, axe_source)
    # Someone with a wrong token learns nothing of the request.
    wrong = link.replace(token_of(link), "x" * 40)
    await page.goto(wrong)
    await go_on(page, "Confirm my request")
    assert "already confirmed" not in await page.inner_text("main")
