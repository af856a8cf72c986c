"""Shared fixtures: real databases (SQLite file and PostgreSQL) with migrations applied, a real
SMTP server (aiosmtpd) in the test process, and the app wired to both.

Every database test runs once per backend. PostgreSQL gets a throw-away database per test run
(created from DSR_TEST_POSTGRES_URL, default the machine's `test` database); in CI a missing
PostgreSQL fails the run instead of skipping."""

from __future__ import annotations

import email
import email.policy
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from dsr.db.engine import make_engine
from dsr.db.migrate import upgrade
from dsr.db.models import metadata
from dsr.main import create_app
from dsr.settings import Settings
from tests.helpers import (
    BACKENDS,
    IN_CI,
    PASSWORD,
    PG_ADMIN_URL,
    Console,
    Mailbox,
    NewBrowser,
    create_pg_database,
    csrf_in,
    drop_pg_database,
    free_port,
    login,
    make_settings,
    make_staff,
)
from tests.sql_targets import TARGETS, Target, make_target

# --- SMTP -------------------------------------------------------------------------------------


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        if self.box.refuse:
            return self.box.refusal
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.box.messages.append(msg)
        return "250 OK"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Controller, Mailbox]]:
    box = Mailbox()
    controller = Controller(_Handler(box), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, box
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Controller, Mailbox]) -> Iterator[Mailbox]:
    _, box = smtp_server
    box.clear()
    yield box
    box.clear()


# --- databases --------------------------------------------------------------------------------


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated, empty database of each backend, shared by the tests of a run."""
    backend = request.param
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "dsr.sqlite3"
        url = f"sqlite+aiosqlite:///{path}"
        name = None
    else:
        try:
            name, url = await create_pg_database()
        except (OSError, sa.exc.OperationalError, sa.exc.DBAPIError) as exc:
            if IN_CI:
                pytest.fail(
                    f"PostgreSQL is required in CI but unreachable at {PG_ADMIN_URL}: {exc}"
                )
            pytest.skip(
                f"PostgreSQL unreachable at {PG_ADMIN_URL} (set CI=true to make this fatal)"
            )
    engine = make_engine(Settings(database_url=url, secret_key="x"))
    await upgrade(engine)
    await engine.dispose()
    yield url
    if name:
        await drop_pg_database(name)


async def _truncate(engine: AsyncEngine) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    async with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(
                sa.text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            )
        else:
            for t in tables:
                await conn.execute(sa.text(f'DELETE FROM "{t}"'))


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module (or with indirect parametrisation) to change settings."""
    return {}


@pytest.fixture
async def settings(
    database_url: str,
    smtp_server: tuple[Controller, Mailbox],
    tmp_path: Path,
    settings_overrides: dict[str, Any],
) -> Settings:
    controller, _ = smtp_server
    return make_settings(database_url, controller.port, tmp_path, **settings_overrides)


@pytest.fixture
async def app(
    settings: Settings,
    mailbox: Mailbox,
) -> AsyncIterator[FastAPI]:
    del mailbox  # requested only so that every test starts with an empty mailbox
    application = create_app(settings)
    await _truncate(application.state.engine)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def backend(settings: Settings) -> str:
    return "sqlite" if settings.is_sqlite else "postgresql"


@pytest.fixture
async def console(app: FastAPI) -> AsyncIterator[Console]:
    """A logged-in browser (its own cookie jar) for a staff member of the given role."""
    clients: list[httpx.AsyncClient] = []

    async def login(role: str) -> httpx.AsyncClient:
        email = f"{role}@example.com"
        await make_staff(app, email, role, PASSWORD)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50001))
        c = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(c)
        page = await c.get("/console/login")
        r = await c.post(
            "/console/login",
            data={"email": email, "password": PASSWORD, "csrf_token": csrf_in(page.text)},
        )
        assert r.status_code == 303, r.text
        return c

    yield login
    for c in clients:
        await c.aclose()


# --- target databases of the SQL connector (tests/sql_targets.py) -----------------------------


@pytest.fixture(params=TARGETS)
async def chat_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Target]:
    """The example chat schema, seeded, on a throw-away SQLite, PostgreSQL or MariaDB database."""
    async for t in make_target(request.param, tmp_path):
        yield t


@pytest.fixture
async def browser_for(app: FastAPI) -> AsyncIterator[NewBrowser]:
    """A separate cookie jar per staff member, as separate browsers would have; with an e-mail,
    logged in through the console's form."""
    clients: list[httpx.AsyncClient] = []

    async def make(email: str | None = None) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50001))
        c = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        clients.append(c)
        if email:
            assert (await login(c, email)).status_code == 303
        return c

    yield make
    for c in clients:
        await c.aclose()
