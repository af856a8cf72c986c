"""The console's view of a subject's consent and exclusion history (/console/subjects) over
HTTP: looked up by key or e-mail address in a POST form, never through a URL."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from dsr.cases.models import Case
from tests.helpers import Mailbox, act, csrf_in, make_service_token, make_staff, open_case
from tests.training import consent, email_key, post_consents

URLS = re.compile(r'(?:href|action|src)="([^"]*)"')
ADA = "ada@example.org"


async def look_up(c: httpx.AsyncClient, typed: str) -> httpx.Response:
    form = await c.get("/console/subjects")
    assert form.status_code == 200, form.text
    return await c.post(
        "/console/subjects", data={"subject": typed, "csrf_token": csrf_in(form.text)}
    )


def exclusion_rows(html: str) -> list[tuple[str, str, str]]:
    """(what, why lifted, linked case id) of each row of the exclusions table."""
    table = html.split('aria-labelledby="h-exclusions"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*"
        r'<td><a href="/console/cases/([0-9a-f-]+)">',
        table,
    )
    return [(what, why, case_id) for what, why, case_id in rows]


async def test_history_by_email_address_with_consents_and_the_causing_cases(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    console: Callable[[str], Awaitable[httpx.AsyncClient]],
) -> None:
    writer = await make_service_token(app, "sync", "consent:write")
    key = email_key(ADA)
    await post_consents(
        client,
        writer,
        consent(key, True, source="signup-form"),
        consent(key, False, category="outputs", source="settings-page"),
        consent("account:someone-else", True, source="other-source"),
    )
    handler = await make_staff(app, "boss@example.com", "handler")
    withdrawn = await open_case(client, app, mailbox, type="deletion", email=ADA)
    held = await open_case(client, app, mailbox, type="objection", email=ADA)
    assert (await act(client, handler, withdrawn, "withdraw")).status_code == 200

    c = await console("auditor")  # read-only staff may look too, as in the API
    r = await look_up(c, "  Ada@Example.ORG ")
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    html = r.text
    assert key in html
    assert "The key of the e-mail address you entered" in html
    assert "Excluded from training" in html
    assert exclusion_rows(html) == [
        ("Excluded (request verified)", "—", withdrawn),
        ("Excluded (request verified)", "—", held),
        ("Exclusion lifted", "request withdrawn", withdrawn),
    ]
    async with app.state.sessionmaker() as session:
        case: Case | None = await session.get(Case, uuid.UUID(held))
        assert case is not None
    assert f">{case.reference}</a>" in html
    assert "signup-form" in html
    assert "settings-page" in html
    assert "Granted" in html
    assert "Withdrawn" in html
    assert "other-source" not in html
    assert "account:someone-else" not in html


async def test_history_by_subject_key(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    console: Callable[[str], Awaitable[httpx.AsyncClient]],
) -> None:
    case_id = await open_case(client, app, mailbox, type="deletion", account_id="acct-7")
    c = await console("handler")
    r = await look_up(c, "account:acct-7")
    assert r.status_code == 200
    assert "The key of the e-mail address" not in r.text
    assert exclusion_rows(r.text) == [("Excluded (request verified)", "—", case_id)]
    assert "No consent records" in r.text

    r = await look_up(c, "account:nobody")
    assert r.status_code == 200
    assert "No request has excluded this subject" in r.text
    assert "Not excluded" in r.text


@pytest.mark.parametrize(
    "typed",
    ["", "nobody", "Account:1", "account:has space", "email_sha256:abc", "a@b", "x@y.org\x00"],
)
async def test_what_is_neither_a_key_nor_an_address_is_422(
    console: Callable[[str], Awaitable[httpx.AsyncClient]], typed: str
) -> None:
    c = await console("handler")
    r = await look_up(c, typed)
    assert r.status_code == 422
    assert 'role="alert"' in r.text
    assert 'id="h-subject"' not in r.text


async def test_keys_and_addresses_never_reach_a_url(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    console: Callable[[str], Awaitable[httpx.AsyncClient]],
) -> None:
    case_id = await open_case(
        client, app, mailbox, type="objection", email=ADA, account_id="acct-Q9z"
    )
    c = await console("handler")
    r = await look_up(c, ADA)
    assert r.status_code == 200
    assert case_id in r.text
    urls = URLS.findall(r.text)
    assert f"/console/cases/{case_id}" in urls
    # The account id is chosen so no UUID or hex digest can contain it (uppercase, "z").
    for secret in (ADA, email_key(ADA), email_key(ADA).split(":")[1], "acct-Q9z"):
        assert not [u for u in urls if secret in u], secret
    # The form posts; a key in the query string is not looked up.
    assert 'method="post" action="/console/subjects"' in r.text
    r = await c.get("/console/subjects", params={"subject": "account:acct-Q9z"})
    assert r.status_code == 200
    assert 'id="h-subject"' not in r.text
    assert 'href="/console/subjects" aria-current="page"' in (await c.get("/console/subjects")).text


async def test_logged_out_and_forged_requests(
    client: httpx.AsyncClient, console: Callable[[str], Awaitable[httpx.AsyncClient]]
) -> None:
    r = await client.get("/console/subjects")
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login"
    r = await client.post("/console/subjects", data={"subject": "account:1"})
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login"
    c = await console("reviewer")
    r = await c.post("/console/subjects", data={"subject": "account:1"})
    assert r.status_code == 403
    r = await c.post("/console/subjects", data={"subject": "account:1", "csrf_token": "forged"})
    assert r.status_code == 403
    queue = await c.get("/console")
    assert 'href="/console/subjects"' in queue.text  # in the navigation for every role
