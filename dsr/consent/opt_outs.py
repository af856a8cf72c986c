"""Opt-outs of sale/sharing and targeted advertising (docs/legal.md, "Opt-outs"): recorded from a
Global Privacy Control signal or an opt_out request, and answered through the eligibility API
for the opt-out purposes. Services never commit: the caller's transaction owns the writes.

    GPC signal for a subject key              -> an opt-out, once however often it is sent
    opt_out request opened (no verification)  -> an opt-out of each of the case's keys
    opt_out request denied or withdrawn       -> that request's opt-outs lifted
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.models import Case
from dsr.consent import ledger
from dsr.consent import opt_out_repository as repo
from dsr.consent.exclusions import subject_keys
from dsr.consent.models import OptOut
from dsr.errors import InvalidInput

GPC = "gpc"
REQUEST = "request"


@dataclass(frozen=True)
class Recorded:
    subject: str
    recorded: bool  # False: this subject's GPC opt-out was recorded before
    recorded_at: datetime | None


async def record_gpc(
    session: AsyncSession, *, subject: str, observed_at: datetime, skew_allowed: float
) -> Recorded:
    """A GPC signal (Sec-GPC: 1) a provider's site saw for a signed-in subject. Under the ledger
    lock, so two signals at once still record one opt-out."""
    now = await ledger.lock_for_write(session)
    if (observed_at - now).total_seconds() > skew_allowed:
        raise InvalidInput("observed_at: must not be in the future")
    key = f"{GPC}:{subject}"
    if await repo.existing_keys(session, [key]):
        return Recorded(subject, False, None)
    session.add(
        OptOut(
            subject=subject,
            source=GPC,
            dedup_key=key,
            observed_at=min(observed_at, now),
            recorded_at=now,
        )
    )
    await session.flush()
    return Recorded(subject, True, now)


async def on_request_opened(session: AsyncSession, case: Case, now: datetime) -> None:
    """An opt_out request opened: each of its subject keys is opted out at once (the law wants it
    honoured without verification, 11 CCR 7026(d))."""
    at = await ledger.lock_for_write(session)
    wanted = {f"{REQUEST}:{case.id}:{k}": k for k in subject_keys(case)}
    have = await repo.existing_keys(session, list(wanted))
    for dedup, subject in wanted.items():
        if dedup not in have:
            session.add(
                OptOut(
                    subject=subject,
                    source=REQUEST,
                    case_id=case.id,
                    dedup_key=dedup,
                    observed_at=min(case.received_at, now),
                    recorded_at=at,
                )
            )
    await session.flush()


async def on_request_closed_without_effect(session: AsyncSession, case: Case) -> None:
    """A denied (e.g. documented fraud) or withdrawn opt_out request no longer opts anyone out."""
    at = await ledger.lock_for_write(session)
    for row in await repo.of_case(session, case.id):
        if row.lifted_at is None:
            row.lifted_at = at
            session.add(row)
    await session.flush()


async def opted_out(session: AsyncSession, keys: list[str], as_of: datetime) -> set[str]:
    return await repo.opted_out(session, keys, as_of)


async def of_subjects(session: AsyncSession, subjects: list[str]) -> list[OptOut]:
    return await repo.of_subjects(session, subjects)
