"""The requester's download page in Chromium: it says what the copy holds, its size, until when
and how many downloads are left; its button downloads the ZIP; axe finds nothing serious."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from fastapi import FastAPI

from tests.helpers import Mailbox, auth, make_staff, serious_violations
from tests.packages import CRM, PHOTO, fulfilled_case

if TYPE_CHECKING:
    from playwright.async_api import Page  # the browser tests skip without it


async def test_the_page_lists_the_contents_and_downloads_the_zip(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    page: Page,
    axe_source: str,
    tmp_path: Path,
) -> None:
    staff = {
        "admin": await make_staff(app, "admin@example.com", "admin"),
        "handler": await make_staff(app, "handler@example.com", "handler"),
    }
    case_id, link = await fulfilled_case(app, client, mailbox, staff)
    r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(staff["handler"]))
    ref = r.json()["reference"]

    await page.goto(link)
    assert await page.title() == f"Your data: request {ref} · dsr"
    main = page.locator("main")
    for text in [
        CRM,
        "warehouse",
        "files/CRM _ Sales_EU/photo.png (2.4 MB)",
        "files/CRM _ Sales_EU/orders.csv (22 bytes)",
        "files/CRM _ Sales_EU/orders (2).csv (21 bytes)",
        "Downloads left",
        "5 of 5",
    ]:
        assert await main.get_by_text(text, exact=False).count() >= 1, text
    assert await serious_violations(page, axe_source) == []

    button = page.get_by_role("link", name="Download your data")
    async with page.expect_download() as info:
        await button.click()
    download = await info.value
    assert download.suggested_filename == f"{ref}.zip"
    saved = tmp_path / "copy.zip"
    await download.save_as(saved)
    archive = zipfile.ZipFile(io.BytesIO(saved.read_bytes()))
    assert archive.testzip() is None
    assert archive.read("files/CRM _ Sales_EU/photo.png") == PHOTO

    await page.reload()
    assert await main.get_by_text("4 of 5").count() == 1
