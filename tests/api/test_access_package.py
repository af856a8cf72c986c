"""The requester's copy of their data: fulfilling an access case builds the ZIP from what the
systems sent, keeps it encrypted, e-mails a link to a page that says what is inside, and serves
it at most DSR_PACKAGE_MAX_DOWNLOADS times until it expires; the sweep then erases it and the
results, keeping their SHA-256 on the timeline."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dsr.auth import service
from dsr.cases.data_systems import system_by_name
from dsr.cases.sweep import sweep
from dsr.db.types import utcnow
from tests.helpers import (
    REQUESTER,
    Mailbox,
    act,
    auth,
    deliver,
    link_in,
    make_staff,
    open_case,
    token_of,
)
from tests.packages import CRM, PHOTO, ROWS, fulfilled_case


@pytest.fixture(params=["database", "directory"])
def settings_overrides(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    where = {} if request.param == "database" else {"storage_dir": tmp_path / "store"}
    return {"package_max_downloads": 2, **where}


@pytest.fixture
async def staff(app: FastAPI) -> dict[str, str]:
    return {
        "admin": await make_staff(app, "admin@example.com", "admin"),
        "handler": await make_staff(app, "handler@example.com", "handler"),
    }


async def timeline(client: httpx.AsyncClient, token: str, case_id: str) -> list[dict[str, Any]]:
    r = await client.get(f"/api/v1/cases/{case_id}/events", headers=auth(token))
    assert r.status_code == 200, r.text
    return list(r.json())


def api_url(link: str, case_id: str) -> str:
    return f"/api/v1/requests/{case_id}/package?token={token_of(link)}"


async def test_the_zip_holds_readme_data_json_and_files(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id, link = await fulfilled_case(app, client, mailbox, staff)
    r = await client.get(api_url(link, case_id))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    case = (await client.get(f"/api/v1/cases/{case_id}", headers=auth(staff["handler"]))).json()
    assert r.headers["content-disposition"] == f'attachment; filename="{case["reference"]}.zip"'

    archive = zipfile.ZipFile(io.BytesIO(r.content))
    assert archive.testzip() is None  # every member's CRC checks
    assert archive.namelist() == [
        "README.html",
        "data.json",
        "files/CRM _ Sales_EU/orders.csv",
        "files/CRM _ Sales_EU/orders (2).csv",
        "files/CRM _ Sales_EU/photo.png",
    ]
    assert json.loads(archive.read("data.json")) == {
        "request": {
            "reference": case["reference"],
            "type": "access",
            "jurisdiction": case["jurisdiction"],
            "received_at": case["received_at"],
        },
        "systems": {
            CRM: {
                "data": [ROWS, {"nickname": "Rosa"}],
                "files": ["orders.csv", "orders (2).csv", "photo.png"],
            },
            "warehouse": {"data": [["hello"]], "files": []},
        },
    }
    assert archive.read("files/CRM _ Sales_EU/orders.csv") == b"order,total\nA-1,12.50\n"
    assert archive.read("files/CRM _ Sales_EU/orders (2).csv") == b"order,total\nA-2,3.00\n"
    assert archive.read("files/CRM _ Sales_EU/photo.png") == PHOTO
    readme = archive.read("README.html").decode()
    for fact in [
        '<h2 id="system-1">CRM &amp; Sales/EU</h2>',
        "<dd>Billing and support</dd>",
        "<dd>Our payment processor</dd>",
        "<dd>Six years after the account closes</dd>",
        "<dd>You, when you signed up</dd>",
        '<th scope="col">plan</th>',
        "<td>team</td>",
        "<td>nickname</td><td>Rosa</td>",
        "<li>photo.png (2500008 bytes)</li>",
        '<h2 id="system-2">warehouse</h2>',
    ]:
        assert fact in readme, fact

    events = await timeline(client, staff["handler"], case_id)
    built = next(e for e in events if e["action"] == "package_built")
    assert built["data"]["sha256"] == hashlib.sha256(r.content).hexdigest()
    assert built["data"]["size"] == len(r.content)
    downloaded = [e for e in events if e["action"] == "package_downloaded"]
    assert [(e["actor_kind"], e["data"]["download"]) for e in downloaded] == [("requester", 1)]


async def test_the_package_is_encrypted_at_rest(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    await fulfilled_case(app, client, mailbox, staff)
    settings = app.state.settings
    if settings.storage_dir is None:
        async with app.state.engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT data FROM access_package_chunk"))
            stored = [bytes(row[0]) for row in rows]
        assert len(stored) == 3  # 2.5 MB and more, in 1 MiB pieces
    else:
        stored = [p.read_bytes() for p in (settings.storage_dir / "packages").iterdir()]
        assert len(stored) == 1
    # A piece in the database is the sealed value itself; in a file each is length-prefixed.
    at = 0 if settings.storage_dir is None else 4
    for sealed in stored:
        assert sealed[at : at + 4] == b"dsr1"
        assert b"README" not in sealed
        assert b"Billing and support" not in sealed
        assert PHOTO[:64] not in sealed


async def test_a_link_serves_its_downloads_then_is_404(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id, link = await fulfilled_case(app, client, mailbox, staff)
    page = await client.get(link.split("testserver", 1)[-1])
    assert page.status_code == 200
    assert "2 of 2" in page.text  # downloads left
    wrong = f"/api/v1/requests/{case_id}/package?token={'0' * 64}"
    assert (await client.get(wrong)).status_code == 404
    other = f"/api/v1/requests/{uuid.uuid4()}/package?token={token_of(link)}"
    assert (await client.get(other)).status_code == 404

    assert (await client.get(api_url(link, case_id))).status_code == 200
    page = await client.get(link.split("testserver", 1)[-1])
    assert "1 of 2" in page.text
    assert (await client.get(api_url(link, case_id))).status_code == 200
    spent = await client.get(api_url(link, case_id))
    assert spent.status_code == 404
    assert "used the most times it allows" in spent.json()["detail"]
    assert (await client.get(link.split("testserver", 1)[-1])).status_code == 404
    events = await timeline(client, staff["handler"], case_id)
    counts = [e["data"]["download"] for e in events if e["action"] == "package_downloaded"]
    assert counts == [1, 2]


async def test_the_sweep_erases_an_expired_package_and_the_results(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id, link = await fulfilled_case(app, client, mailbox, staff)
    factory, settings = app.state.sessionmaker, app.state.settings
    now = utcnow()
    assert (await sweep(factory, settings, now))["packages_erased"] == 0
    later = now + timedelta(days=settings.package_ttl_days, minutes=1)
    assert (await sweep(factory, settings, later))["packages_erased"] == 1
    assert (await sweep(factory, settings, later))["packages_erased"] == 0  # once
    assert (await client.get(api_url(link, case_id))).status_code == 404

    async with app.state.engine.connect() as conn:
        chunks = (await conn.execute(sa.text("SELECT count(*) FROM access_package_chunk"))).scalar()
        kept = await conn.execute(
            sa.text("SELECT sha256, blob, path, erased_at FROM task_result ORDER BY sha256")
        )
        rows = list(kept)
    assert chunks == 0
    assert len(rows) == 6
    assert all(r.blob is None and r.path is None and r.erased_at is not None for r in rows)
    if settings.storage_dir is not None:
        assert list((settings.storage_dir / "packages").iterdir()) == []

    events = await timeline(client, staff["handler"], case_id)
    built = next(e for e in events if e["action"] == "package_built")
    erased = next(e for e in events if e["action"] == "package_erased")
    assert erased["data"]["reason"] == "expired"
    assert erased["data"]["sha256"] == built["data"]["sha256"]
    assert sorted(r["sha256"] for r in erased["data"]["results"]) == [r.sha256 for r in rows]
    assert hashlib.sha256(PHOTO).hexdigest() in {r.sha256 for r in rows}


async def test_a_retained_task_gives_a_partial_copy_that_names_the_exception(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    r = await client.post(
        "/api/v1/data-systems",
        json={"name": "ledger", "owner_email": "o@example.com", "request_types": ["access"]},
        headers=auth(staff["admin"]),
    )
    assert r.status_code == 201, r.text
    async with app.state.sessionmaker() as session, session.begin():
        system = await system_by_name(session, "ledger")
        token = await service.create_service_token(
            session, "ledger", ["tasks:write"], data_system_id=system.id
        )
    case_id = await open_case(client, app, mailbox)
    tasks = (await client.get("/api/v1/tasks", headers=auth(token))).json()["items"]
    task_url = f"/api/v1/tasks/{tasks[0]['id']}"
    r = await client.post(f"{task_url}/results", json={"balance": 12}, headers=auth(token))
    assert r.status_code == 201, r.text
    note = "Invoices are kept ten years under tax law"
    r = await client.post(
        f"{task_url}/complete", json={"outcome": "retained", "note": note}, headers=auth(token)
    )
    assert r.status_code == 200, r.text
    await act(client, staff["handler"], case_id, "assign", assignee="handler@example.com")
    r = await act(
        client, staff["handler"], case_id, "partially_fulfil", explanation=f"Not given: {note}."
    )
    assert r.status_code == 200, r.text
    await deliver(app)
    link = link_in(mailbox.last_to(REQUESTER), f"/requests/{case_id}/package?token=")
    r = await client.get(api_url(link, case_id))
    assert r.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    assert json.loads(archive.read("data.json"))["systems"] == {
        "ledger": {"data": [{"balance": 12}], "files": []}
    }
    assert f"<dd>Some data was not provided: {note}</dd>" in archive.read("README.html").decode()


@pytest.mark.parametrize("settings_overrides", ["directory"], indirect=True)
async def test_a_build_or_erase_that_rolls_back_leaves_the_files_as_they_were(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    from dsr.cases.models import Case
    from dsr.fulfilment import package as packages
    from dsr.fulfilment import sealed
    from dsr.fulfilment.models import AccessPackage

    case_id, _ = await fulfilled_case(app, client, mailbox, staff)
    settings = app.state.settings
    folder = settings.storage_dir / "packages"
    before = sorted(folder.iterdir())
    assert len(before) == 1
    async with app.state.sessionmaker() as session:
        async with session.begin():
            case = await session.get(Case, uuid.UUID(case_id))
            assert case is not None
            await packages.build_for_case(session, settings=settings, case=case, now=utcnow())
            assert len(list(folder.iterdir())) == 2  # written while the transaction is open
            await session.rollback()
        assert sorted(folder.iterdir()) == before  # rolled back: the new file is gone
        async with session.begin():
            package = (await session.exec(sa.select(AccessPackage))).scalars().one()
            await sealed.erase(session, settings=settings, package=package)
            await session.rollback()
    assert sorted(folder.iterdir()) == before  # an erasure that rolls back deletes nothing
