"""Requester capabilities: single-use verification links and the long-lived status link."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.models import CaseToken
from dsr.credentials import derive_case_token, sha256_hex
from dsr.settings import Settings


def new_token(
    settings: Settings, case_id: uuid.UUID, purpose: str, now: datetime, ttl: timedelta
) -> CaseToken:
    token_id = uuid.uuid4()
    token = derive_case_token(settings.secret_key, token_id, purpose)
    return CaseToken(
        id=token_id,
        case_id=case_id,
        purpose=purpose,
        token_hash=sha256_hex(token),
        created_at=now,
        expires_at=now + ttl,
    )


async def find(
    session: AsyncSession, case_id: uuid.UUID, purpose: str, token: str
) -> CaseToken | None:
    stmt = select(CaseToken).where(
        CaseToken.token_hash == sha256_hex(token),
        CaseToken.case_id == case_id,
        CaseToken.purpose == purpose,
    )
    return (await session.exec(stmt)).first()


async def record_failed_attempt(session: AsyncSession, case_id: uuid.UUID, purpose: str) -> None:
    """Kept although the answer is a 4xx: the caller raises InvalidLink, which commits."""
    await session.exec(
        update(CaseToken)
        .where(
            col(CaseToken.case_id) == case_id,
            col(CaseToken.purpose) == purpose,
            col(CaseToken.used_at).is_(None),
        )
        .values(failed_attempts=CaseToken.failed_attempts + 1)
    )


async def status_token_id(session: AsyncSession, case_id: uuid.UUID) -> str | None:
    """The id of the case's newest status link, which e-mails name so the link can be rebuilt."""
    stmt = (
        select(CaseToken.id)
        .where(CaseToken.case_id == case_id, CaseToken.purpose == "status")
        .order_by(col(CaseToken.created_at).desc())
        .limit(1)
    )
    found = (await session.exec(stmt)).first()
    return str(found) if found else None
