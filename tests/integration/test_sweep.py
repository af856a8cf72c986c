"""The periodic sweep: expiry of unverified requests, reminders before a deadline, escalation
when overdue. Each is sent once however often the sweep runs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from dsr.cases.models import Case
from dsr.cases.sweep import sweep
from tests.helpers import act, auth, make_staff, open_case


async def outbox_kinds(app) -> list[tuple[str, str]]:
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT kind, recipient FROM outbox_message ORDER BY id"))
        return [(k, r) for k, r in rows]


async def respond_by(app, case_id: str):
    async with app.state.sessionmaker() as s:
        return (await s.get(Case, uuid.UUID(case_id))).respond_by


def noon(d) -> datetime:
    return datetime.combine(d, time(12), tzinfo=UTC)


async def test_reminder_once_before_deadline_and_again_after_extension(
    app, client, mailbox, settings
):
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


async def test_overdue_is_escalated_to_admins_once(app, client, mailbox, settings):
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


async def test_unverified_requests_expire(app, client, mailbox, settings):
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
