"""Target databases for the SQL connector's tests: the example chat schema (examples/sql/) on a
throw-away SQLite file, PostgreSQL database and MariaDB database, seeded with a subject and
neighbours who share tables and a conversation with them. In CI an unreachable PostgreSQL or
MariaDB fails the run instead of skipping."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.helpers import IN_CI, PG_ADMIN_URL

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "sql"
DATASET = (EXAMPLES / "chat_dataset.yaml").read_text()
MARIADB_ADMIN_URL = os.environ.get(
    "DSR_TEST_MARIADB_URL", "mysql+aiomysql://root@127.0.0.1:3306/test"
)
TARGETS = ["sqlite", "postgresql", "mariadb"]

# The subject: quotes, `%`, `_` and non-ASCII in the address (a LIKE would match neighbour 2).
SUBJECT_EMAIL = "Zoë.O'Brien+%_1@example.com"
ASKED_EMAIL = "zoë.o'brien+%_1@EXAMPLE.com"  # as the requester typed it
NEIGHBOUR_EMAIL = "zoë.o'brien+ab1@example.com"

SEED: dict[str, list[dict[str, Any]]] = {
    "accounts": [
        {"id": 1, "email": SUBJECT_EMAIL, "display_name": "Zoë"},
        {"id": 2, "email": NEIGHBOUR_EMAIL, "display_name": "Neighbour"},
        {"id": 3, "email": "other@example.com", "display_name": "Other"},
    ],
    "conversations": [
        {"id": 10, "account_id": 1, "title": "Zoë's trip", "shared": False},
        {"id": 11, "account_id": 1, "title": "Zoë's poem", "shared": False},
        # The neighbour's conversation, shared with the subject, who wrote in it.
        {"id": 20, "account_id": 2, "title": "Team plan", "shared": True},
        {"id": 30, "account_id": 3, "title": "Other's", "shared": False},
    ],
    "messages": [
        {"id": 100, "conversation_id": 10, "author_id": 1, "role": "user", "content": "hi ' %"},
        {"id": 101, "conversation_id": 10, "author_id": None, "role": "assistant", "content": "a"},
        {"id": 102, "conversation_id": 11, "author_id": 1, "role": "user", "content": "ü"},
        {"id": 103, "conversation_id": 20, "author_id": 2, "role": "user", "content": "n"},
        {"id": 104, "conversation_id": 20, "author_id": 1, "role": "user", "content": "mine"},
        {"id": 105, "conversation_id": 20, "author_id": None, "role": "assistant", "content": "r"},
        {"id": 106, "conversation_id": 30, "author_id": 3, "role": "user", "content": "o"},
    ],
    "attachments": [
        {"id": 1000, "message_id": 100, "filename": "trip.pdf", "size_bytes": 10},
        {"id": 1001, "message_id": 104, "filename": "mine.png", "size_bytes": 20},
        {"id": 1002, "message_id": 103, "filename": "theirs.png", "size_bytes": 30},
    ],
    "feedback": [
        {"id": 1, "account_id": 1, "rating": 5, "comment": "great"},
        {"id": 2, "account_id": 2, "rating": 1, "comment": "meh"},
    ],
    "invoices": [
        {"id": 1, "account_id": 1, "amount_cents": 2000, "issued_on": "2026-01-01"},
        {"id": 2, "account_id": 2, "amount_cents": 2000, "issued_on": "2026-01-01"},
    ],
}
# What the dataset reaches from the subject (by id), and nothing else.
SUBJECT_ROWS = {
    "accounts": [1],
    "conversations": [10, 11],
    "messages": [100, 101, 102, 104],
    "attachments": [1000, 1001],
    "feedback": [1],
    "invoices": [1],
}


@dataclass
class Target:
    kind: str
    url: str  # the URL as a user sets it (postgresql://, mysql://, sqlite:///)
    engine: AsyncEngine

    async def rows(self, table: str) -> dict[int, dict[str, Any]]:
        async with self.engine.connect() as conn:
            result = await conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))
            return {r["id"]: dict(r) for r in result.mappings()}

    async def snapshot(self) -> dict[str, dict[int, dict[str, Any]]]:
        return {t: await self.rows(t) for t in SEED}

    async def execute(self, sql: str) -> None:
        async with self.engine.begin() as conn:
            await conn.exec_driver_sql(sql)


def _statements(path: Path) -> list[str]:
    text = "\n".join(line for line in path.read_text().splitlines() if not line.startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


async def _seed(engine: AsyncEngine, schema: Path) -> None:
    async with engine.begin() as conn:
        for stmt in _statements(schema):
            await conn.exec_driver_sql(stmt)
        meta = sa.MetaData()
        with warnings.catch_warnings():  # the expression index on lower(email) is not reflected
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            await conn.run_sync(meta.reflect)
        for table, rows in SEED.items():
            columns = meta.tables[table].c
            values = [{k: _as(columns[k].type, v) for k, v in r.items()} for r in rows]
            await conn.execute(meta.tables[table].insert(), values)


def _as(kind: sa.types.TypeEngine[Any], value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(kind, sa.Date) else value


def _unreachable(kind: str, exc: BaseException) -> None:
    if IN_CI:
        pytest.fail(f"{kind} is required in CI but unreachable: {type(exc).__name__}: {exc}")
    pytest.skip(f"{kind} unreachable (set CI=true to make this fatal)")


async def make_target(kind: str, tmp_path: Path) -> AsyncIterator[Target]:
    name = f"dsr_sql_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin: AsyncEngine | None = None
    if kind == "sqlite":
        path = tmp_path / "target.sqlite3"
        url = f"sqlite:///{path}"
        engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    else:
        base = PG_ADMIN_URL if kind == "postgresql" else MARIADB_ADMIN_URL
        admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
        quote = '"' if kind == "postgresql" else "`"
        try:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f"CREATE DATABASE {quote}{name}{quote}")
        except (OSError, sa.exc.DBAPIError) as exc:
            await admin.dispose()
            _unreachable(kind, exc)
        driver_url = base.rsplit("/", 1)[0] + "/" + name
        url = driver_url.replace("+asyncpg", "").replace("+aiomysql", "")
        if kind == "mariadb":
            driver_url += "?charset=utf8mb4"
            url += "?charset=utf8mb4"
        engine = create_async_engine(driver_url)
    schema = EXAMPLES / {"sqlite": "chat_sqlite.sql", "postgresql": "chat_postgresql.sql"}.get(
        kind, "chat_mariadb.sql"
    )
    await _seed(engine, schema)
    try:
        yield Target(kind, url, engine)
    finally:
        await engine.dispose()
        if admin is not None:
            force = " WITH (FORCE)" if kind == "postgresql" else ""
            quote = '"' if kind == "postgresql" else "`"
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{name}{quote}{force}")
            await admin.dispose()
