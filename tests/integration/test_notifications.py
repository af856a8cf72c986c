"""The outbox: SMTP down delays notices but loses none; a dead message can be retried by an
admin and is then sent once."""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dsr.notifications.models import OutboxMessage
from dsr.notifications.outbox import MAX_PARAMS, Message, enqueue, enqueue_many
from dsr.settings import Settings
from tests.helpers import Mailbox, auth, deliver, make_staff

# The recipient is sealed at rest: read it through the typed columns, not raw SQL.
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


async def test_failed_notification_listed_and_retried(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    handler = await make_staff(app, "handler@example.com", "handler")
    mailbox.refuse = True
    r = await client.post(
        "/api/v1/requests",
        json={
            "type": "deletion",
            "jurisdiction": "GB",
            "email": "gone@example.org",
            "full_name": "Gone Girl",
        },
    )
    assert r.status_code == 201
    for _ in range(settings.outbox_max_attempts):
        assert await deliver(app) == (0, 1)
        async with app.state.engine.begin() as conn:  # skip the backoff wait
            await conn.execute(sa.text("UPDATE outbox_message SET next_attempt_at = created_at"))
    assert await deliver(app) == (0, 0)
    r = await client.get("/api/v1/notifications", headers=auth(admin))
    assert r.status_code == 200
    [failed] = r.json()
    assert failed["kind"] == "verification"
    assert failed["status"] == "failed"
    assert "gone@example.org" not in r.text
    assert "451" in failed["last_error"]
    assert (await client.get("/api/v1/notifications", headers=auth(handler))).status_code == 403

    mailbox.refuse = False
    r = await client.post(f"/api/v1/notifications/{failed['id']}/retry", headers=auth(admin))
    assert r.status_code == 200
    assert r.json()["status"] == "pending"
    assert await deliver(app) == (1, 0)
    assert await deliver(app) == (0, 0)
    assert len(mailbox.to("gone@example.org")) == 1
    r = await client.post(f"/api/v1/notifications/{failed['id']}/retry", headers=auth(admin))
    assert r.status_code == 409


async def test_enqueue_many_dedups_within_a_call_and_against_existing_rows(app: FastAPI) -> None:
    factory = app.state.sessionmaker
    async with factory() as s, s.begin():
        assert await enqueue(
            s, kind="deadline_missed", recipient="old@example.com", dedup_key="k:0", context={}
        )
    many = [
        Message("deadline_missed", f"r{i}@example.com", f"k:{i}", {"i": i}) for i in range(1000)
    ]
    many.insert(10, Message("deadline_missed", "again@example.com", "k:5", {"i": "again"}))
    assert len(many) > MAX_PARAMS // 9  # more rows than one INSERT takes: several statements
    async with factory() as s, s.begin():
        assert await enqueue_many(s, many) == 999  # k:0 existed; the second k:5 adds nothing
        assert s.info["outbox_enqueued"] is True  # the dispatcher is woken after commit
    async with factory() as s, s.begin():
        assert await enqueue_many(s, many) == 0
        assert not await enqueue(
            s, kind="deadline_missed", recipient="x@example.com", dedup_key="k:7", context={}
        )
        assert "outbox_enqueued" not in s.info  # nothing new: no wake-up
    async with factory() as s, s.begin():
        with pytest.raises(ValueError, match="unknown notification kind"):
            await enqueue_many(s, [many[1], Message("no_such_kind", "y@example.com", "k:new")])
    async with app.state.engine.connect() as conn:
        rows = dict((await conn.execute(sa.select(OUTBOX.c.dedup_key, OUTBOX.c.recipient))).all())
    assert len(rows) == 1000
    assert rows["k:0"] == "old@example.com"  # the existing row is left as it was
    assert rows["k:5"] == "r5@example.com"  # within a call the first one wins
