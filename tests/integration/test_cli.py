"""The real `dsr` console script (README), run as a subprocess against the test databases."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import select

from dsr.auth.models import ApiToken
from dsr.cases.models import CaseEvent
from tests.helpers import PASSWORD as STAFF_PASSWORD
from tests.helpers import (
    Console,
    Mailbox,
    act,
    auth,
    create_pg_database,
    drop_pg_database,
    make_staff,
    open_case,
)

DSR = Path(sys.executable).with_name("dsr")
VECTORS = Path(__file__).parent.parent / "data" / "deadline-vectors.csv"
PASSWORD = "correct horse battery staple"


def run_dsr(
    database_url: str, cwd: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DSR_DATABASE_URL": database_url,
        "DSR_SECRET_KEY": "cli-test-secret",
        "DSR_VAR_DIR": str(cwd),
    }
    return subprocess.run(
        [str(DSR), *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
    )


class RunDsr(Protocol):
    def __call__(
        self, *args: str, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]: ...


@pytest.fixture
def dsr(app: FastAPI, tmp_path: Path) -> RunDsr:
    """`dsr …` against the (emptied) test database the `app` fixture uses."""
    url = app.state.settings.database_url

    def call(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_dsr(url, tmp_path, *args, stdin=stdin)

    return call


async def table_count(app: FastAPI, table: str, where: str = "") -> int:
    async with app.state.engine.connect() as conn:
        sql = f'SELECT count(*) FROM "{table}" {where}'
        return int((await conn.execute(sa.text(sql))).scalar_one())


# --- dsr db upgrade -------------------------------------------------------------------------


@pytest.fixture
async def empty_database(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables at all, of the backend under test."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    name, url = await create_pg_database()
    yield url
    await drop_pg_database(name)


async def test_db_upgrade_creates_the_schema_and_is_idempotent(
    empty_database: str, tmp_path: Path
) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    first = run_dsr(empty_database, tmp_path, "db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert "up to date" in first.stdout
    engine = create_async_engine(empty_database)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
            version = (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).all()
    finally:
        await engine.dispose()
    assert {"case_record", "case_event", "outbox_message", "staff_user", "api_token"} <= tables
    assert len(version) >= 1
    again = run_dsr(empty_database, tmp_path, "db", "upgrade")
    assert again.returncode == 0, again.stderr


# --- dsr users create -----------------------------------------------------------------------


async def test_users_create_with_password_option_and_stdin(
    client: httpx.AsyncClient, dsr: RunDsr
) -> None:
    r = dsr("users", "create", "--email", "Admin@Example.com", "--role", "admin", "--password",
            PASSWORD)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("created admin ")
    uuid.UUID(r.stdout.split()[-1])  # the new user's id

    r = dsr("users", "create", "--email", "handler@example.com", "--role", "handler",
            stdin=PASSWORD + "\n")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert PASSWORD not in r.stdout + r.stderr

    for username in ("admin@example.com", "handler@example.com"):
        tok = await client.post(
            "/api/v1/auth/token", data={"username": username, "password": PASSWORD}
        )
        assert tok.status_code == 200, tok.text
    # The trailing newline from stdin is not part of the password.
    tok = await client.post(
        "/api/v1/auth/token", data={"username": "handler@example.com", "password": PASSWORD + "\n"}
    )
    assert tok.status_code == 401


async def test_users_create_refuses_duplicates_and_weak_passwords(
    app: FastAPI, dsr: RunDsr
) -> None:
    assert dsr("users", "create", "--email", "h@example.com", "--role", "handler",
               "--password", PASSWORD).returncode == 0  # fmt: skip

    dup = dsr("users", "create", "--email", "H@EXAMPLE.COM", "--role", "reviewer",
              "--password", PASSWORD)  # fmt: skip
    assert dup.returncode != 0
    assert "already exists" in dup.stderr
    assert "Traceback" not in dup.stderr

    weak = dsr("users", "create", "--email", "w@example.com", "--role", "handler",
               "--password", "short")  # fmt: skip
    assert weak.returncode != 0
    assert "at least 12 characters" in weak.stderr
    assert "Traceback" not in weak.stderr

    empty = dsr("users", "create", "--email", "e@example.com", "--role", "handler", stdin="")
    assert empty.returncode != 0
    assert "Traceback" not in empty.stderr

    bad_role = dsr("users", "create", "--email", "r@example.com", "--role", "root",
                   "--password", PASSWORD)  # fmt: skip
    assert bad_role.returncode == 2
    assert "invalid choice" in bad_role.stderr

    assert await table_count(app, "staff_user") == 1


# --- dsr tokens create ----------------------------------------------------------------------


async def test_tokens_create_prints_a_working_scoped_token(
    app: FastAPI, client: httpx.AsyncClient, dsr: RunDsr
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    r0 = await client.post(
        "/api/v1/data-systems",
        json={"name": "crm", "owner_email": "crm@example.com", "request_types": ["access"]},
        headers=auth(admin),
    )
    assert r0.status_code == 201, r0.text
    r = dsr(
        "tokens", "create", "--name", "owner-crm", "--scope", "tasks:write", "--data-system", "crm"
    )
    assert r.returncode == 0, r.stderr
    assert "for the data system 'crm'" in r.stdout
    lines = r.stdout.rstrip("\n").split("\n")
    token = lines[-1]
    assert token == token.strip()
    assert " " not in token
    assert len(token) >= 32
    assert token not in "\n".join(lines[:-1])

    # Stored only as a hash, bound to the system.
    async with app.state.engine.connect() as conn:
        rows = (await conn.execute(sa.text("SELECT * FROM api_token"))).mappings().all()
    assert all(token not in str(v) for row in rows for v in row.values())
    bound = [row for row in rows if row["name"] == "owner-crm"]
    assert [str(row["data_system_id"]).replace("-", "") for row in bound] == [
        r0.json()["id"].replace("-", "")
    ]

    task = f"/api/v1/tasks/{uuid.uuid4()}"
    # The system's token lets it in (the task does not exist: 404, not 401/403) ...
    assert (await client.get(task, headers=auth(token))).status_code == 404
    r1 = await client.get("/api/v1/tasks", params={"status": "open"}, headers=auth(token))
    assert r1.status_code == 200
    assert r1.json() == {"items": [], "next_cursor": None}
    # ... but it is no staff token, and it opens nothing beyond its system's tasks.
    assert (await client.get("/api/v1/cases", headers=auth(token))).status_code == 403
    unbound = dsr("tokens", "create", "--name", "any-tasks", "--scope", "tasks:write")
    assert unbound.returncode == 0, unbound.stderr
    unbound_token = unbound.stdout.rstrip("\n").split("\n")[-1]
    assert (await client.get(task, headers=auth(unbound_token))).status_code == 403
    other = dsr("tokens", "create", "--name", "trainer", "--scope", "training:read")
    assert other.returncode == 0, other.stderr
    other_token = other.stdout.rstrip("\n").split("\n")[-1]
    assert other_token != token
    assert (await client.get(task, headers=auth(other_token))).status_code == 403
    assert (await client.get(task, headers=auth(token + "x"))).status_code == 401

    bad = dsr("tokens", "create", "--name", "x", "--scope", "everything")
    assert bad.returncode == 1
    assert "scopes must be among" in bad.stderr
    unknown = dsr(
        "tokens", "create", "--name", "x", "--scope", "tasks:write", "--data-system", "nope"
    )
    assert unknown.returncode == 1
    assert "no data system with that name" in unknown.stderr
    wide = dsr(
        "tokens", "create", "--name", "x", "--scope", "training:read", "--data-system", "crm"
    )
    assert wide.returncode == 1
    assert "bound to a data system has the scope tasks:write only" in wide.stderr
    async with app.state.engine.connect() as conn:
        names = (await conn.execute(sa.text("SELECT name FROM api_token"))).scalars().all()
    # The refused ones stored nothing (the admin's access token aside).
    assert sorted(n for n in names if not n.startswith("access:")) == [
        "any-tasks",
        "owner-crm",
        "trainer",
    ]


# --- dsr users deactivate / reactivate / set-password (issue 12, defect 10) --------------------


async def access_token(
    client: httpx.AsyncClient, email: str, password: str = STAFF_PASSWORD
) -> int | str:
    """The bearer token POST /auth/token gives, or its status code when it gives none."""
    r = await client.post("/api/v1/auth/token", data={"username": email, "password": password})
    return str(r.json()["access_token"]) if r.status_code == 200 else r.status_code


async def test_users_deactivate_ends_tokens_and_console_session_at_once(
    app: FastAPI, client: httpx.AsyncClient, console: Console, dsr: RunDsr
) -> None:
    await make_staff(app, "admin@example.com", "admin")
    browser = await console("handler")
    token = await access_token(client, "handler@example.com")
    assert isinstance(token, str)
    assert (await client.get("/api/v1/cases", headers=auth(token))).status_code == 200
    assert (await browser.get("/console")).status_code == 200

    r = dsr("users", "deactivate", "--email", "Handler@Example.com")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "deactivated\n"
    assert (await client.get("/api/v1/cases", headers=auth(token))).status_code == 401
    page = await browser.get("/console")
    assert (page.status_code, page.headers["location"]) == (303, "/console/login")
    assert await access_token(client, "handler@example.com") == 401

    r = dsr("users", "reactivate", "--email", "handler@example.com")
    assert (r.returncode, r.stdout) == (0, "reactivated\n")
    # The tokens issued before the deactivation stay revoked; a new login works.
    assert (await client.get("/api/v1/cases", headers=auth(token))).status_code == 401
    assert isinstance(await access_token(client, "handler@example.com"), str)

    unknown = dsr("users", "deactivate", "--email", "nobody@example.com")
    assert (unknown.returncode, unknown.stderr) == (
        1,
        "dsr: no staff user with that e-mail or id\n",
    )


async def test_users_deactivate_refuses_the_last_admin(app: FastAPI, dsr: RunDsr) -> None:
    await make_staff(app, "admin@example.com", "admin")
    r = dsr("users", "deactivate", "--email", "admin@example.com")
    assert (r.returncode, r.stderr) == (1, "dsr: the last active admin cannot be deactivated\n")
    await make_staff(app, "second@example.com", "admin")
    assert dsr("users", "deactivate", "--email", "admin@example.com").returncode == 0


async def test_users_set_password_from_option_and_stdin(
    app: FastAPI, client: httpx.AsyncClient, dsr: RunDsr
) -> None:
    await make_staff(app, "handler@example.com", "handler")
    old = await access_token(client, "handler@example.com")
    assert isinstance(old, str)
    new = "a brand new passphrase"
    r = dsr("users", "set-password", "--email", "handler@example.com", stdin=new + "\n")
    assert (r.returncode, r.stdout) == (0, "password set\n")
    assert new not in r.stdout + r.stderr
    assert await access_token(client, "handler@example.com") == 401
    assert isinstance(await access_token(client, "handler@example.com", new), str)
    # The access tokens issued under the old password end with it.
    assert (await client.get("/api/v1/cases", headers=auth(old))).status_code == 401

    r = dsr("users", "set-password", "--email", "handler@example.com", "--password", STAFF_PASSWORD)
    assert r.returncode == 0, r.stderr
    assert isinstance(await access_token(client, "handler@example.com"), str)
    weak = dsr("users", "set-password", "--email", "handler@example.com", "--password", "short")
    assert (weak.returncode, weak.stderr) == (1, "dsr: password must be at least 12 characters\n")
    assert isinstance(await access_token(client, "handler@example.com"), str)


# --- dsr tokens list / revoke, --expires-in-days (issue 12, defect 10) -------------------------


def token_from(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 0, r.stderr
    return r.stdout.rstrip("\n").split("\n")[-1]


async def test_tokens_list_shows_tokens_but_never_the_token(
    app: FastAPI, client: httpx.AsyncClient, dsr: RunDsr
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    r0 = await client.post(
        "/api/v1/data-systems",
        json={"name": "crm", "owner_email": "crm@example.com", "request_types": ["access"]},
        headers=auth(admin),
    )
    assert r0.status_code == 201, r0.text
    crm = dsr("tokens", "create", "--name", "crm-pull", "--scope", "tasks:write",
              "--data-system", "crm", "--expires-in-days", "30")  # fmt: skip
    assert ", expires " in crm.stdout
    crm_token = token_from(crm)
    trainer_token = token_from(
        dsr(
            "tokens",
            "create",
            "--name",
            "trainer",
            "--scope",
            "training:read",
            "--scope",
            "consent:write",
        )
    )

    listed = dsr("tokens", "list")
    assert listed.returncode == 0, listed.stderr
    assert crm_token not in listed.stdout
    assert trainer_token not in listed.stdout
    lines = [line.split() for line in listed.stdout.splitlines()]
    assert lines[0] == [
        "NAME",
        "SCOPES",
        "DATA",
        "SYSTEM",
        "CREATED",
        "EXPIRES",
        "REVOKED",
        "STATE",
    ]
    rows = {line[0]: line for line in lines[1:]}
    assert sorted(rows) == ["crm-pull", "trainer"]  # the admin's access token is not listed
    assert rows["crm-pull"][1:3] == ["tasks:write", "crm"]
    assert rows["crm-pull"][-2:] == ["-", "active"]
    assert rows["trainer"][1:3] == ["consent:write,training:read", "-"]
    assert rows["trainer"][-3:] == ["-", "-", "active"]
    async with app.state.sessionmaker() as session:
        row = (await session.exec(select(ApiToken).where(ApiToken.name == "crm-pull"))).one()
    assert row.expires_at is not None
    assert timedelta(days=30) - (row.expires_at - row.created_at) < timedelta(minutes=1)
    assert rows["crm-pull"][5:7] == f"{row.expires_at:%Y-%m-%d %H:%M}".split(" ")

    # An expired token is a 401 (its expiry moved into the past, as time would).
    async with app.state.sessionmaker() as session, session.begin():
        row = (await session.exec(select(ApiToken).where(ApiToken.name == "crm-pull"))).one()
        row.expires_at = row.created_at
        session.add(row)
    r = await client.get("/api/v1/tasks", headers=auth(crm_token))
    assert r.status_code == 401
    rows = {line.split()[0]: line.split() for line in dsr("tokens", "list").stdout.splitlines()}
    assert rows["crm-pull"][-1] == "expired"

    never = dsr("tokens", "create", "--name", "x", "--scope", "training:read",
                "--expires-in-days", "0")  # fmt: skip
    assert never.returncode == 2
    assert "a whole number of days from 1 to 3650" in never.stderr


async def test_tokens_revoke_gives_401_from_the_next_request(
    client: httpx.AsyncClient, dsr: RunDsr
) -> None:
    token = token_from(dsr("tokens", "create", "--name", "trainer", "--scope", "training:read"))
    body = {"purpose": "model_evaluation", "category": "prompts", "subjects": ["account:1"]}
    r = await client.post("/api/v1/training/eligibility", json=body, headers=auth(token))
    assert r.status_code == 200, r.text
    twin = token_from(dsr("tokens", "create", "--name", "trainer", "--scope", "training:read"))
    other = token_from(dsr("tokens", "create", "--name", "other", "--scope", "training:read"))

    r1 = dsr("tokens", "revoke", "--name", "trainer")
    assert (r1.returncode, r1.stdout) == (0, "revoked 2 tokens named 'trainer'\n")
    for revoked in (token, twin):
        r = await client.post("/api/v1/training/eligibility", json=body, headers=auth(revoked))
        assert r.status_code == 401
    r = await client.post("/api/v1/training/eligibility", json=body, headers=auth(other))
    assert r.status_code == 200
    rows = [line.split() for line in dsr("tokens", "list").stdout.splitlines()[1:]]
    assert sorted((row[0], row[-1]) for row in rows) == [
        ("other", "active"),
        ("trainer", "revoked"),
        ("trainer", "revoked"),
    ]
    again = dsr("tokens", "revoke", "--name", "trainer")
    assert (again.returncode, again.stderr) == (1, "dsr: no live service token with that name\n")


# --- dsr deadlines ----------------------------------------------------------------------------


def vectors(jurisdiction: str, request_type: str, received: str) -> dict[str, str]:
    """The CSV's expected dates for one request, on the default calendars (US federal holidays,
    Irish public holidays for the EU)."""
    with VECTORS.open(newline="") as f:
        return {
            row["event"].removeprefix("appeal_"): row["expected_date"]
            for row in csv.DictReader(f)
            if (row["jurisdiction"], row["request_type"], row["received_date"])
            == (jurisdiction, request_type, received)
            and row["calendar"] in ("US", "IE", "")
        }


def _scratch() -> Path:
    """A directory of its own for a run that needs no database: DSR_VAR_DIR gets a generated
    encryption key, which must not land in the working tree."""
    return Path(tempfile.mkdtemp(prefix="dsr-cli-"))


def deadlines(*args: str) -> dict[str, Any]:
    r = run_dsr("sqlite+aiosqlite:///:memory:", _scratch(), "deadlines", *args)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {"acknowledge_by", "respond_by", "extended_respond_by"} <= set(out)
    return dict(out)


def test_deadlines_request_california() -> None:
    out = deadlines("request", "--jurisdiction", "US-CA", "--type", "deletion",
                    "--received", "2026-11-23")  # fmt: skip
    # 10 business days, Thanksgiving skipped (11 CCR 7021(a)); 45 and 90 calendar days.
    assert vectors("US-CA", "deletion", "2026-11-23") == {"acknowledge_by": "2026-12-08"}
    assert out["acknowledge_by"] == "2026-12-08"
    assert out["respond_by"] == "2027-01-07"
    assert out["extended_respond_by"] == "2027-02-21"

    # The CSV's 45/90-day rows are for the day before.
    expected = vectors("US-CA", "deletion", "2026-11-22")
    assert expected == {"respond_by": "2027-01-06", "extended_respond_by": "2027-02-20"}
    out = deadlines("request", "--jurisdiction", "US-CA", "--type", "deletion",
                    "--received", "2026-11-22")  # fmt: skip
    for key, value in expected.items():
        assert out[key] == value, key


def test_deadlines_request_opt_out_in_california() -> None:
    # 11 CCR 7026(f): 15 business days, Juneteenth and 4 July skipped; no extension, no
    # acknowledgement deadline (docs/legal.md, "Opt-outs").
    assert vectors("US-CA", "opt_out_sale_share", "2028-06-16") == {"respond_by": "2028-07-11"}
    out = deadlines("request", "--jurisdiction", "US-CA", "--type", "opt_out",
                    "--received", "2028-06-16")  # fmt: skip
    assert (out["acknowledge_by"], out["respond_by"], out["extended_respond_by"]) == (
        None,
        "2028-07-11",
        None,
    )
    out = deadlines("request", "--jurisdiction", "US-VA", "--type", "opt_out",
                    "--received", "2026-01-15")  # fmt: skip
    assert (out["respond_by"], out["extended_respond_by"]) == ("2026-03-01", "2026-04-15")


@pytest.mark.parametrize(
    ("kind", "jurisdiction", "request_type", "received"),
    [
        ("request", "US-VA", "access", "2026-01-15"),
        ("request", "EU", "access", "2027-03-05"),
        ("request", "EU", "deletion", "2026-08-31"),
        ("appeal", "US-VA", "appeal", "2026-05-01"),
    ],
)
def test_deadlines_match_the_vectors(
    kind: str, jurisdiction: str, request_type: str, received: str
) -> None:
    expected = vectors(jurisdiction, request_type, received)
    assert expected
    args = [kind, "--jurisdiction", jurisdiction, "--received", received]
    if kind == "request":
        args += ["--type", request_type]
    out = deadlines(*args)
    for key, value in expected.items():
        assert out[key] == value, key


def test_deadlines_appeal_virginia() -> None:
    out = deadlines("appeal", "--jurisdiction", "US-VA", "--received", "2026-05-01")
    assert out["respond_by"] == "2026-06-30"
    assert out["acknowledge_by"] is None


def test_deadlines_refuses_a_bad_date() -> None:
    r = run_dsr("sqlite+aiosqlite:///:memory:", _scratch(), "deadlines", "request",
                "--jurisdiction", "GB", "--type", "access", "--received", "2026-02-30")  # fmt: skip
    assert r.returncode == 2
    assert "not a date" in r.stderr


# --- dsr audit verify -----------------------------------------------------------------------


@pytest.fixture
async def two_cases(app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox) -> tuple[str, str]:
    """Two open cases with several events each; the second has notes and an extension."""
    handler = await make_staff(app, "handler@example.com", "handler")
    first = await open_case(client, app, mailbox, jurisdiction="GB")
    second = await open_case(
        client, app, mailbox, jurisdiction="US-CA", email="second@example.org", type="deletion"
    )
    r = await act(client, handler, second, "note", text="Called the requester")
    assert r.status_code == 200, r.text
    r = await act(client, handler, second, "extend", reason="Records are in many systems")
    assert r.status_code == 200, r.text
    r = await act(client, handler, second, "note", text="Waiting for the CRM team")
    assert r.status_code == 200, r.text
    return first, second


async def events_of(app: FastAPI, case_id: str) -> list[CaseEvent]:
    from sqlmodel import col, select

    async with app.state.sessionmaker() as session:
        stmt = (
            select(CaseEvent)
            .where(col(CaseEvent.case_id) == uuid.UUID(case_id))
            .order_by(col(CaseEvent.seq))
        )
        return list((await session.exec(stmt)).all())


@pytest.mark.usefixtures("two_cases")
async def test_audit_verify_intact(dsr: RunDsr) -> None:
    r = dsr("audit", "verify")
    assert r.returncode == 0, r.stderr
    assert "intact" in r.stdout
    assert "2 case timelines" in r.stdout


async def test_audit_verify_names_a_changed_reason(
    app: FastAPI, two_cases: tuple[str, str], dsr: RunDsr
) -> None:
    _, second = two_cases
    events = await events_of(app, second)
    changed = next(e for e in events if e.action == "extend")
    assert changed.reason == "Records are in many systems"
    table = CaseEvent.__table__  # type: ignore[attr-defined]
    async with app.state.engine.begin() as conn:
        await conn.execute(
            sa.update(table).where(table.c.id == changed.id).values(reason="No reason at all")
        )
    r = dsr("audit", "verify")
    assert r.returncode != 0
    assert f"case {second}, event {changed.seq}" in r.stderr
    assert "changed" in r.stderr


async def test_audit_verify_names_a_deleted_event(
    app: FastAPI, two_cases: tuple[str, str], dsr: RunDsr
) -> None:
    first, second = two_cases
    events = await events_of(app, second)
    assert len(events) >= 4
    middle = events[len(events) // 2]
    table = CaseEvent.__table__  # type: ignore[attr-defined]
    async with app.state.engine.begin() as conn:
        await conn.execute(sa.delete(table).where(table.c.id == middle.id))
    r = dsr("audit", "verify")
    assert r.returncode != 0
    assert f"case {second}, event {middle.seq + 1}" in r.stderr
    assert "missing" in r.stderr
    assert first not in r.stderr


async def test_audit_verify_names_events_cut_off_the_end(
    app: FastAPI, two_cases: tuple[str, str], dsr: RunDsr
) -> None:
    """Deleting the last events leaves a valid chain; the case row's anchor shows the cut."""
    first, second = two_cases
    events = await events_of(app, second)
    table = CaseEvent.__table__  # type: ignore[attr-defined]
    async with app.state.engine.begin() as conn:
        await conn.execute(sa.delete(table).where(table.c.id.in_([e.id for e in events[-2:]])))
    r = dsr("audit", "verify")
    assert r.returncode != 0
    assert f"case {second}, event {events[-2].seq}" in r.stderr
    assert "removed from its end" in r.stderr
    assert first not in r.stderr


