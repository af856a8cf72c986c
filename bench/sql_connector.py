"""The SQL connector on a big chat database: access and erasure of one subject with 1,000
messages, then of 100 subjects one after another and 10 at a time, on PostgreSQL and MariaDB.

The database holds `--rows` rows in all (10 million by default): accounts (1 %), conversations
(10 %) and messages (the rest), with the indexes the dataset's edges ask for. Subjects 1..201
have 10 conversations of 100 messages each (1,000 messages); every other message lands in a
conversation of another account. The rows are generated inside the server (PostgreSQL's
generate_series, MariaDB's SEQUENCE engine: INSERT ... SELECT, no row crosses the network) and
the indexes are built after the load. No foreign keys: the load and the erasure's order do not
need them.

Each figure is the connector's own work, as the worker runs it (dsr.connectors.sql.service):
connect, set the statement timeout, read the schema, find the rows (access: all their columns,
as JSON values; erasure: the keys, locked) and, for erasure, delete children first in one
transaction. Storing the rows as encrypted task results is measured by bench.fulfilment_package.
Prints figures; asserts nothing.

    .venv/bin/python -m bench.sql_connector --rows 1000000 --targets postgresql,mariadb
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import create_async_engine

from bench._common import ADMIN_URL, machine, pct, unique_name
from dsr.connectors.sql import service
from dsr.connectors.sql.dataset import parse
from dsr.connectors.sql.plan import Subject
from dsr.settings import Settings

MARIADB_URL = os.environ.get("DSR_BENCH_MARIADB_URL", "mysql+aiomysql://root@127.0.0.1:3306/test")
ENV = "DSR_BENCH_TARGET_URL"
SUBJECTS = 201  # 1 alone, 100 one after another, 100 ten at a time
PER_SUBJECT = 1000  # messages: 10 conversations of 100

DATASET = """
tables:
  accounts:
    identities: {email: email, account_id: id}
    erase: delete
    category: account
  conversations:
    from: {accounts.id: account_id}
    erase: delete
    category: prompts
  messages:
    from: {conversations.id: conversation_id}
    erase: delete
    category: prompts
