"""Redacting closed cases once the retention period is over, and purging what delivery no longer
needs. Run by the deadline sweep (dsr.cases.sweep) and by `dsr retention run [--dry-run]`.

What a redacted case keeps is the record CCPA regulations §7101 require for 24 months (docs/
legal.md): the dates, the request's type, channel and jurisdiction, the outcome (status) and its
reason code, and the timeline's events (when, who, which action, which status) with their hash
chain. What goes: the requester's address, name, account id and details, the type's own object,
every free text (decision explanation, appeal reason, task notes, the timeline's texts), the
capability tokens, the e-mails' recipients and contents, the data systems' results, the access
package and an authorized agent's signed permission. The timeline hashes a salted digest of each
event's texts (dsr.cases.timeline), so dropping the texts and their salt leaves the chain
intact; a `redacted` event records it.

Left as they are: exclusions and suppression rules (they keep a fulfilled deletion or output
removal honoured, which is what the person asked for)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.audit import REDACTED
from dsr.cases import proofs, timeline
from dsr.cases.models import Case
from dsr.domain.context import SYSTEM
from dsr.fulfilment.expiry import erase_package
from dsr.fulfilment.results import erase_results
from dsr.retention import repository as repo
from dsr.settings import Settings

BATCH = 100
# Delivered e-mails and spent verification links are purged a day after: long enough to answer
# "was it sent?" from the row, which keeps its kind, status and times.
PURGE_GRACE = timedelta(days=1)
log = logging.getLogger("dsr.retention")


@dataclass
class RetentionReport:
    cases: int = 0  # redacted (or, in a dry run, that would be)
    events: int = 0  # timeline events whose texts went
    packages: int = 0
    results: int = 0
    proofs: int = 0  # authorized agents' signed permissions
    tokens: int = 0
    messages: int = 0  # outbox rows whose recipient and contents went
    dry_run: bool = False

    def as_dict(self) -> dict[str, int]:
        return {
            "cases_redacted": self.cases,
            "events_redacted": self.events,
            "packages_erased": self.packages,
            "results_erased": self.results,
            "agent_proofs_erased": self.proofs,
            "tokens_deleted": self.tokens,
            "messages_purged": self.messages,
        }


def cutoff(settings: Settings, now: datetime) -> datetime:
    """Cases closed at or before this moment are past retention."""
    return now - timedelta(days=settings.retention_days)


async def redact_case(
    session: AsyncSession, *, settings: Settings, case: Case, now: datetime
) -> RetentionReport:
    """Erase one closed case's personal data in the caller's transaction."""
    out = RetentionReport(cases=1)
    case.email, case.full_name, case.email_hash = "", "", None
    case.account_id = case.details = case.decision_explanation = None
    case.agent_name = case.agent_email = None  # an authorized agent is personal data too
    case.type_data = None
    case.redacted_at = now
    await repo.erase_drp_claims(session, case.id)
    for appeal in await repo.appeals_of(session, case.id):
        appeal.reason, appeal.explanation = "", None
    tasks = await repo.tasks_of(session, case.id)
    for task in tasks:
        task.note = None
    for package in await repo.live_packages_of(session, case.id):
        await erase_package(session, settings=settings, package=package, now=now)
        out.packages += 1
    gone = await erase_results(session, settings=settings, task_ids=[t.id for t in tasks], now=now)
    out.results = len(gone)
    out.proofs = await proofs.erase(session, settings=settings, case_id=case.id, now=now)
    for ev in await repo.events_of(session, case.id):
        if ev.body_digest and ev.body_salt is not None:
            ev.reason, ev.data, ev.body_salt, ev.redacted_at = None, {}, None, now
            out.events += 1
    await session.flush()
    await timeline.record(
        session,
        case,
        at=now,
        actor_kind=SYSTEM.kind,
        actor_id=None,
        action=REDACTED,
        data={"retention_days": settings.retention_days, "events": out.events},
    )
    out.tokens = await repo.delete_tokens_of(session, case.id)
    out.messages = await repo.purge_messages(session, now, case_id=case.id)
    log.info("retention: case %s redacted (%d events)", case.id, out.events)
    return out


async def run(
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    *,
    dry_run: bool = False,
) -> RetentionReport:
    """Redact every case past retention, a batch per transaction, then purge delivered e-mails
    and spent verification links. A dry run counts what would be done and changes nothing."""
    total = RetentionReport(dry_run=dry_run)
    before = cutoff(settings, now)
    if dry_run:
        async with factory() as session:
            total.cases = await repo.count_due(session, before)
            total.messages = await repo.count_purgeable_messages(session, now - PURGE_GRACE)
            total.tokens = await repo.count_spent_verify_tokens(session, now - PURGE_GRACE)
        return total
    while True:
        async with factory() as session, session.begin():
            cases = await repo.due_cases(session, before, BATCH)
            for case in cases:
                done = await redact_case(session, settings=settings, case=case, now=now)
                _add(total, done)
        if len(cases) < BATCH:
            break
    async with factory() as session, session.begin():
        total.messages += await repo.purge_messages(session, now, before=now - PURGE_GRACE)
        total.tokens += await repo.delete_spent_verify_tokens(session, now - PURGE_GRACE)
    return total


def _add(total: RetentionReport, one: RetentionReport) -> None:
    total.cases += one.cases
    total.events += one.events
    total.packages += one.packages
    total.results += one.results
    total.proofs += one.proofs
    total.tokens += one.tokens
    total.messages += one.messages
