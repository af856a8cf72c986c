"""The consent ledger, training eligibility, the change feed, the exclusion snapshot and the
suppression feed. Services never commit: the request's session owns the transaction."""

from __future__ import annotations

import itertools
import operator
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.consent import ledger, opt_outs
from dsr.consent import repository as repo
from dsr.consent import suppression_repository as suppressions
from dsr.consent.schemas import (
    ChangeOut,
    ChangesOut,
    ConsentBatchOut,
    ConsentOut,
    ConsentRecordIn,
    ExclusionEventOut,
    HistoryOut,
    OptOutOut,
    SuppressionOut,
    SuppressionsOut,
)
from dsr.domain.eligibility import (
    ELIGIBLE,
    OPT_OUT_PURPOSES,
    ExclusionFact,
    Policy,
    Reason,
    decide_keys,
    decide_opt_out_keys,
    excluded_subjects,
    policy_from_config,
)
from dsr.errors import InvalidInput
from dsr.settings import Settings

# Source systems' clocks drift: a record stamped up to this far ahead of ours is taken as made
# now; further ahead is a bug in the source, refused.
CLOCK_SKEW = timedelta(minutes=5)
HISTORY_LIMIT = 500
SNAPSHOT_BATCH = 5_000


def training_policy(settings: Settings) -> Policy:
    return policy_from_config(settings.training_policy)


async def record_consents(
    session: AsyncSession, records: Sequence[ConsentRecordIn]
) -> ConsentBatchOut:
    """Append the records (all or nothing). They are stamped with the ledger clock taken under the
    ledger lock, so an `as_of` answer given before they commit never changes afterwards."""
    now = await ledger.lock_for_write(session)
    rows = []
    for i, r in enumerate(records):
        at = r.recorded_at
        if at > now + CLOCK_SKEW:
            raise InvalidInput(f"records.{i}.recorded_at: must not be in the future")
        rows.append(
            repo.ConsentIn(r.subject, r.category, r.purpose, r.granted, min(at, now), r.source)
        )
    await repo.append_consents(session, rows, now)
    return ConsentBatchOut(recorded=len(rows))


@dataclass(frozen=True)
class Answer:
    """The subjects as asked (in input order, duplicates included) and their decisions: the
    reason in `reasons`, or `default` for a key with neither a consent record nor an exclusion."""

    as_of: datetime
    policy_version: str
    subjects: Sequence[str]
    default: Reason
    reasons: dict[str, Reason]


async def eligibility(
    session: AsyncSession,
    *,
    policy: Policy,
    purpose: str,
    category: str,
    subjects: Sequence[str],
    as_of: datetime | None,
) -> Answer:
    """Who may be trained on, in input order. Without `as_of` the answer is for the ledger clock
    read under the ledger lock: the same query as any `as_of`, so asking again with the `as_of`
    it returns gives the same answer."""
    now = await ledger.lock_for_read(session)
    if as_of is None:
        as_of = now
    elif as_of > now:
        raise InvalidInput("as_of: must not be in the future")
    keys = list(dict.fromkeys(subjects))
    if purpose in OPT_OUT_PURPOSES:
        opted = await opt_outs.opted_out(session, keys, as_of)
        excluded = excluded_subjects(await repo.exclusion_facts(session, keys, as_of))
        default, reasons = decide_opt_out_keys(opted, excluded)
        return Answer(as_of, policy.version, subjects, default, reasons)
    granted: list[str] = []
    withdrawn: list[str] = []
    if policy.gated(category):
        granted, withdrawn = await repo.latest_consents(session, category, purpose, keys, as_of)
    excluded = excluded_subjects(await repo.exclusion_facts(session, keys, as_of))
    default, reasons = decide_keys(policy, category, granted, withdrawn, excluded)
    return Answer(as_of, policy.version, subjects, default, reasons)


# Each result is {"subject":"<key>"} followed by one of these, whole; the reason decides the rest.
_RESULT_TAIL = {
    r: f'","eligible":{"true" if r in ELIGIBLE else "false"},"reason":"{r.value}"}}' for r in Reason
}

# The characters a JSON string holds as they are: printable ASCII except the quote and backslash.
_JSON_PLAIN = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\')


