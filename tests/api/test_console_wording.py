"""The console's words (issue 14): an e-mail address confirmed is never shown as an identity
verified, staff record an identity check with how they did it, the rules and the clock are said
concretely, refusals are plain English, and the data-system form lists its problems in a summary
that leads to each field."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import (
    PASSWORD,
    Mailbox,
    NewBrowser,
    act,
    auth,
    csrf_in,
    events,
    found,
    make_staff,
    open_case,
)


@pytest.fixture
async def handler(app: FastAPI) -> str:
    return await make_staff(app, "handler@example.com", "handler", PASSWORD)


def text_of(html: str, element_id: str) -> str:
    """The text of the element with this id (tags dropped, spaces joined)."""
    inner = found(rf'(?s)id="{element_id}"[^>]*>(.*?)</(?:dd|td|p|div)>', html)
    return " ".join(re.sub(r"<[^>]+>", " ", inner).split())


async def post_action(c: httpx.AsyncClient, case_id: str, action: str, **fields: str) -> str:
    page = await c.get(f"/console/cases/{case_id}")
    version = found(r'name="expected_version" value="(\d+)"', page.text)
    data = {"action": action, "expected_version": version, "csrf_token": csrf_in(page.text)}
    r = await c.post(f"/console/cases/{case_id}/actions", data={**data, **fields})
    return f"{r.status_code} {r.text}"


async def test_a_confirmed_address_is_not_an_identity_check_until_staff_record_one(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
    handler: str,
) -> None:
    case_id = await open_case(client, app, mailbox, type="deletion", jurisdiction="US-CA")
    c = await browser_for("handler@example.com")
    html = (await c.get(f"/console/cases/{case_id}")).text
    assert text_of(html, "email-confirmation").startswith("Confirmed ")
    assert text_of(html, "identity-check") == (
        "Not verified : only the e-mail address was confirmed, which does not show who the "
        "requester is"
    )
    assert "E-mail address confirmed" in html  # the timeline's verify event
    assert "Identity verified" not in html

    before = await events(app, case_id)
    r = await post_action(c, case_id, "confirm_identity", reason="  ")
    assert r.startswith("422 ")
    assert await events(app, case_id) == before
    r = await post_action(
        c, case_id, "confirm_identity", reason="Passport checked on a video call."
    )
    assert r.startswith("303 ")
    assert await events(app, case_id) == [*before, "confirm_identity"]
    html = (await c.get(f"/console/cases/{case_id}")).text
    assert "Your check of the requester&#39;s identity was recorded." in html
    check = text_of(html, "identity-check")
    assert check.startswith("Verified by handler@example.com, ")
    assert check.endswith(": Passport checked on a video call.")
    assert text_of(html, "email-confirmation").startswith("Confirmed ")  # still, apart
    assert "Identity verified by staff" in html
    case = (await client.get(f"/api/v1/cases/{case_id}", headers=auth(handler))).json()
    assert case["status"] == "open"  # recording a check changes no status


async def test_staff_who_verified_identity_on_entry_are_named_and_no_address_was_confirmed(
    client: httpx.AsyncClient, browser_for: NewBrowser, handler: str
) -> None:
    body = {
        "type": "access",
        "jurisdiction": "DE",
        "email": "post@example.org",
        "full_name": "Paula Post",
        "received_at": "2026-11-30",
        "channel": "post",
        "identity_verified": True,
    }
    r = await client.post("/api/v1/cases", json=body, headers=auth(handler))
    assert r.status_code == 201, r.text
    c = await browser_for("handler@example.com")
    html = (await c.get(f"/console/cases/{r.json()['id']}")).text
    assert text_of(html, "email-confirmation") == "Not confirmed by the requester"
    assert text_of(html, "identity-check").startswith("Verified by handler@example.com, ")
    assert "recorded as verified when the request was entered" in html
    assert "Identity verified by staff (request entered)" in html
    assert "E-mail address confirmed" not in html


async def test_rules_clock_and_refusals_in_plain_words(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
    handler: str,
) -> None:
    ca = await open_case(client, app, mailbox, jurisdiction="US-CA")
    eu = await open_case(client, app, mailbox, jurisdiction="DE", email="eu@example.org")
    c = await browser_for("handler@example.com")
    html = (await c.get(f"/console/cases/{ca}")).text
    assert text_of(html, "rules") == "California rules"
    respond_by = (await client.get(f"/api/v1/cases/{ca}", headers=auth(handler))).json()[
        "deadlines"
    ]["respond_by"]
    clock = text_of(html, "clock")
    assert clock.startswith("Running. California: the clock keeps running while you wait")
    assert clock.endswith("answer by " + _long_date(respond_by) + ".")
    for engineering in ("Policy family", "us_ca", "Version "):
        assert engineering not in html

    html = (await c.get(f"/console/cases/{eu}")).text
    assert text_of(html, "rules") == "EU (GDPR) rules"
    assert "EU (GDPR): the clock stops while you wait for the requester" in text_of(html, "clock")
    assert "this rule is not confirmed" in text_of(html, "clock")  # marked [U] in the policy

    assert (await act(client, handler, ca, "extend", reason="Many systems.")).status_code == 200
    html = (await c.get(f"/console/cases/{ca}")).text
    assert "This case was already extended once; the law allows one extension." in html
    assert "extend is not allowed" not in html


def _long_date(iso: str) -> str:
    from datetime import date

    return date.fromisoformat(iso).strftime("%-d %B %Y")


async def test_the_api_describes_verified_at_as_an_address_confirmation(
    client: httpx.AsyncClient,
) -> None:
    schema = (await client.get("/openapi.json")).json()["components"]["schemas"]
    described = schema["CaseOut"]["properties"]["verified_at"]["description"]
    assert "confirmed their e-mail address" in described
    assert "not who they are" in described
    assert "confirm_identity" in described


async def test_the_data_system_form_sums_up_its_problems_and_marks_each_field(
    app: FastAPI, browser_for: NewBrowser
) -> None:
    await make_staff(app, "admin@example.com", "admin", PASSWORD)
    c = await browser_for("admin@example.com")
    token = csrf_in((await c.get("/console/data-systems")).text)
    r = await c.post(
        "/console/data-systems",
        data={"csrf_token": token, "name": "", "owner_email": "nope", "integration": "manual"},
    )
    assert r.status_code == 422
    summary = found(r'(?s)<div class="errors" id="error-summary"[^>]*>(.*?)</div>', r.text)
    for field in ("name", "owner_email", "request_types"):
        assert f'href="#ds-{field}"' in summary
        assert f'id="ds-{field}-error"' in r.text
        assert re.search(rf'id="ds-{field}"[^>]*aria-describedby="[^"]*ds-{field}-error', r.text)
    assert 'id="ds-name" name="name" required maxlength="100" value="" aria-describedby' in r.text
    assert 'aria-invalid="true"' in r.text
