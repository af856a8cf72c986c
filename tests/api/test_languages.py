"""Requester languages end to end (README, "Languages"): the language asked for, by the API, the
form, `?lang=`, Accept-Language or Quebec's default, is stored on the case and every e-mail to
the requester is written in it, dates included; staff pages and e-mails stay English."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

import httpx
import pytest
from babel import Locale
from fastapi import FastAPI

from dsr.i18n.catalogues import format_date
from tests.helpers import (
    Mailbox,
    act,
    auth,
    body_text,
    count,
    csrf_in,
    deliver,
    link_in,
    login,
    make_staff,
    open_case,
    send_public_form,
)

BASE = {"type": "deletion", "jurisdiction": "DE", "full_name": "Rosa Requester"}
# Words only that language's verification e-mail has, in its subject and its body.
VERIFICATION = {
    "en": ("Please confirm your privacy request", "To confirm that you made it"),
    "fr": ("Veuillez confirmer votre demande", "depuis cette adresse e-mail"),
    "fr-CA": ("Veuillez confirmer votre demande", "depuis cette adresse courriel"),
    "de": ("Bitte bestätigen Sie Ihren Datenschutzantrag", "Um zu bestätigen"),
    "es": ("Confirme su solicitud de privacidad", "Para confirmar que la hizo usted"),
}
# The kind of request, named in every e-mail (issue 14): a deletion, in each language.
DELETION = {
    "en": "deletion of personal data",
    "fr": "effacement des données personnelles",
    "fr-CA": "effacement des données personnelles",
    "de": "Löschung personenbezogener Daten",
    "es": "supresión de datos personales",
}


@pytest.fixture
async def admin(app: FastAPI) -> str:
    return await make_staff(app, "admin@example.com", "admin")


async def staff_case(client: httpx.AsyncClient, token: str, case_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


def received_on(case: dict[str, Any], lang: str) -> str:
    """The received date as that language writes it (the case's own date, not the clock's)."""
    return format_date(datetime.fromisoformat(case["received_at"]).date(), lang)


@pytest.mark.parametrize("lang", ["en", "fr", "fr-CA", "de", "es"])
async def test_each_language_gets_its_verification_email(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, admin: str, lang: str
) -> None:
    email = f"rosa.{lang.lower()}@example.org"
    r = await client.post("/api/v1/requests", json={**BASE, "email": email, "language": lang})
    assert r.status_code == 201, r.text
    case = await staff_case(client, admin, r.json()["id"])
    assert case["language"] == lang
    await deliver(app)
    msg = mailbox.last_to(email)
    subject_words, body_words = VERIFICATION[lang]
    assert subject_words in msg["Subject"]
    text = " ".join(body_text(msg).split())
    assert body_words in text
    assert DELETION[lang] in text
    # The date as the locale writes it, never ISO: "15 janvier 2027", "15. Januar 2027".
    assert received_on(case, lang) in text
    assert case["received_at"][:10] not in text
    html = msg.get_body(preferencelist=("html",))
    assert html is not None
    assert f'<html lang="{lang}">' in str(html.get_content())


async def test_dates_have_the_locale_long_form() -> None:
    """The formats themselves, on a fixed date: day month year in each language."""
    day = "2027-01-15"
    assert format_date(day, "en") == "15 January 2027"
    assert format_date(day, "fr") == "15 janvier 2027"
    assert format_date(day, "fr-CA") == "15 janvier 2027"
    assert format_date(day, "de") == "15. Januar 2027"
    assert format_date(day, "es") == "15 de enero de 2027"
    # The first of the month is an ordinal in French only.
    assert format_date("2027-02-01", "fr") == "1er février 2027"
    assert format_date("2027-02-01", "fr-CA") == "1er février 2027"
    assert format_date("2027-02-01", "en") == "1 February 2027"
    assert format_date("2027-02-01", "de") == "1. Februar 2027"


async def test_quebec_defaults_to_french(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, admin: str
) -> None:
    email = "quebec@example.org"
    r = await client.post(
        "/api/v1/requests", json={**BASE, "jurisdiction": "CA-QC", "email": email}
    )
    assert r.status_code == 201, r.text
    assert (await staff_case(client, admin, r.json()["id"]))["language"] == "fr-CA"
    await deliver(app)
    assert "Veuillez confirmer votre demande" in mailbox.last_to(email)["Subject"]
    # Asked for explicitly, another language wins over the default.
    r = await client.post(
        "/api/v1/requests",
        json={**BASE, "jurisdiction": "CA-QC", "email": "qc2@example.org", "language": "en"},
    )
    assert (await staff_case(client, admin, r.json()["id"]))["language"] == "en"


@pytest.mark.parametrize("language", ["it", "fr-FR", "english", ""])
async def test_unknown_language_is_a_clear_422_and_nothing_is_stored(
    app: FastAPI, client: httpx.AsyncClient, admin: str, language: str
) -> None:
    before = await count(app, "case_record")
    r = await client.post(
        "/api/v1/requests", json={**BASE, "email": "x@example.org", "language": language}
    )
    assert r.status_code == 422
    assert "language must be one of en, fr, fr-CA, de, es" in r.text
    staff_body = {**BASE, "email": "x@example.org", "language": language}
    staff_body |= {"received_at": "2026-11-30", "channel": "email"}
    r = await client.post("/api/v1/cases", json=staff_body, headers=auth(admin))
    assert r.status_code == 422
    assert await count(app, "case_record") == before


async def test_staff_cases_take_a_language_too(client: httpx.AsyncClient, admin: str) -> None:
    body = {**BASE, "email": "phone@example.org", "language": "ES"}
    body |= {"received_at": "2026-11-30", "channel": "phone"}
    r = await client.post("/api/v1/cases", json=body, headers=auth(admin))
    assert r.status_code == 201, r.text
    assert (await staff_case(client, admin, r.json()["id"]))["language"] == "es"


async def test_the_form_sends_the_chosen_language(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, admin: str
) -> None:
    form = {**BASE, "email": "form@example.org", "language": "de"}
    r = await send_public_form(client, data=form)  # the form, its check page, "Send request"
    assert r.status_code == 303, r.text
    # The page after the form speaks the e-mails' language.
    assert "lang=de" in r.headers["location"]
    case_id = r.headers["location"].split("/")[2]
    assert (await staff_case(client, admin, case_id))["language"] == "de"
    page = await client.get(r.headers["location"])
    assert '<html lang="de">' in page.text
    await deliver(app)
    assert "Bitte bestätigen" in mailbox.last_to("form@example.org")["Subject"]


async def test_the_form_without_a_language_follows_the_browser(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    form = {**BASE, "email": "browser@example.org"}
    # The check page carries the language the browser asked for on to "Send request".
    r = await send_public_form(client, data=form, headers={"Accept-Language": "es-MX,es;q=0.8"})
    assert r.status_code == 303, r.text
    await deliver(app)
    assert "Confirme su solicitud" in mailbox.last_to("browser@example.org")["Subject"]


async def test_pages_follow_accept_language_and_lang(client: httpx.AsyncClient) -> None:
    r = await client.get("/", headers={"Accept-Language": "de-AT, en;q=0.5"})
    assert '<html lang="de">' in r.text
    assert "Zum Inhalt springen" in r.text
    assert '<option value="de" lang="de" selected>' in r.text
    # Babel's negotiation: Quebec French finds fr-CA, Belgian French finds fr.
    r = await client.get("/", headers={"Accept-Language": "fr-CA"})
    assert '<html lang="fr-CA">' in r.text
    r = await client.get("/", headers={"Accept-Language": "fr-BE"})
    assert '<html lang="fr">' in r.text
    # ?lang= beats the header; a language we do not speak falls back to English.
    r = await client.get("/?lang=es", headers={"Accept-Language": "de"})
    assert '<html lang="es">' in r.text
    assert "Ir al contenido" in r.text
    r = await client.get("/", headers={"Accept-Language": "ja"})
    assert '<html lang="en">' in r.text
    # Every language is offered, each named in itself.
    for name in ("English", "Français", "Deutsch", "Español"):
        assert name in r.text


async def test_error_page_is_translated_and_console_stays_english(
    client: httpx.AsyncClient,
) -> None:
    r = await client.get(
        "/requests/00000000-0000-0000-0000-000000000000?token=x",
        headers={"Accept-Language": "de"},
    )
    assert r.status_code == 404
    assert "Nicht gefunden" in r.text
    assert "Zurück zum Antragsformular" in r.text
    r = await client.get("/console/login", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in r.text
    assert "Langue" not in r.text


async def test_later_notices_use_the_stored_language(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    """The extension and the decision are sent by staff, in English sessions, long after the
    request: they are still written in the requester's German."""
    handler = await make_staff(app, "handler@example.com", "handler")
    decider = await make_staff(app, "decider@example.com", "admin")
    case_id = await open_case(
        client, app, mailbox, language="de", email="de@example.org", jurisdiction="DE"
    )
    ack = mailbox.last_to("de@example.org")
    assert "Wir haben Ihren Datenschutzantrag" in ack["Subject"]

    r = await act(client, handler, case_id, "extend", reason="Viele Systeme.")
    assert r.status_code == 200, r.text
    respond_by = r.json()["deadlines"]["respond_by"]
    await deliver(app)
    notice = mailbox.last_to("de@example.org")
    assert "Wir brauchen mehr Zeit" in notice["Subject"]
    text = " ".join(body_text(notice).split())
    assert f"Wir antworten nun spätestens am {format_date(respond_by, 'de')}." in text
    assert respond_by not in text

    r = await act(
        client, decider, case_id, "deny", reason_code="exception_applies", explanation="Sperre."
    )
    assert r.status_code == 200, r.text
    await deliver(app)
    decision = mailbox.last_to("de@example.org")
    assert "Entscheidung über Ihren Datenschutzantrag" in decision["Subject"]
    text = " ".join(body_text(decision).split())
    assert "Wir können nicht tun, worum Sie" in text
    # The refusal's rights, translated, and the regulator with its link (issue 14).
    assert "Sie haben das Recht, einen gerichtlichen Rechtsbehelf einzulegen." in text
    assert "https://www.edpb.europa.eu/about-edpb/about-edpb/members_en" in text
    # The appeal page behind the link opens in German, whatever the browser says.
    appeal_link = link_in(decision, f"/requests/{case_id}/appeal")
    assert appeal_link.endswith("&lang=de")
    page = await client.get(appeal_link.split("testserver")[1], headers={"Accept-Language": "es"})
    assert '<html lang="de">' in page.text
    assert "Widerspruch absenden" in page.text
    # The page after the appeal speaks the appeal page's German (its form's action keeps the
    # language, whatever the browser asks for) and names the month in German, not in
    # strftime's English.
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert token
    assert action
    assert html.unescape(action.group(1)) == f"/requests/{case_id}/appeal?lang=de"
    sent = await client.post(
        html.unescape(action.group(1)),
        data={"token": html.unescape(token.group(1)), "reason": "Bitte prüfen."},
        headers={"Accept-Language": "es"},
    )
    assert sent.status_code == 201, sent.text
    by = re.search(r"Ergebnis spätestens am (\d+)\. (\w+) (\d{4}) schriftlich mit", sent.text)
    assert by, sent.text
    assert by.group(2) in Locale.parse("de").months["format"]["wide"].values()