def answer_json(answer: Answer) -> bytes:
    """The response body, {"as_of", "policy_version", "results": [{"subject", "eligible",
    "reason"}, ...]}, written as one string from C-level maps and a join: no dict, tuple or
    other object per subject (10,000 of them per call made the garbage collector run full
    collections every few requests) and no Python per subject.

    Subject keys are printable ASCII without whitespace (the request schema checks), so the
    only characters JSON must escape in them are `"` and `\\`; in the rare call with such a
    key (or any other character to escape), orjson escapes every key."""
    head = orjson.dumps({"as_of": answer.as_of, "policy_version": answer.policy_version})
    subjects = answer.subjects
    if not subjects:
        return head[:-1] + b',"results":[]}'
    tails = map(
        _RESULT_TAIL.__getitem__,
        map(answer.reasons.get, subjects, itertools.repeat(answer.default)),
    )
    keys: Iterable[str] = subjects
    joined = "".join(subjects)
    if not joined.isascii() or joined.encode().translate(None, _JSON_PLAIN):
        keys = [orjson.dumps(s).decode()[1:-1] for s in subjects]
    results = ',{"subject":"'.join(map(operator.add, keys, tails))
    return b"".join((head[:-1], b',"results":[{"subject":"', results.encode(), b"]}"))


async def history(session: AsyncSession, subject: str) -> HistoryOut:
    """A subject's consent history and exclusions, for staff (the console calls this too)."""
    records = await repo.consent_history(session, subject, HISTORY_LIMIT + 1)
    events = await repo.exclusion_history(session, subject)
    facts = [ExclusionFact(e.subject, e.case_id, e.id, e.kind) for e in events]
    opts = await opt_outs.of_subjects(session, [subject])
    return HistoryOut(
        opt_outs=[OptOutOut.model_validate(o, from_attributes=True) for o in opts],
        opted_out=any(o.lifted_at is None for o in opts),
        subject=subject,
        consents=[
            ConsentOut.model_validate(r, from_attributes=True) for r in records[:HISTORY_LIMIT]
        ],
        consents_truncated=len(records) > HISTORY_LIMIT,
        exclusions=[ExclusionEventOut.model_validate(e, from_attributes=True) for e in events],
        excluded=subject in excluded_subjects(facts),
    )


async def changes(session: AsyncSession, cursor: int, limit: int) -> ChangesOut:
    rows = await repo.changes_after(session, cursor, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        ChangeOut(
            cursor=str(r.id),
            at=r.at,
            subject=r.subject,
            type=r.kind,
            category=r.category,
            purpose=r.purpose,
            granted=r.granted,
            exclusion=r.exclusion,
            excluded=r.excluded,
        )
        for r in rows
    ]
    return ChangesOut(
        changes=items, next_cursor=str(rows[-1].id) if rows else str(cursor), has_more=more
    )


async def latest_change_cursor(session: AsyncSession) -> str:
    """The feed position now: a snapshot taken after reading it, followed by the feed from it,
    misses no change (a change seen twice is harmless)."""
    return str(await repo.last_change_id(session))


async def excluded_snapshot(
    factory: async_sessionmaker[AsyncSession], batch: int = SNAPSHOT_BATCH
) -> AsyncIterator[bytes]:
    """NDJSON lines {"subject": key} for every currently excluded key, in key order. Each batch
    is a short transaction of its own (keyset pagination), so memory stays flat and no
    transaction stays open while a slow client reads."""
    after: str | None = None
    while True:
        async with factory() as session, session.begin():
            facts, after = await repo.excluded_subjects_after(session, after, batch)
        lines = [orjson.dumps({"subject": s}) for s in sorted(excluded_subjects(facts))]
        if lines:
            yield b"\n".join(lines) + b"\n"
        if after is None:
            return


async def suppression_feed(session: AsyncSession, cursor: int, limit: int) -> SuppressionsOut:
    rows = await suppressions.page_after(session, cursor, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    items = [
        SuppressionOut(
            id=r.id,
            case_id=r.case_id,
            status=r.status,
            personal_data=r.personal_data if r.status == "active" else None,
            models=list(r.models),
            published_at=r.published_at,
            withdrawn_at=r.withdrawn_at,
            cursor=str(r.seq),
        )
        for r in rows
    ]
    return SuppressionsOut(
        suppressions=items, next_cursor=str(rows[-1].seq) if rows else str(cursor), has_more=more
    )