async def test_audit_verify_names_an_event_added_behind_the_services_back(
    app: FastAPI, two_cases: tuple[str, str], dsr: RunDsr
) -> None:
    """A well-formed event appended straight into the table (valid link and hash) is caught."""
    from dsr.cases.timeline import event_payload
    from dsr.domain.events import event_hash

    first, _ = two_cases
    last = (await events_of(app, first))[-1]
    forged = CaseEvent(
        case_id=last.case_id,
        seq=last.seq + 1,
        at=last.at,
        actor_kind="staff",
        actor_id=None,
        action="note",
        from_status=last.to_status,
        to_status=last.to_status,
        data={},
        prev_hash=last.hash,
        hash="",
    )
    forged.hash = event_hash(forged.prev_hash, event_payload(forged))
    async with app.state.sessionmaker() as session, session.begin():
        session.add(forged)
    r = dsr("audit", "verify")
    assert r.returncode != 0
    assert f"case {first}, event {forged.seq}" in r.stderr
    assert "not appended by dsr" in r.stderr


# --- dsr users unlock / end-sessions / reset-mfa (issue 12, defects 2 and 5, item 14) ----------


def dsr_as_server(app: FastAPI, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`dsr …` with the server's own secret key, as on the same host (the lockout's keyed hash
    of an address depends on it)."""
    env = {
        **os.environ,
        "DSR_DATABASE_URL": app.state.settings.database_url,
        "DSR_SECRET_KEY": app.state.settings.secret_key,
        "DSR_VAR_DIR": str(app.state.settings.var_dir),
    }
    return subprocess.run(
        [str(DSR), *args], input="", capture_output=True, text=True, env=env, cwd=tmp_path,
        timeout=60,
    )  # fmt: skip


async def test_users_unlock_end_sessions_and_reset_mfa(
    app: FastAPI, client: httpx.AsyncClient, console: Console, tmp_path: Path
) -> None:
    import pyotp

    from dsr.auth import mfa
    from dsr.auth.models import StaffUser
    from dsr.db.types import utcnow

    browser = await console("handler")
    threshold = app.state.settings.login_lockout_threshold
    for _ in range(threshold):
        assert await access_token(client, "handler@example.com", "wrong password!!") == 401
    assert await access_token(client, "handler@example.com") == 429
    r = dsr_as_server(app, tmp_path, "users", "unlock", "--email", "handler@example.com")
    assert (r.returncode, r.stdout) == (0, "unlocked\n"), r.stderr
    assert isinstance(await access_token(client, "handler@example.com"), str)
    r = dsr_as_server(app, tmp_path, "users", "unlock", "--email", "handler@example.com")
    assert (r.returncode, r.stdout) == (0, "not locked\n")

    assert (await browser.get("/console")).status_code == 200
    r = dsr_as_server(app, tmp_path, "users", "end-sessions", "--email", "handler@example.com")
    assert (r.returncode, r.stdout) == (0, "ended 1 session\n"), r.stderr
    assert (await browser.get("/console")).status_code == 303

    async with app.state.sessionmaker() as session, session.begin():
        user = (await session.exec(select(StaffUser).where(StaffUser.role == "handler"))).one()
        secret, _ = await mfa.begin_enrolment(session, user=user)
        code = pyotp.TOTP(secret).now()
        assert await mfa.confirm_enrolment(session, user=user, code=code, now=utcnow())
    assert await access_token(client, "handler@example.com") == 401  # the code is needed now
    r = dsr_as_server(app, tmp_path, "users", "reset-mfa", "--email", "handler@example.com")
    assert r.returncode == 0, r.stderr
    assert isinstance(await access_token(client, "handler@example.com"), str)
    r = dsr_as_server(app, tmp_path, "users", "unlock", "--email", "nobody@example.com")
    assert (r.returncode, r.stderr) == (1, "dsr: no staff user with that e-mail or id\n")
