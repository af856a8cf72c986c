"""Queries over the consent ledger and exclusions. Only repositories build queries.

The bulk paths (10,000 records or keys per call) are one round trip each on PostgreSQL: columns
bound as arrays (`unnest`), keys as one string, Core statements returning tuples, no ORM objects.
SQLite gets the same shapes with the keys as one JSON array (json_each). Subject keys never
contain whitespace (schemas and exclusions.subject_keys make sure), so a newline separates them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.consent.models import ConsentRecord, Exclusion, TrainingChange
from dsr.db.types import UTCDateTime
from dsr.domain.eligibility import ExclusionFact

RECORD = ConsentRecord.__table__  # type: ignore[attr-defined]
EXCLUSION = Exclusion.__table__  # type: ignore[attr-defined]
CHANGE = TrainingChange.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ConsentIn:
    subject: str
    category: str
    purpose: str
    granted: bool
    recorded_at: datetime
    source: str | None


async def _conn(session: AsyncSession) -> AsyncConnection:
    return await session.connection()


# --- consent writes ---------------------------------------------------------------------------

# One statement: append the records in input order and log each to the change feed.
_PG_APPEND = sa.text(
    """
WITH rec AS (
    INSERT INTO consent_record
        (subject, category, purpose, granted, recorded_at, received_at, source)
    SELECT subject, category, purpose, granted, recorded_at, :now, source
    FROM unnest(
        CAST(:subject AS text[]), CAST(:category AS text[]), CAST(:purpose AS text[]),
        CAST(:granted AS boolean[]), CAST(:recorded_at AS timestamptz[]), CAST(:source AS text[])
    ) WITH ORDINALITY AS i(subject, category, purpose, granted, recorded_at, source, ord)
    ORDER BY ord
    RETURNING id, subject, category, purpose, granted
)
INSERT INTO training_change (at, subject, kind, category, purpose, granted)
SELECT :now, subject, 'consent', category, purpose, granted FROM rec ORDER BY id
"""
)


async def append_consents(
    session: AsyncSession, records: Sequence[ConsentIn], now: datetime
) -> None:
    """Append records stamped `received_at=now`, each logged to the change feed. The caller
    holds the ledger lock (ledger.lock_for_write) and has clamped recorded_at to <= now."""
    conn = await _conn(session)
    if conn.dialect.name == "postgresql":
        columns = {
            "subject": [r.subject for r in records],
            "category": [r.category for r in records],
            "purpose": [r.purpose for r in records],
            "granted": [r.granted for r in records],
            "recorded_at": [r.recorded_at for r in records],
            "source": [r.source for r in records],
        }
        await conn.execute(_PG_APPEND, {**columns, "now": now})
        return
    await conn.execute(
        RECORD.insert(),
        [
            {
                "subject": r.subject,
                "category": r.category,
                "purpose": r.purpose,
                "granted": r.granted,
                "recorded_at": r.recorded_at,
                "received_at": now,
                "source": r.source,
            }
            for r in records
        ],
    )
    changes = [
        {
            "at": now,
            "subject": r.subject,
            "kind": "consent",
            "category": r.category,
            "purpose": r.purpose,
            "granted": r.granted,
        }
        for r in records
    ]
    await _log(conn, changes)


async def _log(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(CHANGE.insert(), rows)


async def append_changes(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Append to the change feed. The caller holds the ledger lock (see ledger.py: without it,
    ids could commit out of order and a reader past id N would miss a later-committed N-1)."""
    await _log(await _conn(session), rows)


# --- eligibility reads ------------------------------------------------------------------------

# Per key (the caller removes duplicates), the newest record the ledger had received by :as_of:
# one backward index-only probe of ix_consent_record_lookup per key, keys in index order so that
# neighbouring probes share pages. LATERAL ... LIMIT 1 keeps the plan a loop of probes whatever
# the statistics say (a hash join would read the whole table). The 10,000 keys travel as one
# newline-separated string and the answer comes back as two
# strings, the granted keys and the withdrawn ones: one parameter and one row instead of
# 10,000 array elements and rows to encode and decode in Python.
_PG_LATEST = sa.text(
    """
SELECT string_agg(k.subject, E'\\n') FILTER (WHERE r.granted),
       string_agg(k.subject, E'\\n') FILTER (WHERE NOT r.granted)
FROM (
    SELECT subject COLLATE "C" AS subject
    FROM unnest(string_to_array(:keys, E'\\n')) AS subject ORDER BY 1
) AS k
CROSS JOIN LATERAL (
    SELECT c.granted FROM consent_record AS c
    WHERE c.subject = k.subject AND c.category = :category AND c.purpose = :purpose
      AND c.received_at <= :as_of
    ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1
) AS r
"""
)
# A join, not `subject = ANY(string_to_array(...))`: in a generic plan (asyncpg prepares
# statements, PostgreSQL switches to a generic plan after five runs) that filter would split the
# 10,000 keys again for every row it looks at.
_PG_EXCLUSIONS = sa.text(
    """
SELECT e.subject, e.case_id, e.id, e.kind
FROM unnest(string_to_array(:keys, E'\\n')) AS k(subject)
JOIN exclusion AS e ON e.subject = k.subject COLLATE "C"
WHERE e.at <= :as_of
"""
)


