"""Append-only, hash-chained case timeline (docs/architecture.md)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.models import Case, CaseEvent
from dsr.domain.events import GENESIS_HASH, canonical_json, event_hash


def body_digest(salt: str, reason: str | None, data: dict[str, Any]) -> str:
    """A hiding commitment to an event's texts: retention erases the texts and the salt, and the
    digest that stays in the hashed payload reveals nothing about them."""
    body = canonical_json({"reason": reason, "data": data})
    return hashlib.sha256((salt + body).encode("utf-8")).hexdigest()


def event_payload(ev: CaseEvent) -> dict[str, Any]:
    """What the chain hashes. The texts enter only through their digest (so dropping them is
    not a break); events chained before the digest existed (body_digest empty: only a chain
    that failed verification when it was migrated) hash their texts directly, as before."""
    payload: dict[str, Any] = {
        "case_id": str(ev.case_id),
        "seq": ev.seq,
        "at": ev.at.isoformat(),
        "actor_kind": ev.actor_kind,
        "actor_id": ev.actor_id,
        "action": ev.action,
        "from_status": ev.from_status,
        "to_status": ev.to_status,
    }
    if ev.body_digest:
        payload["body"] = ev.body_digest
    else:
        payload["reason"], payload["data"] = ev.reason, ev.data
    return payload


def body_problem(ev: CaseEvent) -> str | None:
    """Why an event's texts do not match its digest, if they do not (None once redacted)."""
    if not ev.body_digest or ev.body_salt is None:
        return None
    if body_digest(ev.body_salt, ev.reason, ev.data) != ev.body_digest:
        return "the event's texts do not match their digest (they were changed)"
    return None


async def last_event(session: AsyncSession, case_id: uuid.UUID) -> CaseEvent | None:
    stmt = (
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id)
        .order_by(col(CaseEvent.seq).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def append(
    session: AsyncSession,
    case_id: uuid.UUID,
    *,
    at: datetime,
    actor_kind: str,
    actor_id: str | None,
    action: str,
    from_status: str | None,
    to_status: str | None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
    previous: CaseEvent | None = None,
    first: bool = False,
) -> CaseEvent:
    """Append one event. (case_id, seq) is unique, so a concurrent append fails the transaction
    instead of forking the chain. `first=True` skips the look-up for a brand-new case."""
    prev = None if first else (previous or await last_event(session, case_id))
    ev = CaseEvent(
        case_id=case_id,
        seq=1 if prev is None else prev.seq + 1,
        at=at,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=action,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data or {},
        body_salt=secrets.token_hex(16),
        prev_hash=GENESIS_HASH if prev is None else prev.hash,
        hash="",
    )
    assert ev.body_salt is not None
    ev.body_digest = body_digest(ev.body_salt, ev.reason, ev.data)
    ev.hash = event_hash(ev.prev_hash, event_payload(ev))
    session.add(ev)
    await _move_head(session, case_id, ev)
    return ev


async def record(
    session: AsyncSession,
    case: Case,
    *,
    at: datetime,
    actor_kind: str,
    actor_id: str | None,
    action: str,
    data: dict[str, Any] | None = None,
    reason: str | None = None,
) -> CaseEvent:
    """A fact on the timeline that does not change the case's status: a task closed, a duplicate
    linked, a package built, downloaded or erased."""
    return await append(
        session,
        case.id,
        at=at,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=action,
        from_status=case.status,
        to_status=case.status,
        reason=reason,
        data=data,
    )


_CASE: sa.Table = Case.__table__  # type: ignore[attr-defined]


async def _move_head(session: AsyncSession, case_id: uuid.UUID, ev: CaseEvent) -> None:
    """Record the new last event on the case row. A case not yet inserted carries it in its
    INSERT; otherwise a plain UPDATE of the two columns, which leaves the case's optimistic-lock
    version alone (a note is not a change to the case that should turn away another action)."""
    pending = next((o for o in session.new if isinstance(o, Case) and o.id == case_id), None)
    if pending is not None:
        pending.timeline_seq, pending.timeline_head = ev.seq, ev.hash
        return
    conn = await session.connection()  # Core, not ORM: no autoflush, no version bump
    await conn.execute(
        sa.update(_CASE)
        .where(_CASE.c.id == case_id)
        .values(timeline_seq=ev.seq, timeline_head=ev.hash)
    )


async def events_for(session: AsyncSession, case_id: uuid.UUID) -> list[CaseEvent]:
    stmt = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.seq))
    return list((await session.exec(stmt)).all())
