"""Hand-built cases for the report tests: rows written straight into the real database with the
exact statuses, dates and decisions a test needs, so each report's answer is known in advance."""

from __future__ import annotations

import hashlib
import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from dsr.appeals.models import Appeal
from dsr.cases.data_system_models import CaseTask, DataSystem
from dsr.cases.models import Case

_N = itertools.count(1)


def at(day: str, hour: int = 12) -> datetime:
    """A UTC moment on a day (YYYY-MM-DD)."""
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC) + timedelta(
        hours=hour
    )


def case(
    received: str,
    status: str,
    *,
    type: str = "access",
    decided: datetime | None = None,
    reason: str | None = None,
    closed: datetime | None = None,
    jurisdiction: str = "EU",
    channel: str = "web",
    respond_by: str | None = None,
    email: str = "someone@example.org",
) -> Case:
    n = next(_N)
    received_date = date.fromisoformat(received)
    due = date.fromisoformat(respond_by) if respond_by else received_date + timedelta(days=30)
    return Case(
        reference=f"DSR-TEST-{n:04d}",
        type=type,
        status=status,
        channel=channel,
        jurisdiction=jurisdiction,
        jurisdiction_input=jurisdiction,
        email=email,
        email_hash=hashlib.sha256(email.encode()).hexdigest(),  # any keyed-hash-shaped value
        full_name=f"Person {n}",
        account_id=f"acct-{n}",
        received_at=at(received, 9),
        received_date=received_date,
        respond_by=due,
        original_respond_by=due,
        decided_at=decided,
        decision_reason_code=reason,
        decision_explanation="An exception applies." if reason else None,
        closed_at=closed or (decided if status not in ("appealed", "appeal_in_review") else None),
    )


async def store(app: FastAPI, *rows: Any) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        for row in rows:
            session.add(row)
            await session.flush()


def task(case_row: Case, system: DataSystem, status: str) -> CaseTask:
    return CaseTask(case_id=case_row.id, data_system_id=system.id, status=status)


def system() -> DataSystem:
    return DataSystem(name=f"crm-{uuid.uuid4().hex[:6]}", owner_email="owner@example.com")


def appeal(case_row: Case, status: str, received: str, decided: datetime | None = None) -> Appeal:
    d = date.fromisoformat(received)
    return Appeal(
        case_id=case_row.id,
        status=status,
        statutory=True,
        reason="I disagree",
        received_at=at(received, 10),
        received_date=d,
        respond_by=d + timedelta(days=60),
        original_respond_by=d + timedelta(days=60),
        decided_at=decided,
    )
