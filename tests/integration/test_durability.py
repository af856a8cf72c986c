"""Faults: a request that got its 201 survives the server being killed a moment later, and mail
that cannot be sent waits in the outbox, without personal data in its error, until it is sent
exactly once."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dsr.db.types import utcnow
from dsr.notifications.dispatcher import dispatch_once
from dsr.notifications.models import OutboxMessage
from dsr.settings import Settings
from tests.helpers import Mailbox, deliver, free_port
from tests.live_server import LiveServer

NAME = "Grace Hopper"
# What the service logs through here. The test's own SMTP server (aiosmtpd) logs addresses: that
# is the receiving side, not us. SQLAlchemy at DEBUG is checked in tests/api/test_intake_limits.py.
OUR_LOGGERS = ("dsr", "aiosmtplib")


def body(n: int) -> dict[str, Any]:
    return {
        "type": "deletion",
        "jurisdiction": "US-CA",
        "email": f"durable{n}@example.org",
        "full_name": NAME,
    }


class Server(LiveServer):
    """`dsr serve --no-worker` in a child process, as an operator would run it, that the tests
    kill as a crash would."""

    def __init__(self, database_url: str, workdir: Path) -> None:
        super().__init__(
            database_url,
            workdir,
            DSR_SECRET_KEY="durability-test-secret",
            DSR_RATE_LIMIT_IP="1000/minute",
            DSR_RATE_LIMIT_EMAIL="1000/minute",
        )

    async def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing, as in a crash."""
        if self.proc and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()


@pytest.fixture
async def server(app: FastAPI, tmp_path: Path) -> AsyncIterator[Server]:
    """A server process over the (emptied) test database of the backend under test: a SQLite
    file or a PostgreSQL database."""
    s = Server(app.state.settings.database_url, tmp_path)
    yield s
    await s.kill()


async def rows(app: FastAPI, sql: str, **params: Any) -> list[Any]:
    async with app.state.engine.connect() as conn:
        return list((await conn.execute(sa.text(sql), params)).all())


async def test_acknowledged_request_survives_kill_9(
    app: FastAPI, server: Server, mailbox: Mailbox
) -> None:
    await server.start()
    ids: list[str] = []
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as c:
        for n in range(5):
            r = await c.post("/api/v1/requests", json=body(n))
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
    await server.kill()  # the moment after the last 201
    assert server.proc is not None
    assert server.proc.returncode == -9

    # Read the database directly, through a connection that is not the server's.
    cases = await rows(app, "SELECT id, status FROM case_record")
    assert len(cases) == 5
    assert {s for _, s in cases} == {"pending_verification"}
    async with app.state.engine.connect() as conn:  # typed columns: the recipient is sealed
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        outbox = (
            await conn.execute(sa.select(table.c.kind, table.c.recipient, table.c.status))
        ).all()
    assert sorted(r[1] for r in outbox) == sorted(body(n)["email"] for n in range(5))
    assert {(k, s) for k, _, s in outbox} == {("verification", "pending")}
    events = await rows(app, "SELECT action FROM case_event")
    assert [a for (a,) in events] == ["submit"] * 5

    # The restarted server works on the same data, and the outbox row becomes a real e-mail
    # with a working link.
    await server.start()
    assert await deliver(app) == (5, 0)
    assert len(mailbox.messages) == 5
    last = ids[-1]
    assert any(last in str(m.get_body(preferencelist=("plain",))) for m in mailbox.messages)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as c:
        assert (await c.get("/readyz")).status_code == 200
        r = await c.post("/api/v1/requests", json=body(99))
        assert r.status_code == 201
    await server.kill()


# --- SMTP down --------------------------------------------------------------------------------


def _no_personal_data(text: str | None, email: str) -> None:
    assert text is not None
    for secret in (email, email.split("@")[0], NAME, NAME.split()[0]):
        assert secret.lower() not in text.lower(), text


@pytest.mark.parametrize("outage", ["refused_451", "nothing_listening"])
async def test_smtp_down_keeps_the_message_then_sends_it_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    outage: str,
) -> None:
    email = "durable0@example.org"
    r = await client.post("/api/v1/requests", json=body(0))
    assert r.status_code == 201
    case_id = uuid.UUID(r.json()["id"])

    if outage == "refused_451":
        mailbox.refuse = True
    else:
        app.state.settings = settings.model_copy(update={"smtp_port": free_port()})

    factory = app.state.sessionmaker
    now = utcnow()
    for logger in OUR_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=logger)
    for attempt in range(1, 4):
        assert await dispatch_once(factory, app.state.settings, now=now) == (0, 1)
        [(status, attempts, last_error)] = await rows(
            app, "SELECT status, attempts, last_error FROM outbox_message"
        )
        assert (status, attempts) == ("pending", attempt)
        _no_personal_data(last_error, email)
        assert ("451" in last_error) == (outage == "refused_451")
        # Not due again before its backoff: nothing is sent twice in a tight loop.
        assert await dispatch_once(factory, app.state.settings, now=now) == (0, 0)
        now += timedelta(hours=2)
    ours = [r for r in caplog.records if r.name.split(".")[0] in OUR_LOGGERS]
    assert any("failed" in r.getMessage() for r in ours)
    for record in ours:
        _no_personal_data(record.getMessage(), email)
    assert mailbox.messages == []

    # SMTP is back: sent once, however often the worker runs.
    mailbox.refuse = False
    app.state.settings = settings
    results = [await dispatch_once(factory, settings, now=now) for _ in range(3)]
    results += [await dispatch_once(factory, settings, now=now + timedelta(days=1))]
    assert results == [(1, 0), (0, 0), (0, 0), (0, 0)]
    assert len(mailbox.to(email)) == 1
    [(status, attempts, sent_at)] = await rows(
        app, "SELECT status, attempts, sent_at FROM outbox_message WHERE case_id IS NOT NULL"
    )
    assert status == "sent"
    assert attempts == 4
    assert sent_at is not None
    assert str(case_id) in str(mailbox.to(email)[0].get_body(preferencelist=("plain",)))
