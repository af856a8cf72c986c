"""The public form's labels and error messages come from Python (dsr.web.choices, the form's
friendly messages) and are translated when the page renders (README, "Languages")."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.helpers import count

FORM = {"type": "deletion", "jurisdiction": "DE", "full_name": "Rosa Requester"}


async def test_the_form_in_french_names_the_types_and_places_in_french(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/?lang=fr")).text
    assert '<html lang="fr">' in page
    assert "Effacer mes données" in page  # the deletion type's label
    assert "Effacer les données personnelles que nous détenons sur vous." in page  # its hint
    assert '<optgroup label="Union européenne et EEE">' in page
    assert ">Allemagne</option>" in page
    assert ">Canada (hors Québec)</option>" in page
    for english in ("Delete my data", "European Union and EEA", ">Germany<"):
        assert english not in page


async def test_the_form_errors_speak_the_page_language(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    before = await count(app, "case_record")
    bad = {"type": "deletion", "full_name": "", "email": "not-an-address", "jurisdiction": ""}
    r = await client.post("/requests?lang=fr", data=bad)
    assert r.status_code == 422
    # Each message beside its field and in the summary at the top.
    assert r.text.count("Choisissez votre lieu de résidence.") == 2
    assert r.text.count("Saisissez une adresse e-mail valide, par exemple nom@example.com.") == 2
    assert r.text.count("Saisissez vos nom et prénom.") == 2
    assert "Choose where you live." not in r.text
    # Quebec French says courriel; the rest falls back to French.
    r = await client.post("/requests?lang=fr-CA", data=bad)
    assert "Saisissez une adresse courriel valide" in r.text
    assert "Choisissez votre lieu de résidence." in r.text
    # An agent who forgets to say how they act is told so in German.
    agent = {**FORM, "email": "r@example.org", "agent_name": "Agentur", "agent_email": ""}
    r = await client.post("/requests", data=agent, headers={"Accept-Language": "de"})
    assert r.status_code == 422
    assert "Wählen Sie aus, in welcher Eigenschaft Sie für den Verbraucher handeln." in r.text
    assert await count(app, "case_record") == before


async def test_the_check_page_names_the_type_and_place_in_the_page_language(
    client: httpx.AsyncClient,
) -> None:
    form = {**FORM, "email": "rosa@example.org"}
    r = await client.post("/requests", data=form, headers={"Accept-Language": "es"})
    assert r.status_code == 200, r.text
    assert 'action="/requests/confirm?lang=es"' in r.text
    assert "Suprimir mis datos" in r.text
    assert "Alemania" in r.text
    # The language of the e-mails is an answer to check too, named in its own language.
    assert "Idioma de nuestros correos" in r.text
    assert '<dd class="summary-list__value">Español</dd>' in r.text
    assert "Germany" not in r.text


async def test_the_validators_own_complaints_are_translated_too(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """Too long and empty are the validator's commonest complaints; its words are English, so
    the form says them itself, in the page's language, with the limit."""
    before = await count(app, "case_record")
    long_name = {**FORM, "email": "r@example.org", "full_name": "R" * 5000}
    r = await client.post("/requests?lang=es", data=long_name)
    assert r.status_code == 422
    assert "Escriba como máximo 200 caracteres." in r.text
    assert "String should have" not in r.text
    correction = {**FORM, "type": "correction", "email": "r@example.org"}
    r = await client.post("/requests", data=correction, headers={"Accept-Language": "de"})
    assert r.status_code == 422
    assert "Diese Angabe ist erforderlich." in r.text
    assert await count(app, "case_record") == before