async def test_quebec_refusal_names_the_commission_in_french_with_its_link(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    decider = await make_staff(app, "decider@example.com", "admin")
    case_id = await open_case(client, app, mailbox, jurisdiction="CA-QC", email="qc@example.org")
    r = await act(
        client, decider, case_id, "deny", reason_code="exception_applies", explanation="Motif."
    )
    assert r.status_code == 200, r.text
    await deliver(app)
    text = " ".join(body_text(mailbox.last_to("qc@example.org")).split())
    assert "Nous ne pouvons pas faire ce que vous avez demandé" in text
    assert (
        "Vous pouvez demander à la Commission d'accès à l'information de réviser cette décision."
        in text
    )
    assert (
        "Vous pouvez aussi contacter la Commission d'accès à l'information du Québec. "
        "https://www.cai.gouv.qc.ca/" in text
    )


async def test_staff_record_the_requesters_language_in_the_console(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, admin: str
) -> None:
    await make_staff(app, "handler@example.com", "handler")
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        await login(c, "handler@example.com")
        page = await c.get("/console/new")
        assert '<option value="fr-CA">Français (Canada) (fr-CA)</option>' in page.text
        form = {
            "csrf_token": csrf_in(page.text),
            "type": "access",
            "jurisdiction": "ES",
            "email": "tel@example.org",
            "full_name": "Teresa Teléfono",
            "received_at": "2026-11-30",
            "channel": "phone",
        }
        r = await c.post("/console/new", data={**form, "language": "pt"})
        assert r.status_code == 422
        assert "Language must be one of en, fr, fr-CA, de, es" in r.text
        r = await c.post("/console/new", data={**form, "language": "es"})
        assert r.status_code == 303, r.text
        case_id = r.headers["location"].rsplit("/", 1)[1]
        assert "<dt>Language</dt><dd>es</dd>" in (await c.get(f"/console/cases/{case_id}")).text
    assert (await staff_case(client, admin, case_id))["language"] == "es"
    await deliver(app)
    assert "Confirme su solicitud" in mailbox.last_to("tel@example.org")["Subject"]
