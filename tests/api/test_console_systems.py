"""The data-system registry in the console over HTTP: every field created and edited, each
problem beside its field, a webhook system's secret shown once (after creating it and after a
rotation) and never again, and only admins change anything."""

from __future__ import annotations

import re

from fastapi import FastAPI

from dsr.cases import data_systems
from dsr.cases.data_system_models import DataSystem
from tests.helpers import Console, csrf_in, found

SECRET = re.compile(r'<code class="secret" id="signing-secret">(whsec_[A-Za-z0-9+/=]+)</code>')


def webhook_form(token: str, **changes: str | list[str]) -> dict[str, str | list[str]]:
    return {
        "csrf_token": token,
        "name": "Billing",
        "owner_email": "billing-owner@example.com",
        "categories": "invoices, payments",
        "request_types": ["access", "deletion"],
        "integration": "webhook",
        "webhook_url": "https://billing.example.com/dsr",
        "identities": ["account_id"],
        "purposes": "Invoicing customers",
        "recipients": "Our payment processor",
        "retention": "Seven years under tax law",
        "source": "You, when you subscribe",
        **changes,
    }


async def stored(app: FastAPI, name: str) -> DataSystem:
    async with app.state.sessionmaker() as session:
        systems = await data_systems.list_systems(session)
    return next(s for s in systems if s.name == name)


async def test_a_webhook_system_is_added_with_every_field_and_its_secret_shown_once(
    app: FastAPI, console: Console
) -> None:
    admin = await console("admin")
    token = csrf_in((await admin.get("/console/data-systems")).text)
    r = await admin.post("/console/data-systems", data=webhook_form(token))
    assert r.status_code == 201, r.text
    secret = found(SECRET.pattern, r.text)
    assert "shown only this once" in r.text
    assert r.headers["cache-control"] == "no-store"
    system = await stored(app, "Billing")
    assert (system.integration, system.webhook_url) == (
        "webhook",
        "https://billing.example.com/dsr",
    )
    assert system.identities == ["account_id"]
    assert system.categories == ["invoices", "payments"]
    assert (system.purposes, system.recipients, system.retention, system.source) == (
        "Invoicing customers",
        "Our payment processor",
        "Seven years under tax law",
        "You, when you subscribe",
    )
    assert data_systems.signing_secret(app.state.settings, system) == secret
    again = await admin.get(f"/console/data-systems/{system.id}")
    assert again.status_code == 200
    assert secret not in again.text
    assert "whsec_" not in again.text
    assert "Set (never shown again)" in again.text


async def test_rotating_shows_a_new_secret_and_the_old_one_stops_working(
    app: FastAPI, console: Console
) -> None:
    admin = await console("admin")
    token = csrf_in((await admin.get("/console/data-systems")).text)
    first = found(
        SECRET.pattern, (await admin.post("/console/data-systems", data=webhook_form(token))).text
    )
    system = await stored(app, "Billing")
    page = await admin.get(f"/console/data-systems/{system.id}")
    assert "Rotate the signing secret" in page.text
    url = f"/console/data-systems/{system.id}/rotate-secret"
    assert (await admin.post(url, data={})).status_code == 403  # no CSRF token
    r = await admin.post(url, data={"csrf_token": csrf_in(page.text)})
    assert r.status_code == 200
    second = found(SECRET.pattern, r.text)
    assert second != first
    assert data_systems.signing_secret(app.state.settings, await stored(app, "Billing")) == second


async def test_problems_are_shown_beside_their_fields_and_nothing_is_stored(
    app: FastAPI, console: Console
) -> None:
    admin = await console("admin")
    token = csrf_in((await admin.get("/console/data-systems")).text)
    form = webhook_form(
        token, owner_email="not an address", webhook_url="", request_types=[], identities=[]
    )
    r = await admin.post("/console/data-systems", data=form)
    assert r.status_code == 422
    for field, message in [
        ("owner_email", "Enter the owner&#39;s e-mail address, like name@example.com."),
        ("request_types", "Choose at least one request type."),
        ("identities", "Choose at least one identity the system receives."),
    ]:
        assert f'<p class="error" id="ds-{field}-error">{message}</p>' in r.text
    assert 'value="Billing"' in r.text  # what was typed comes back
    r = await admin.post("/console/data-systems", data=webhook_form(token, webhook_url=""))
    assert r.status_code == 422
    assert (
        '<p class="error" id="ds-webhook_url-error">Enter the URL webhooks are sent to, '
        "starting with https:// or http://.</p>"
    ) in r.text
    async with app.state.sessionmaker() as session:
        assert await data_systems.list_systems(session) == []


async def test_an_edit_changes_every_field_and_a_taken_name_is_refused(
    app: FastAPI, console: Console
) -> None:
    admin = await console("admin")
    token = csrf_in((await admin.get("/console/data-systems")).text)
    manual = webhook_form(token, name="CRM", integration="manual", webhook_url="")
    assert (await admin.post("/console/data-systems", data=manual)).status_code == 303
    assert (await admin.post("/console/data-systems", data=webhook_form(token))).status_code == 201
    crm = await stored(app, "CRM")
    assert crm.signing_secret is None
    url = f"/console/data-systems/{crm.id}"
    r = await admin.post(url, data=webhook_form(token, name="Billing", integration="pull"))
    assert r.status_code == 409
    assert (
        '<p class="error" id="ds-name-error">A data system with this name already exists.</p>'
        in r.text
    )
    changed = webhook_form(
        token,
        name="CRM 2",
        owner_email="new-owner@example.com",
        categories="contacts",
        request_types=["correction"],
        integration="pull",
        identities=["email", "account_id"],
        purposes="Support",
        recipients="",
        retention="Two years",
        source="Support tickets",
    )
    r = await admin.post(url, data=changed)
    assert r.status_code == 303
    crm = await stored(app, "CRM 2")
    assert (crm.owner_email, crm.categories, crm.request_types) == (
        "new-owner@example.com",
        ["contacts"],
        ["correction"],
    )
    assert (crm.integration, crm.webhook_url, crm.identities) == (
        "pull",
        None,
        ["account_id", "email"],
    )
    assert (crm.purposes, crm.recipients, crm.retention, crm.source) == (
        "Support",
        None,
        "Two years",
        "Support tickets",
    )
    r = await admin.post(
        url, data=webhook_form(token, name="CRM 2", webhook_url="https://crm.example.com/hook")
    )
    assert r.status_code == 200  # it has just become a webhook system: its first secret
    secret = found(SECRET.pattern, r.text)
    assert data_systems.signing_secret(app.state.settings, await stored(app, "CRM 2")) == secret


async def test_only_admins_change_the_registry(app: FastAPI, console: Console) -> None:
    admin = await console("admin")
    token = csrf_in((await admin.get("/console/data-systems")).text)
    assert (await admin.post("/console/data-systems", data=webhook_form(token))).status_code == 201
    system = await stored(app, "Billing")
    handler = await console("handler")
    page = await handler.get(f"/console/data-systems/{system.id}")
    assert page.status_code == 200
    assert "Change the registration" not in page.text
    assert "Rotate the signing secret" not in page.text
    assert "Seven years under tax law" in page.text
    handler_token = csrf_in(page.text)
    for url in (
        f"/console/data-systems/{system.id}",
        f"/console/data-systems/{system.id}/rotate-secret",
    ):
        r = await handler.post(url, data=webhook_form(handler_token, name="Taken over"))
        assert r.status_code == 403
    assert (await stored(app, "Billing")).name == "Billing"
