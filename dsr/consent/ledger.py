"""The ledger clock and lock: what makes the change feed gap-free and `as_of` answers replayable.

The gap. Ids from a sequence are handed out when rows are inserted, not when transactions commit.
With two concurrent writers, A takes id 41 and B takes id 42; B commits first; a feed reader sees
42 and moves its cursor past it; then A commits 41, and the reader never sees it. The same race
breaks `as_of`: a writer that stamped its rows at 12:00:00.100 but commits at 12:00:00.400 is
invisible to a reader answering "as of 12:00:00.300", yet visible to the same question asked again
later, so a training run could not be reproduced.

The fix. Every writer to the ledger (consent records, exclusion events, suppression rules) first
takes one transaction-scoped PostgreSQL advisory lock, exclusively, and only then reads the clock
and takes ids; the lock is held until commit. So ids and timestamps are handed out in commit
order: a reader that has seen id N has seen everything below N, and nothing committed later can
carry an earlier timestamp. Readers answering "now" take the same lock shared: they wait for a
writer in flight to commit, and any later writer waits for them, so the time they answer for
contains exactly what they read. SQLite needs no lock: dsr opens every SQLite transaction with
BEGIN IMMEDIATE (db/engine.py), which already serialises writers, and readers with them.

The cost is that ledger writes are serial. A write of 10,000 consent records is one statement
of a few hundred milliseconds on PostgreSQL, so this is far above the rate at which consent and
requests arrive.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.db.types import utcnow

# Any constant works as long as every writer uses the same one ("dsr_ledg" in ASCII).
LEDGER_LOCK_KEY = 0x6473725F6C656467

# The subquery is evaluated first (PostgreSQL never flattens a subquery with volatile functions),
# so the clock is read after the lock is granted, in one round trip.
_PG_WRITE = sa.text(
    "SELECT clock_timestamp() FROM (SELECT pg_advisory_xact_lock(:key)) AS lock"
).bindparams(key=LEDGER_LOCK_KEY)
_PG_READ = sa.text(
    "SELECT clock_timestamp() FROM (SELECT pg_advisory_xact_lock_shared(:key)) AS lock"
).bindparams(key=LEDGER_LOCK_KEY)


async def _clock(session: AsyncSession, stmt: sa.TextClause) -> datetime:
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        value = (await conn.execute(stmt)).scalar_one()
        return value if isinstance(value, datetime) else utcnow()
    # SQLite: any statement starts the transaction (BEGIN IMMEDIATE takes the write lock).
    await conn.execute(sa.text("SELECT 1"))
    return utcnow()


async def lock_for_write(session: AsyncSession) -> datetime:
    """Take the ledger lock for this transaction and return the time to stamp its rows with."""
    return await _clock(session, _PG_WRITE)


async def lock_for_read(session: AsyncSession) -> datetime:
    """Wait for ledger writers in flight; return the time a "now" answer is given for."""
    return await _clock(session, _PG_READ)
