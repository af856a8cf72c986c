"""The public form's journey over HTTP: the form, the check page, change, confirm (nothing stored
before), the GOV.UK error summary as served, and a verification link used twice."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from tests.helpers import Mailbox, count, csrf_in, deliver, hidden_fields, link_in, token_of

FORM = {
    "type": "correction",
    "jurisdiction": "GB",
    "email": "ada@example.org",
    "full_name": "Ada Lovelace",
    "inaccurate_data": "Born 1816",
    "corrected_data": "Born 1815",
}
ACCESS = {"type": "access", "jurisdiction": "DE", "email": "ada@example.org", "full_name": "Ada"}


async def test_the_check_page_stores_nothing_and_carries_the_answers(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    # Text under another type's questions (all shown without JavaScript) is not carried on.
    r = await client.post("/requests", data={**FORM, "personal_data": "typed, then type changed"})
    assert r.status_code == 200, r.text
    assert "Check your answers before sending your request" in r.text
    assert "typed, then type changed" not in r.text
    assert r.headers["cache-control"] == "no-store"
    assert await count(app, "case_record") == 0
    carried = hidden_fields(r.text)
    assert {k: carried[k] for k in FORM} == FORM
    assert carried["csrf_token"] == csrf_in(r.text)
    # One "Change" button per answer, each naming the field it goes back to.
    changes = set(re.findall(r'name="change" value="([a-z_]+)"', r.text))
    assert {"type", "email", "full_name", "inaccurate_data", "corrected_data"} <= changes
    assert "personal_data" not in changes  # not a question of this type


async def test_change_goes_back_to_the_form_as_typed_with_focus_on_that_answer(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    r = await client.post("/requests/change", data={**FORM, "change": "email"})
    assert r.status_code == 200
    assert re.search(r'id="email"[^>]*value="ada@example.org"[^>]*autofocus>', r.text)
    assert r.text.count("autofocus") == 1
    assert 'id="type-correction" value="correction" checked' in r.text
    assert ">Born 1816</textarea>" in r.text
    assert await count(app, "case_record") == 0
    # The language of the e-mails is an answer on the check page too, and can be changed.
    r = await client.post("/requests/change", data={**FORM, "language": "de", "change": "language"})
    assert re.search(r'<select class="input" name="language" id="language"[^>]*autofocus>', r.text)
    assert '<option value="de" lang="de" selected>' in r.text


async def test_confirm_needs_the_check_pages_token(app: FastAPI, client: httpx.AsyncClient) -> None:
    # Forged or stale: the answers come back to be checked, nothing is stored.
    r = await client.post("/requests/confirm", data={**FORM, "csrf_token": "forged"})
    assert r.status_code == 200
    assert "nothing was sent" in r.text
    assert await count(app, "case_record") == 0

    check = await client.post("/requests", data=FORM)
    r = await client.post("/requests/confirm", data=hidden_fields(check.text))
    assert r.status_code == 303, r.text
    assert await count(app, "case_record") == 1


async def test_confirm_judges_the_answers_again(app: FastAPI, client: httpx.AsyncClient) -> None:
    check = await client.post("/requests", data=FORM)
    tampered = {**hidden_fields(check.text), "email": "not-an-address"}
    r = await client.post("/requests/confirm", data=tampered)
    assert r.status_code == 422
    assert '<a href="#email">' in r.text
    assert await count(app, "case_record") == 0


async def test_the_confirmation_shows_the_reference_and_address_once(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    check = await client.post("/requests", data=FORM)
    r = await client.post("/requests/confirm", data=hidden_fields(check.text))
    done = r.headers["location"]
    page = await client.get(done)
    reference = re.search(r"<strong>(DSR-[A-Z0-9-]+)</strong>", page.text)
    assert reference, page.text
    assert "<strong>ada@example.org</strong>" in page.text
    await deliver(app)
    assert reference.group(1) in mailbox.last_to("ada@example.org")["Subject"]
    # Shown once: the address does not stay in the browser's session for the next visitor.
    again = await client.get(done)
    assert "ada@example.org" not in again.text
    assert "Check your e-mail" in again.text
    # Another browser, with the same URL, learns nothing.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as other:
        assert "ada@example.org" not in (await other.get(done)).text


async def test_error_summary_follows_the_gov_uk_pattern(client: httpx.AsyncClient) -> None:
    r = await client.post("/requests", data={**FORM, "type": "", "email": "bad"})
    assert r.status_code == 422
    html = r.text
    assert re.search(r"<title>Error: Make a privacy request", html)
    start = html.index('id="error-summary"')
    summary = html[start : html.index("</ul>", start)]
    assert 'tabindex="-1" autofocus' in summary
    assert '<div role="alert">' in summary
    assert "There is a problem" in summary
    targets = re.findall(r'href="#([a-z_-]+)"', summary)
    assert targets == ["type-access", "email"]
    for target in targets:
        assert f'id="{target}"' in html  # every link leads to an element of the page
    assert 'aria-describedby="email-hint email-error" aria-invalid="true"' in html
    assert '<p class="error-message" id="email-error">' in html
    assert 'class="input input--error" type="email"' in html
    assert 'aria-describedby="type-error"' in html  # the radios' fieldset


async def test_a_verification_link_used_twice_says_it_is_confirmed(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    r = await client.post("/api/v1/requests", json=ACCESS)
    case_id = r.json()["id"]
    await deliver(app)
    token = token_of(link_in(mailbox.last_to("ada@example.org"), f"/requests/{case_id}/verify"))
    first = await client.post(f"/requests/{case_id}/verify", data={"token": token})
    assert "your request is confirmed" in first.text
    again = await client.post(f"/requests/{case_id}/verify", data={"token": token})
    assert again.status_code == 200
    assert "already confirmed" in again.text
    assert "submit it again" not in again.text
    api = await client.post(f"/api/v1/requests/{case_id}/verify", json={"token": token})
    assert (api.status_code, api.json()["code"]) == (409, "already_confirmed")

    # A wrong token still reveals nothing: the same 404 as for a request that does not exist.
    wrong = await client.post(f"/requests/{case_id}/verify", data={"token": token[:-2] + "xx"})
    assert wrong.status_code == 404
    assert "already confirmed" not in wrong.text
    nowhere = await client.post(
        "/requests/00000000-0000-4000-8000-000000000000/verify", data={"token": token}
    )
    assert nowhere.status_code == 404
    # The same page, but for the address it is at (the language links name the page's path).
    assert nowhere.text.replace("00000000-0000-4000-8000-000000000000", case_id) == wrong.text
