"""Retention (README, "Protecting the data dsr holds"): closed cases past DSR_RETENTION_DAYS are
redacted to the record the law requires, the audit chain still verifies, and delivered e-mails
and spent tokens are purged; by the sweep and by `dsr retention run [--dry-run]`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from sqlmodel import col, select

from dsr.audit import verify_all
from dsr.cases.models import Case, CaseEvent, CaseToken
from dsr.cases.sweep import sweep
from dsr.notifications.models import OutboxMessage
from dsr.retention.service import run
from dsr.settings import Settings
from tests.helpers import Mailbox, act, make_staff, open_case

DSR = Path(sys.executable).with_name("dsr")
EMAIL, NAME = "ottilie.brandwein-5521@example.org", "Ottilie Brandwein"


async def _denied_case(client: httpx.AsyncClient, app: FastAPI, mailbox: Mailbox) -> str:
    handler = await make_staff(app, "handler@example.com", "handler")
    case_id = await open_case(
        client,
        app,
        mailbox,
        type="correction",
        email=EMAIL,
        full_name=NAME,
        account_id="acct-ob-5521",
        details="My maiden name is Kettleworth.",
        correction={"inaccurate_data": "Lives in Ghent", "corrected_data": "Lives in Bruges"},
    )
    r = await act(client, handler, case_id, "note", text="Phoned Ms Brandwein at home")
    assert r.status_code == 200, r.text
    r = await act(
        client,
        handler,
        case_id,
        "deny",
        reason_code="exception_applies",
        explanation="Ms Brandwein's record is under a legal hold.",
    )
    assert r.status_code == 200, r.text
    return case_id


def _dsr(settings: Settings, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DSR_DATABASE_URL": settings.database_url,
        "DSR_SECRET_KEY": settings.secret_key,
        "DSR_VAR_DIR": str(cwd),  # where the app keeps its encryption key
    }
    return subprocess.run(
        [str(DSR), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


async def _case(app: FastAPI, case_id: str) -> Case:
    async with app.state.sessionmaker() as session:
        case = await session.get(Case, uuid.UUID(case_id))
    assert isinstance(case, Case)
    return case


async def _events(app: FastAPI, case_id: str) -> list[CaseEvent]:
    async with app.state.sessionmaker() as session:
        stmt = (
            select(CaseEvent)
            .where(col(CaseEvent.case_id) == uuid.UUID(case_id))
            .order_by(col(CaseEvent.seq))
        )
        return list((await session.exec(stmt)).all())


async def test_closed_cases_past_retention_are_redacted_and_the_chain_still_verifies(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    old = await _denied_case(client, app, mailbox)
    still_open = await open_case(client, app, mailbox, email="still.open@example.org")
    closed = (await _case(app, old)).closed_at
    assert closed is not None
    factory = app.state.sessionmaker

    # 730 days after closing is not yet past retention; a dry run counts and changes nothing.
    assert (await run(factory, settings, closed + timedelta(days=729))).cases == 0
    later = closed + timedelta(days=731)
    dry = await run(factory, settings, later, dry_run=True)
    assert dry.cases == 1
    assert (await _case(app, old)).email == EMAIL

    # submit, verify, note, deny, and each e-mail's delivery (whose data names the message).
    texts = [e for e in await _events(app, old) if e.reason is not None or e.data]
    assert {e.action for e in texts} - {"message_sent"} == {"submit", "verify", "note", "deny"}
    done = await run(factory, settings, later)
    assert done.cases == 1
    assert done.events == len(texts)
    assert done.tokens >= 1

    case = await _case(app, old)
    assert (case.email, case.full_name, case.email_hash) == ("", "", None)
    assert (case.account_id, case.details, case.type_data, case.decision_explanation) == (
        None,
        None,
        None,
        None,
    )
    assert case.redacted_at == later
    # The record CCPA §7101 asks for stays.
    assert (case.type, case.channel, case.jurisdiction, case.status) == (
        "correction",
        "web",
        "EU",
        "denied",
    )
    assert case.decision_reason_code == "exception_applies"
    assert case.received_at is not None
    assert case.closed_at == closed
    events = await _events(app, old)
    assert all(e.reason is None and e.data == {} for e in events[:-1])
    assert events[-1].action == "redacted"
    kept = [e.action for e in events if not e.action.startswith("message_")]
    assert kept[:3] == ["submit", "verify", "note"]  # what happened, kept
    assert (await verify_all(app.state.engine)).ok

    async with factory() as session:
        tokens = (await session.exec(select(CaseToken).where(CaseToken.case_id == case.id))).all()
        mails = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.case_id == case.id))
        ).all()
    assert tokens == []
    assert mails
    # Delivered e-mails were purged a day after delivery (the first run), the rest now.
    assert all(m.recipient == "" and m.context == {} and m.purged_at for m in mails)

    assert (await _case(app, still_open)).email == "still.open@example.org"  # not closed: kept
    again = await run(factory, settings, later + timedelta(days=1))
    assert again.cases == 0  # once


async def test_texts_removed_outside_retention_are_reported(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    case_id = await _denied_case(client, app, mailbox)
    note = next(e for e in await _events(app, case_id) if e.action == "note")
    table = CaseEvent.__table__  # type: ignore[attr-defined]
    async with app.state.engine.begin() as conn:
        await conn.execute(
            sa.update(table).where(table.c.id == note.id).values(reason=None, body_salt=None)
        )
    result = await verify_all(app.state.engine)
    assert not result.ok
    assert (result.broken_case, result.broken_seq) == (case_id, note.seq)
    assert "removed" in (result.problem or "")


async def test_the_sweep_and_the_command_apply_retention(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings, tmp_path: Path
) -> None:
    case_id = await _denied_case(client, app, mailbox)
    # Hand-built age: closed 800 days ago.
    table = Case.__table__  # type: ignore[attr-defined]
    long_ago = datetime.now(UTC) - timedelta(days=800)
    async with app.state.engine.begin() as conn:
        await conn.execute(
            sa.update(table).where(table.c.id == uuid.UUID(case_id)).values(closed_at=long_ago)
        )
    r = _dsr(settings, tmp_path, "retention", "run", "--dry-run")
    assert r.returncode == 0, r.stderr
    counts = json.loads(r.stdout.strip().splitlines()[-1])
    assert counts["dry_run"] is True
    assert counts["cases_redacted"] == 1
    assert "would be" in r.stdout
    assert (await _case(app, case_id)).email == EMAIL

    result = await sweep(app.state.sessionmaker, settings, datetime.now(UTC))
    assert result["cases_redacted"] == 1
    assert (await _case(app, case_id)).email == ""
    assert (await verify_all(app.state.engine)).ok