# SQLite: the keys as one JSON array (json_each), and a correlated LIMIT 1 probe per key.
_SQLITE_LATEST = (
    sa.text(
        """
SELECT subject, granted FROM (
    SELECT k.value AS subject, (
        SELECT c.granted FROM consent_record AS c
        WHERE c.subject = k.value AND c.category = :category AND c.purpose = :purpose
          AND c.received_at <= :as_of
        ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1
    ) AS granted
    FROM json_each(:keys) AS k
) WHERE granted IS NOT NULL
"""
    )
    .bindparams(sa.bindparam("as_of", type_=UTCDateTime()))
    .columns(subject=sa.String(), granted=sa.Boolean())
)
_SQLITE_EXCLUSIONS = (
    sa.text(
        """
SELECT e.subject, e.case_id, e.id, e.kind
FROM json_each(:keys) AS k JOIN exclusion AS e ON e.subject = k.value
WHERE e.at <= :as_of
"""
    )
    .bindparams(sa.bindparam("as_of", type_=UTCDateTime()))
    .columns(subject=sa.String(), case_id=sa.Uuid(), id=sa.Integer(), kind=sa.String())
)


def _lines(joined: str | None) -> list[str]:
    return joined.split("\n") if joined else []  # string_agg of no rows is NULL


async def latest_consents(
    session: AsyncSession, category: str, purpose: str, keys: Sequence[str], as_of: datetime
) -> tuple[list[str], list[str]]:
    """The keys whose deciding consent (the latest by recorded_at, then arrival) grants, and
    those whose deciding consent withdraws, among the records the ledger had received by
    `as_of`; keys with no record are in neither. "Now" is as_of = the ledger clock: the same
    question, so asking again with that as_of gives the same answer."""
    conn = await _conn(session)
    params = {"category": category, "purpose": purpose, "as_of": as_of}
    if conn.dialect.name == "postgresql":
        granted, withdrawn = (
            await conn.execute(_PG_LATEST, {**params, "keys": "\n".join(keys)})
        ).one()
        return _lines(granted), _lines(withdrawn)
    rows = await conn.execute(_SQLITE_LATEST, {**params, "keys": orjson.dumps(list(keys))})
    latest = rows.all()
    return [s for s, g in latest if g], [s for s, g in latest if not g]


async def exclusion_facts(
    session: AsyncSession, keys: Sequence[str], as_of: datetime
) -> list[ExclusionFact]:
    """Every exclusion event of these keys up to `as_of`, for domain.excluded_subjects."""
    conn = await _conn(session)
    if conn.dialect.name == "postgresql":
        rows = await conn.execute(_PG_EXCLUSIONS, {"keys": "\n".join(keys), "as_of": as_of})
    else:
        params = {"keys": orjson.dumps(list(keys)), "as_of": as_of}
        rows = await conn.execute(_SQLITE_EXCLUSIONS, params)
    return [ExclusionFact(s, c, i, k) for s, c, i, k in rows]


# --- exclusions -------------------------------------------------------------------------------


async def exclusions_of_case(session: AsyncSession, case_id: uuid.UUID) -> list[ExclusionFact]:
    conn = await _conn(session)
    stmt = (
        sa.select(EXCLUSION.c.subject, EXCLUSION.c.case_id, EXCLUSION.c.id, EXCLUSION.c.kind)
        .where(EXCLUSION.c.case_id == case_id)
        .order_by(EXCLUSION.c.id)
    )
    return [ExclusionFact(s, c, i, k) for s, c, i, k in await conn.execute(stmt)]


async def append_exclusions(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Exclusion events: subject, case_id, kind, at, reason. The caller holds the ledger lock."""
    conn = await _conn(session)
    await conn.execute(EXCLUSION.insert(), rows)


async def excluded_subjects_after(
    session: AsyncSession, after: str | None, limit: int
) -> tuple[list[ExclusionFact], str | None]:
    """Keyset page over the subjects that have exclusion events, in subject order: every event of
    up to `limit` subjects after `after`, and the last subject of the page (None at the end)."""
    conn = await _conn(session)
    subjects = sa.select(EXCLUSION.c.subject).distinct().order_by(EXCLUSION.c.subject).limit(limit)
    if after is not None:
        subjects = subjects.where(EXCLUSION.c.subject > after)
    page = list((await conn.execute(subjects)).scalars())
    if not page:
        return [], None
    stmt = sa.select(
        EXCLUSION.c.subject, EXCLUSION.c.case_id, EXCLUSION.c.id, EXCLUSION.c.kind
    ).where(EXCLUSION.c.subject >= page[0], EXCLUSION.c.subject <= page[-1])
    facts = [ExclusionFact(s, c, i, k) for s, c, i, k in await conn.execute(stmt)]
    return facts, (page[-1] if len(page) == limit else None)


# --- the change feed and the staff view -------------------------------------------------------


async def changes_after(session: AsyncSession, after: int, limit: int) -> list[Any]:
    conn = await _conn(session)
    stmt = sa.select(CHANGE).where(CHANGE.c.id > after).order_by(CHANGE.c.id).limit(limit)
    return list(await conn.execute(stmt))


async def last_change_id(session: AsyncSession) -> int:
    conn = await _conn(session)
    return int((await conn.execute(sa.select(sa.func.max(CHANGE.c.id)))).scalar_one() or 0)


async def consent_history(session: AsyncSession, subject: str, limit: int) -> list[Any]:
    """A subject's newest `limit` consent records, newest first."""
    conn = await _conn(session)
    stmt = (
        sa.select(RECORD)
        .where(RECORD.c.subject == subject)
        .order_by(RECORD.c.recorded_at.desc(), RECORD.c.id.desc())
        .limit(limit)
    )
    return list(await conn.execute(stmt))


async def exclusion_history(session: AsyncSession, subject: str) -> list[Any]:
    conn = await _conn(session)
    stmt = sa.select(EXCLUSION).where(EXCLUSION.c.subject == subject).order_by(EXCLUSION.c.id)
    return list(await conn.execute(stmt))
