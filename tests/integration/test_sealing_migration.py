"""Upgrading a database that holds requests from before encryption at rest (revision
e0c120000012): its plaintext rows are sealed in the migration, read back the same through the
models, leave no plaintext in the tables, and are found again by their keyed hash."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.models import Case
from dsr.db.engine import make_engine
from dsr.db.migrate import upgrade
from dsr.db.sealed_columns import email_lookup_key, lookup_hashes
from dsr.notifications.models import OutboxMessage
from dsr.settings import Settings
from tests.helpers import BACKENDS, create_pg_database, drop_pg_database

BEFORE_SEALING = "a0e120000011"
EMAIL, NAME, ACCOUNT = "Legacy.Person@Example.org", "Legacy Person", "acct-legacy-77"
CORRECTION = {"inaccurate_data": "born 1970", "corrected_data": "born 1971"}


@pytest.fixture(params=BACKENDS)
async def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of its own: this test migrates it step by step."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'legacy.sqlite3'}"
        return
    name, url = await create_pg_database()
    yield url
    await drop_pg_database(name)


def _legacy_case(case_id: uuid.UUID) -> dict[str, object]:
    now = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    return {
        "id": str(case_id),
        "reference": "DSR-LEGACY-1",
        "type": "correction",
        "status": "open",
        "channel": "web",
        "jurisdiction": "EU",
        "jurisdiction_input": "DE",
        "jurisdiction_known": True,
        "email": EMAIL,
        "email_sha256": hashlib.sha256(EMAIL.strip().lower().encode()).hexdigest(),
        "full_name": NAME,
        "account_id": ACCOUNT,
        "details": "Please fix my birth year",
        "type_data": json.dumps(CORRECTION),
        "received_at": now,
        "received_date": date(2026, 11, 2),
        "respond_by": date(2026, 12, 2),
        "original_respond_by": date(2026, 12, 2),
        "extended": False,
        "clock_paused": False,
        "clock_stops": "[]",
        "policy": "{}",
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "timeline_seq": 0,
    }


async def test_legacy_plaintext_rows_are_sealed_by_the_upgrade(fresh_url: str) -> None:
    settings = Settings(database_url=fresh_url, secret_key="x")
    engine = make_engine(settings)
    try:
        await upgrade(engine, BEFORE_SEALING)
        case_id = uuid.uuid4()
        row = _legacy_case(case_id)
        if engine.dialect.name == "sqlite":
            row["id"] = case_id.hex  # SQLModel's UUID type stores 32 hex digits on SQLite
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    f"INSERT INTO case_record ({', '.join(row)}) "
                    f"VALUES ({', '.join(':' + k for k in row)})"
                ),
                row,
            )
            await conn.execute(
                sa.text(
                    "INSERT INTO outbox_message (kind, recipient, context, dedup_key, status,"
                    " attempts, next_attempt_at, created_at) VALUES ('acknowledgement', :r,"
                    " :c, 'legacy-1', 'pending', 0, :t, :t)"
                ),
                {"r": EMAIL, "c": json.dumps({"full_name": NAME}), "t": row["received_at"]},
            )

        await upgrade(engine)

        async with engine.connect() as conn:
            raw = (await conn.execute(sa.text("SELECT * FROM case_record"))).mappings().one()
            outbox = (await conn.execute(sa.text("SELECT * FROM outbox_message"))).mappings().one()
        stored = " ".join(str(v) for v in [*raw.values(), *outbox.values()])
        for plain in (EMAIL, NAME, ACCOUNT, "birth year", "born 1971", str(row["email_sha256"])):
            assert plain not in stored, plain  # no plaintext, nor the unkeyed hash, remains

        async with AsyncSession(engine) as session:
            case = (await session.exec(select(Case))).one()
            assert (case.email, case.full_name, case.account_id) == (EMAIL, NAME, ACCOUNT)
            assert case.details == "Please fix my birth year"
            assert case.type_data == CORRECTION
            message = (await session.exec(select(OutboxMessage))).one()
            assert (message.recipient, message.context) == (EMAIL, {"full_name": NAME})
            # Found again by its keyed hash, as duplicate detection and search look it up.
            hashes = lookup_hashes(settings.keyring, email_lookup_key(EMAIL))
            found = await session.exec(select(Case).where(Case.email_hash.in_(hashes)))  # type: ignore[union-attr]
            assert [c.id for c in found] == [case_id]
    finally:
        await engine.dispose()