"""


def _schema(kind: str, accounts: int, conversations: int, messages: int) -> list[str]:
    pg = kind == "postgresql"
    text = "TEXT" if pg else "VARCHAR(254)"
    tail = "" if pg else " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
    g = "g" if pg else "s.seq"
    div = "/" if pg else "DIV"

    def series(n: int) -> str:
        return f"generate_series(1::bigint, {n}) AS s(g)" if pg else f"seq_1_to_{n} AS s"

    def concat(*parts: str) -> str:
        return " || ".join(parts) if pg else "CONCAT(" + ", ".join(parts) + ")"

    subject_convs = SUBJECTS * 10
    subject_msgs = SUBJECTS * PER_SUBJECT
    others = accounts - SUBJECTS
    other_convs = conversations - subject_convs
    prose = "'A message of some eighty characters, as a prompt or a reply would be: '"
    email = concat("'user'", g, "'@example.com'")
    return [
        f"CREATE TABLE accounts (id BIGINT PRIMARY KEY, email {text} NOT NULL, "
        f"display_name {text}){tail}",
        f"CREATE TABLE conversations (id BIGINT PRIMARY KEY, account_id BIGINT NOT NULL, "
        f"title {text}){tail}",
        "CREATE TABLE messages (id BIGINT PRIMARY KEY, conversation_id BIGINT NOT NULL, "
        f"role VARCHAR(20) NOT NULL, content TEXT NOT NULL){tail}",
        f"INSERT INTO accounts SELECT {g}, {email}, {concat(chr(39) + 'User ' + chr(39), g)} "
        f"FROM {series(accounts)}",
        # The subjects' conversations first (10 each), then the others', spread over the rest.
        f"INSERT INTO conversations SELECT {g}, CASE WHEN {g} <= {subject_convs} "
        f"THEN ({g} - 1) {div} 10 + 1 ELSE {SUBJECTS + 1} + MOD({g} * 7919, {others}) END, "
        f"{concat(chr(39) + 'Conversation ' + chr(39), g)} FROM {series(conversations)}",
        f"INSERT INTO messages SELECT {g}, CASE WHEN {g} <= {subject_msgs} "
        f"THEN ({g} - 1) {div} 100 + 1 "
        f"ELSE {subject_convs + 1} + MOD({g} * 104729, {other_convs}) END, "
        f"CASE WHEN MOD({g}, 2) = 0 THEN 'user' ELSE 'assistant' END, {concat(prose, g)} "
        f"FROM {series(messages)}",
        "CREATE UNIQUE INDEX accounts_email ON accounts (lower(email))"
        if pg
        else "CREATE UNIQUE INDEX accounts_email ON accounts (email)",
        "CREATE INDEX conversations_account_id ON conversations (account_id)",
        "CREATE INDEX messages_conversation_id ON messages (conversation_id)",
    ]


async def _build(kind: str, rows: int) -> tuple[str, str, Callable[[], Awaitable[None]]]:
    """A fresh database of `rows` rows: (its user-facing URL, its name, a function dropping it)."""
    name = unique_name("dsr_bench_sql")
    base = ADMIN_URL if kind == "postgresql" else MARIADB_URL
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    quote = '"' if kind == "postgresql" else "`"
    async with admin.connect() as conn:
        await conn.exec_driver_sql(f"CREATE DATABASE {quote}{name}{quote}")
    url = base.rsplit("/", 1)[0] + "/" + name
    accounts, conversations = rows // 100, rows // 10
    messages = rows - accounts - conversations
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    t0 = time.perf_counter()
    async with engine.connect() as conn:
        for stmt in _schema(kind, accounts, conversations, messages):
            s0 = time.perf_counter()
            await conn.exec_driver_sql(stmt)
            print(f"  {kind}: {stmt[:60]}... {time.perf_counter() - s0:.1f} s")
        if kind == "postgresql":
            await conn.exec_driver_sql("ANALYZE")
        else:
            await conn.exec_driver_sql("ANALYZE TABLE accounts, conversations, messages")
    await engine.dispose()
    print(
        f"  {kind}: {rows:,} rows ({accounts:,} accounts, {conversations:,} conversations, "
        f"{messages:,} messages) built in {time.perf_counter() - t0:.0f} s"
    )

    async def drop() -> None:
        force = " WITH (FORCE)" if kind == "postgresql" else ""
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{name}{quote}{force}")
        await admin.dispose()

    plain = url.replace("+asyncpg", "").replace("+aiomysql", "")
    return plain, name, drop


async def _measure(kind: str, rows: int) -> None:
    url, _, drop = await _build(kind, rows)
    os.environ[ENV] = url
    settings = Settings(database_url="sqlite+aiosqlite:///:memory:", secret_key="bench")
    dataset = parse(DATASET)

    async def access(n: int) -> float:
        t0 = time.perf_counter()
        found, _ = await service.read(
            settings=settings,
            connection_env=ENV,
            dataset=dataset,
            subject=Subject(email=f"USER{n}@example.com"),
        )
        assert len(found.rows["messages"]) == PER_SUBJECT  # the bench's own data is as built
        return time.perf_counter() - t0

    async def erase(n: int) -> float:
        t0 = time.perf_counter()
        erased, _ = await service.erase(
            settings=settings,
            system_name="bench",
            connection_env=ENV,
            dataset=dataset,
            subject=Subject(account_id=str(n)),
        )
        assert erased["messages"] == PER_SUBJECT
        return time.perf_counter() - t0

    try:
        print(
            f"{kind}: one subject ({PER_SUBJECT} messages): access {await access(1) * 1000:.0f} ms, "
            f"erasure {await erase(1) * 1000:.0f} ms"
        )
        for label, op in (("access", access), ("erasure", erase)):
            t0 = time.perf_counter()
            times = [await op(n) for n in range(2, 102)]
            wall = time.perf_counter() - t0
            print(
                f"{kind}: {label}, 100 subjects one after another: {wall:.1f} s "
                f"(p50 {pct(times, 0.5) * 1000:.0f} ms, p95 {pct(times, 0.95) * 1000:.0f} ms)"
            )
        gate = asyncio.Semaphore(10)
        for label, op in (("access", access), ("erasure", erase)):

            async def one(n: int, op: Callable[[int], Awaitable[float]] = op) -> float:
                async with gate:
                    return await op(n)

            t0 = time.perf_counter()
            times = list(await asyncio.gather(*(one(n) for n in range(102, 202))))
            wall = time.perf_counter() - t0
            print(
                f"{kind}: {label}, 100 subjects 10 at a time: {wall:.1f} s "
                f"(p50 {pct(times, 0.5) * 1000:.0f} ms, p95 {pct(times, 0.95) * 1000:.0f} ms)"
            )
    finally:
        await drop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--targets", default="postgresql,mariadb")
    args = parser.parse_args()
    print(f"SQL connector bench on {machine()}; {args.rows:,} rows per database")
    for kind in args.targets.split(","):
        await _measure(kind.strip(), args.rows)


if __name__ == "__main__":
    asyncio.run(main())
