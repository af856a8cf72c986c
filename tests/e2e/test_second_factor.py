"""A new handler, in a console that requires a second factor, sets it up in a real Chromium:
the password, then the QR code page (an inline SVG; the key to type as an alternative), the
first code from the app (computed here with pyotp, as the phone would), the recovery codes
shown once, the queue; then logs out and back in with the password and a code."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pyotp
import pytest
from fastapi import FastAPI

from tests.helpers import PASSWORD, serious_violations

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = pytest.mark.browser


@pytest.fixture
def settings_overrides(live_port: int) -> dict[str, Any]:
    return {"base_url": f"http://127.0.0.1:{live_port}", "require_mfa": True}


async def password_step(page: Page) -> None:
    await page.goto("/console")
    assert page.url.endswith("/console/login")
    await page.get_by_label("E-mail address").fill("handler@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    async with page.expect_navigation():
        await page.get_by_role("button", name="Log in").click()


async def test_enrolment_by_qr_code_then_login_with_a_code(
    app: FastAPI, page: Page, axe_source: str, dialogs: list[str]
) -> None:
    from dsr.auth import service

    async with app.state.sessionmaker() as session, session.begin():
        await service.create_user(session, "handler@example.com", "handler", PASSWORD)

    await password_step(page)
    assert page.url.endswith("/console/account/mfa")
    await page.get_by_text("This console requires a second factor").wait_for()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Set up a second factor").click()
    qr = page.locator("figure.qr svg")
    await qr.wait_for()
    box = await qr.bounding_box()
    assert box is not None
    assert box["width"] >= 100  # big enough for a phone's camera
    assert await serious_violations(page, axe_source) == []
    secret = (await page.locator("#totp-secret").inner_text()).strip()
    totp = pyotp.TOTP(secret)

    await page.get_by_label("Code from the app").fill("000000")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Turn on the second factor").click()
    await page.get_by_text("The code is not right").wait_for()
    await page.get_by_label("Code from the app").fill(totp.now())
    async with page.expect_navigation():
        await page.get_by_role("button", name="Turn on the second factor").click()
    assert await page.locator("#recovery-codes li").count() == 10
    async with page.expect_navigation():
        await page.get_by_role("link", name="I have kept them: continue").click()
    assert page.url.endswith("/console")

    async with page.expect_navigation():
        await page.get_by_role("button", name="Log out").click()
    assert page.url.endswith("/console/login")
    await password_step(page)
    assert page.url.endswith("/console/login/code")
    # The next time step's code: the one used to enrol is not accepted twice.
    await page.get_by_label("Code").fill(totp.at(time.time() + 30))
    async with page.expect_navigation():
        await page.get_by_role("button", name="Log in").click()
    assert page.url.endswith("/console")
    await page.get_by_role("button", name="Log out").wait_for()
    assert dialogs == []
