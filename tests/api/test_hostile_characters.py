"""Issue 12, defects 4 and 7: single-line fields (names, account ids, data-system names,
categories, token names) refuse line breaks, so nobody can make dsr mail a paragraph of their
choosing; and every stored text field refuses C1 controls and the bidirectional override and
isolate characters, which repaint terminals or reorder what a reader sees. One rule
(dsr/domain/text_rules.py) behind the JSON API, the HTML form and the services."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from dsr.auth import service as auth_service
from dsr.errors import InvalidInput
from tests.helpers import Mailbox, auth, body_text, count, deliver, make_staff

BASE = {
    "type": "access",
    "jurisdiction": "DE",
    "email": "hostile.tester@example.org",
    "full_name": "Hana Hostile",
}
LINE_BREAKS = ["Ada\nLovelace", "Ada\r\nClick https://evil.example/", "Ada\rX", "Ada\u2028X"]
# C1 controls (NEL, CSI: an escape sequence in one byte) and the bidi overrides and isolates
# (Trojan Source, CVE-2021-42574). The marks U+200E, U+200F and U+061C stay allowed: they
# reorder nothing on their own and right-to-left names are typed with them.
HOSTILE = ["Ada\x85Eve", "Ada\x9b31m", "Ada\x80", "Ada\x9f", "gpj.\u202eexe", "Ada\u202a"]
HOSTILE += ["Ada\u202d", "Ada\u2066", "Ada\u2067", "Ada\u2068", "Ada\u2069"]


@pytest.mark.parametrize("value", LINE_BREAKS)
@pytest.mark.parametrize("field", ["full_name", "account_id"])
async def test_single_line_fields_refuse_line_breaks(
    app: FastAPI, client: httpx.AsyncClient, field: str, value: str
) -> None:
    r = await client.post("/api/v1/requests", json={**BASE, field: value})
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [{"field": field, "message": "must be a single line"}]
    assert await count(app, "case_record") == 0


async def test_free_text_keeps_its_line_breaks(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/requests", json={**BASE, "details": "First\r\nSecond\tthird"})
    assert r.status_code == 201, r.text


async def test_the_form_refuses_a_name_with_a_line_break(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    r = await client.post("/requests", data={**BASE, "full_name": "Ada\nClick here"})
    assert r.status_code == 422, r.text
    assert '<a href="#full_name">Must be a single line</a>' in r.text
    assert await count(app, "case_record") == 0


async def test_verification_email_quotes_only_a_short_name(
    client: httpx.AsyncClient, app: FastAPI, mailbox: Mailbox
) -> None:
    """The one e-mail sent before the address is confirmed carries no requester text but the
    name's first 40 characters, in quotes: not a message of someone's choosing."""
    pitch = "Your refund of 500 EUR is waiting: log in at https://evil.example/refund today"
    name = "Ada Lovelace " + pitch
    r = await client.post("/api/v1/requests", json={**BASE, "full_name": name})
    assert r.status_code == 201, r.text
    await deliver(app)
    msg = mailbox.last_to(BASE["email"])
    text = body_text(msg)
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None
    html = str(html_part.get_content())
    quoted = "“Ada Lovelace Your refund of 500 EUR is…”"
    assert text.count(quoted) == 1, text
    assert html.count(quoted) == 1, html
    assert "evil.example" not in text + html
    assert "Hello," in text


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("field", ["full_name", "details"])
async def test_c1_and_bidi_controls_are_refused(
    app: FastAPI, client: httpx.AsyncClient, field: str, value: str
) -> None:
    r = await client.post("/api/v1/requests", json={**BASE, field: value})
    assert r.status_code == 422, r.text
    assert r.json()["errors"] == [
        {"field": field, "message": "must not contain control characters"}
    ]
    assert value not in r.text
    assert await count(app, "case_record") == 0


@pytest.mark.parametrize("value", ["\u05e9\u05e8\u05d4\u200f", "\u0633\u0627\u0631\u0629\u061c"])
async def test_bidi_marks_are_allowed_in_names(client: httpx.AsyncClient, value: str) -> None:
    r = await client.post("/api/v1/requests", json={**BASE, "full_name": value})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("value", ["CRM\nBilling", "CRM\u202e", "CRM\x85X"])
@pytest.mark.parametrize("field", ["name", "categories"])
async def test_data_system_names_and_categories_are_single_clean_lines(
    app: FastAPI, client: httpx.AsyncClient, field: str, value: str
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    body = {
        "name": "CRM",
        "owner_email": "owner@example.com",
        "request_types": ["access"],
        field: [value] if field == "categories" else value,
    }
    r = await client.post("/api/v1/data-systems", json=body, headers=auth(admin))
    assert r.status_code == 422, r.text
    assert await count(app, "data_system") == 0


@pytest.mark.parametrize("name", ["pipeline\nsecond line", "pipeline\u202e", "pipeline\x9b"])
async def test_token_names_are_single_clean_lines(app: FastAPI, name: str) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        with pytest.raises(InvalidInput) as refused:
            await auth_service.create_service_token(session, name, ["consent:write"])
    assert str(refused.value) == (
        "name: 1 to 200 characters on a single line, no control characters"
    )
