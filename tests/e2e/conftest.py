"""Browser tests: the app served for real by uvicorn on a free port in this process, driven by
Debian's Chromium through Playwright (never a browser Playwright downloads), with axe-core
injected for accessibility checks.

Chromium and axe-core are skipped when missing, except in CI (CI=true), where a missing one
fails the run. `scripts/test` installs both."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import uvicorn
from fastapi import FastAPI

from tests.helpers import IN_CI, free_port

if TYPE_CHECKING:
    from playwright.async_api import Browser, Dialog, Page  # the browser tests skip without it

CHROMIUM = os.environ.get("DSR_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} not found (scripts/test installs it)")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One Chromium for the whole session; each test gets its own context (cookies, storage)."""
    if not os.access(CHROMIUM, os.X_OK):
        _missing(f"Chromium at {CHROMIUM}")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _missing("the playwright Python package")
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        await b.close()


@pytest.fixture
def live_port() -> int:
    return free_port()


@pytest.fixture
def settings_overrides(live_port: int) -> dict[str, Any]:
    # Links in e-mails point at the live server, as they would in production.
    return {"base_url": f"http://127.0.0.1:{live_port}"}


@pytest.fixture
async def live_server(app: FastAPI, live_port: int) -> AsyncIterator[str]:
    """uvicorn serving the test app in a task of the test loop: same database, same mailbox."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=live_port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if not server.started:
        server.should_exit = True
        with contextlib.suppress(BaseException):
            await task
        pytest.fail(f"uvicorn did not start on port {live_port}")
    yield f"http://127.0.0.1:{live_port}"
    server.should_exit = True
    await asyncio.wait_for(task, timeout=10)


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of every alert/confirm/prompt the page opened: injected script would show here."""
    return []


@pytest.fixture
async def page(browser: Browser, live_server: str, dialogs: list[str]) -> AsyncIterator[Page]:
    context = await browser.new_context(base_url=live_server)
    p = await context.new_page()
    p.set_default_timeout(10_000)

    async def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    p.on("dialog", on_dialog)
    yield p
    await context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.exists():
        _missing(f"axe-core ({AXE_JS}; run `npm ci --prefix tests/e2e`)")
    return AXE_JS.read_text(encoding="utf-8")
