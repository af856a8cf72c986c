"""The periodic sweep: expiry of unverified requests, reminders before a deadline, escalation
when overdue. Each is sent once however often the sweep runs."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, date, datetime, time, timedelta

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dsr.cases.models import Case
from dsr.cases.sweep import BATCH, sweep
from dsr.notifications.models import OutboxMessage
from dsr.settings import Settings
from tests.helpers import Mailbox, act, auth, make_staff, open_case

OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


async def outbox_kinds(app: FastAPI) -> list[tuple[str, str]]:
    async with app.state.engine.connect() as conn:
        # Typed columns, not raw SQL: the recipient is sealed at rest.
        rows = await conn.execute(
            sa.select(OUTBOX.c.kind, OUTBOX.c.recipient).order_by(OUTBOX.c.id)
        )
        return [(k, r) for k, r in rows]


async def respond_by(app: FastAPI, case_id: str) -> date:
    async with app.state.sessionmaker() as s:
        case: Case | None = await s.get(Case, uuid.UUID(case_id))
        assert case is not None
        return case.respond_by


def noon(d: date) -> datetime:
    return datetime.combine(d, time(12), tzinfo=UTC)


async def test_reminder_once_before_deadline_and_again_after_extension(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    handler = await make_staff(app, "handler@example.com", "handler")
    await make_staff(app, "admin@example.com", "admin")
    case_id = await open_case(client, app, mailbox, jurisdiction="US-CA")
    await act(client, handler, case_id, "assign", assignee="handler@example.com")
    due = await respond_by(app, case_id)
    factory = app.state.sessionmaker

    early = await sweep(
        factory, settings, noon(due - timedelta(days=settings.reminder_days_ahead + 1))
    )
    assert early["reminded"] == 0
    first = await sweep(factory, settings, noon(due - timedelta(days=2)))
    assert first["reminded"] == 1
    again = await sweep(factory, settings, noon(due - timedelta(days=1)))
    assert again["reminded"] == 0
    reminders = [k for k in await outbox_kinds(app) if k[0] == "deadline_approaching"]
    assert reminders == [("deadline_approaching", "handler@example.com")]

    r = await act(client, handler, case_id, "extend", reason="Many systems to search")
    assert r.status_code == 200
    new_due = await respond_by(app, case_id)
    assert new_due > due
    later = await sweep(factory, settings, noon(new_due - timedelta(days=1)))
    assert later["reminded"] == 1


async def test_overdue_is_escalated_to_admins_once(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    await make_staff(app, "admin@example.com", "admin")
    await make_staff(app, "admin2@example.com", "admin")
    case_id = await open_case(client, app, mailbox, jurisdiction="BR")
    due = await respond_by(app, case_id)
    factory = app.state.sessionmaker
    assert (await sweep(factory, settings, noon(due)))["escalated"] == 0
    result = await sweep(factory, settings, noon(due + timedelta(days=1)))
    assert result["escalated"] == 1
    assert (await sweep(factory, settings, noon(due + timedelta(days=2))))["escalated"] == 0
    missed = sorted(r for k, r in await outbox_kinds(app) if k == "deadline_missed")
    assert missed == ["admin2@example.com", "admin@example.com"]


async def test_unverified_requests_expire(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    token = await make_staff(app, "handler@example.com", "handler")
    r = await client.post(
        "/api/v1/requests",
        json={
            "type": "access",
            "jurisdiction": "GB",
            "email": "late@example.org",
            "full_name": "Late Larry",
        },
    )
    case_id = r.json()["id"]
    now = datetime.now(UTC)
    assert (await sweep(app.state.sessionmaker, settings, now))["expired"] == 0
    later = now + timedelta(hours=settings.unverified_expiry_hours, minutes=1)
    assert (await sweep(app.state.sessionmaker, settings, later))["expired"] == 1
    assert (await sweep(app.state.sessionmaker, settings, later))["expired"] == 0
    case = (await client.get(f"/api/v1/cases/{case_id}", headers=auth(token))).json()
    assert case["status"] == "unverified"
    events = (await client.get(f"/api/v1/cases/{case_id}/events", headers=auth(token))).json()
    assert [e["action"] for e in events] == ["submit", "expire"]


async def test_sweep_over_more_than_a_batch_sends_each_notice_once(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    """BATCH + 37 cases due soon (some assigned, some not) and BATCH + 3 overdue: two sweeps at
    once, then a third, write one reminder per case and recipient and one escalation per case
    and admin, and leave every case's version (a staff member's open form) alone."""
    handler = await make_staff(app, "handler@example.com", "handler")
    await make_staff(app, "admin@example.com", "admin")
    await make_staff(app, "admin2@example.com", "admin")
    case_id = await open_case(client, app, mailbox, jurisdiction="GB")
    await act(client, handler, case_id, "assign", assignee="handler@example.com")
    due = await respond_by(app, case_id)
    admins = ["admin2@example.com", "admin@example.com"]
    expect_reminders = {(case_id, "handler@example.com")}
    expect_escalations = set()
    async with app.state.sessionmaker() as s, s.begin():
        base = await s.get(Case, uuid.UUID(case_id))
        assert base is not None
        data = base.model_dump(exclude={"id", "reference", "version", "respond_by", "assignee_id"})
        for i in range(2 * BATCH + 40):
            soon, assigned = i < BATCH + 37, i % 2 == 1
            case = Case(
                **data,
                reference=f"T-{i:05d}",
                respond_by=due if soon else due - timedelta(days=10 + i % 7),
                assignee_id=base.assignee_id if assigned else None,
            )
            s.add(case)
            if not soon:
                expect_escalations |= {(str(case.id), a) for a in admins}
            elif assigned:
                expect_reminders.add((str(case.id), "handler@example.com"))
            else:  # nobody assigned: the fallback role of a case is admin
                expect_reminders |= {(str(case.id), a) for a in admins}
    async with app.state.engine.connect() as conn:
        versions = dict((await conn.execute(sa.text("SELECT id, version FROM case_record"))).all())

    now = noon(due - timedelta(days=1))
    factory = app.state.sessionmaker
    first = await asyncio.gather(sweep(factory, settings, now), sweep(factory, settings, now))
    assert sum(r["reminded"] for r in first) == BATCH + 38  # the clones and the original
    assert sum(r["escalated"] for r in first) == BATCH + 3
    assert await sweep(factory, settings, now) == {
        "expired": 0,
        "reminded": 0,
        "escalated": 0,
        "failed": 0,
        "packages_erased": 0,
        "cases_redacted": 0,
        "messages_purged": 0,
    }

    async with app.state.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(OUTBOX.c.kind, OUTBOX.c.case_id, OUTBOX.c.recipient, OUTBOX.c.dedup_key)
            )
        ).all()
        after = dict((await conn.execute(sa.text("SELECT id, version FROM case_record"))).all())
    assert after == versions
    reminders = sorted((_uid(c), r) for k, c, r, _ in rows if k == "deadline_approaching")
    escalations = sorted((_uid(c), r) for k, c, r, _ in rows if k == "deadline_missed")
    assert reminders == sorted(expect_reminders)  # sorted lists, not sets: no doubles either
    assert escalations == sorted(expect_escalations)
    assert len({key for *_, key in rows}) == len(rows)


def _uid(raw: object) -> str:
    return str(uuid.UUID(str(raw)))  # SQLite stores a uuid as 32 hex digits, PostgreSQL as uuid


# 194 characters: a 64-character local part (the most RFC 5321 allows) and a long domain.
LONG_EMAIL = "a" * 64 + "@" + "b" * 58 + "." + "c" * 58 + ".example.com"


async def test_a_long_staff_address_keeps_dedup_keys_short(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    """Issue 12, defect 3: the reminder's key held the address, so on PostgreSQL a 194-character
    one overflowed the 200-character column and failed the whole sweep on every run."""
    assert len(LONG_EMAIL) == 194
    handler = await make_staff(app, LONG_EMAIL, "handler")
    await make_staff(app, "admin@example.com", "admin")
    case_id = await open_case(client, app, mailbox, jurisdiction="US-CA")
    await act(client, handler, case_id, "assign", assignee=LONG_EMAIL)
    due = await respond_by(app, case_id)
    result = await sweep(app.state.sessionmaker, settings, noon(due - timedelta(days=2)))
    assert result["reminded"] == 1
    assert ("deadline_approaching", LONG_EMAIL) in await outbox_kinds(app)
    async with app.state.engine.connect() as conn:
        keys = (await conn.execute(sa.text("SELECT dedup_key FROM outbox_message"))).scalars()
        assert max(len(k) for k in keys) <= 140


# The trigger picks the refused row by its case: the recipient is sealed at rest.
REFUSE_ON_SQLITE = """
CREATE TRIGGER refuse_one_recipient BEFORE INSERT ON outbox_message
WHEN NEW.case_id = '{hex}'
BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
"""
REFUSE_ON_POSTGRESQL = [
    """
    CREATE FUNCTION refuse_one_recipient() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.case_id = '{uuid}'::uuid THEN RAISE EXCEPTION 'refused by the test'; END IF;
      RETURN NEW;
    END $$
    """,
    """
    CREATE TRIGGER refuse_one_recipient BEFORE INSERT ON outbox_message
    FOR EACH ROW EXECUTE FUNCTION refuse_one_recipient()
    """,
]
# What the log names: the exception's class only, never its message (which may quote values).
ERROR = {"sqlite": "IntegrityError", "postgresql": "DBAPIError"}
UNREFUSE = {
    "sqlite": ["DROP TRIGGER refuse_one_recipient"],
    "postgresql": [
        "DROP TRIGGER refuse_one_recipient ON outbox_message",
        "DROP FUNCTION refuse_one_recipient()",
    ],
}


async def test_one_failing_row_does_not_stop_the_sweep(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    settings: Settings,
    backend: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A row whose notice the database refuses (here a trigger refuses one recipient) is logged,
    without personal data, and counted as failed; every other case still gets its reminder, and
    the failed one is tried again on the next run."""
    refused = await make_staff(app, "refused@example.com", "handler")
    handler = await make_staff(app, "handler@example.com", "handler")
    await make_staff(app, "admin@example.com", "admin")
    bad = await open_case(client, app, mailbox, jurisdiction="US-CA")
    good = await open_case(client, app, mailbox, jurisdiction="US-CA", email="other@example.org")
    await act(client, refused, bad, "assign", assignee="refused@example.com")
    await act(client, handler, good, "assign", assignee="handler@example.com")
    due = await respond_by(app, good)
    assert await respond_by(app, bad) == due
    refuse = [REFUSE_ON_SQLITE] if backend == "sqlite" else REFUSE_ON_POSTGRESQL
    async with app.state.engine.begin() as conn:
        for statement in refuse:
            ids = {"hex": uuid.UUID(bad).hex, "uuid": bad}
            await conn.execute(
                sa.text(statement.replace("{hex}", ids["hex"]).replace("{uuid}", bad))
            )
    try:
        caplog.set_level(logging.WARNING, logger="dsr.sweep")
        now = noon(due - timedelta(days=2))
        result = await sweep(app.state.sessionmaker, settings, now)
        assert (result["reminded"], result["failed"]) == (1, 1)
        reminders = [k for k in await outbox_kinds(app) if k[0] == "deadline_approaching"]
        assert reminders == [("deadline_approaching", "handler@example.com")]
        again = await sweep(app.state.sessionmaker, settings, now)
        assert (again["reminded"], again["failed"]) == (0, 1)
    finally:
        async with app.state.engine.begin() as conn:
            for statement in UNREFUSE[backend]:
                await conn.execute(sa.text(statement))
    logged = [r.getMessage() for r in caplog.records if r.name == "dsr.sweep"]
    assert (
        logged
        == [f"sweep: the notices of case {bad} failed ({ERROR[backend]}); tried next run"] * 2
    )
