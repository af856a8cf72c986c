"""The target database of an `sql` system: its URL (read from the environment when needed, never
stored, logged or shown), an engine with the right async driver, a statement timeout on every
connection, and the live schema the dataset is checked against.

Drivers: asyncpg (PostgreSQL), aiomysql (MariaDB and MySQL), aiosqlite (SQLite)."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from dsr.connectors.sql.dataset import Dataset

ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
DRIVERS = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "mysql": "mysql+aiomysql",
    "mariadb": "mysql+aiomysql",
    "sqlite": "sqlite+aiosqlite",
}


class TargetError(Exception):
    """Why the target database cannot be used, in words without the URL or personal data."""


def url_from_env(env_name: str) -> str:
    """The URL held by the variable `env_name`, with the async driver dsr uses for its scheme."""
    raw = os.environ.get(env_name, "").strip()
    if not raw:
        raise TargetError(f"the environment variable {env_name} is not set where dsr runs")
    scheme, sep, rest = raw.partition("://")
    driver = DRIVERS.get(scheme.split("+", 1)[0].lower())
    if not sep or driver is None:
        raise TargetError(
            f"{env_name}: the URL must start with postgresql://, mysql:// or sqlite://"
        )
    return f"{driver}://{rest}"


def make_engine(env_name: str) -> AsyncEngine:
    url = url_from_env(env_name)
    # One run of a task uses one or two connections and then ends: no pool to keep between runs.
    try:
        return create_async_engine(url, poolclass=NullPool, hide_parameters=True)
    except (sa.exc.ArgumentError, ValueError):
        raise TargetError(f"{env_name}: the URL is not a valid database URL") from None


@asynccontextmanager
async def transaction(engine: AsyncEngine, timeout_seconds: int) -> AsyncIterator[AsyncConnection]:
    """One transaction with every statement bounded by `timeout_seconds` (PostgreSQL's
    statement_timeout, MariaDB's max_statement_time, MySQL's max_execution_time for reads;
    SQLite, a local file, has none)."""
    async with engine.connect() as conn:
        await conn.begin()
        await set_timeout(conn, int(timeout_seconds))
        try:
            yield conn
        except BaseException:
            await conn.rollback()
            raise
        else:
            await conn.commit()


async def set_timeout(conn: AsyncConnection, seconds: int) -> None:
    dialect = conn.dialect
    # `seconds` is an int from the settings: formatted into SET, which takes no parameters.
    if dialect.name == "postgresql":
        await conn.exec_driver_sql(f"SET LOCAL statement_timeout = {seconds * 1000}")
    elif dialect.name == "mysql":
        if getattr(dialect, "is_mariadb", False):
            await conn.exec_driver_sql(f"SET SESSION max_statement_time = {seconds}")
        else:
            await conn.exec_driver_sql(f"SET SESSION max_execution_time = {seconds * 1000}")


@dataclass(frozen=True)
class Schema:
    """The dataset's tables as the database has them, and its warnings (unindexed edges)."""

    tables: dict[str, sa.Table]
    warnings: list[str]


def _reflect(sync_conn: sa.Connection, dataset: Dataset, indexes: bool) -> Schema:
    with warnings.catch_warnings():
        # An expression index (lower(email)) is not reflected, and need not be: say nothing.
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        return _reflect_tables(sync_conn, dataset, indexes)


def _reflect_tables(sync_conn: sa.Connection, dataset: Dataset, indexes: bool) -> Schema:
    """The tables' columns and primary keys in a few catalogue queries for all of them (the
    multi-table inspection; a full reflection costs hundreds of milliseconds on PostgreSQL)."""
    inspector = sa.inspect(sync_conn)
    names = list(dataset.order)
    existing = set(inspector.get_table_names())
    for name in names:
        if name not in existing:
            raise TargetError(f"dataset: table {name!r} does not exist in the database")
    columns = {
        key[1]: cols for key, cols in inspector.get_multi_columns(filter_names=names).items()
    }
    pks = inspector.get_multi_pk_constraint(filter_names=names)
    pk = {key[1]: set(c.get("constrained_columns") or []) for key, c in pks.items()}
    metadata = sa.MetaData()
    found = {}
    for name in names:
        cols = [
            sa.Column(c["name"], c["type"], primary_key=c["name"] in pk.get(name, set()))
            for c in columns.get(name, [])
        ]
        table = sa.Table(name, metadata, *cols)
        missing = sorted(c for c in dataset.tables[name].columns() if c not in table.c)
        missing += sorted(c for c in dataset.key_columns(name) if c not in table.c)
        if missing:
            raise TargetError(f"dataset: column {missing[0]!r} does not exist in table {name!r}")
        found[name] = table
    notes = []
    for name in names if indexes else []:
        leading = _leading_columns(inspector, name)
        for edge in dataset.tables[name].edges:
            if edge.column not in leading:
                notes.append(
                    f"{name}.{edge.column} has no index: every request will scan {name} "
                    f"(CREATE INDEX ON {name} ({edge.column}))"
                )
    return Schema(found, notes)


def _leading_columns(inspector: sa.Inspector, table: str) -> set[str]:
    """Columns that lead an index, the primary key or a unique constraint: found without a scan."""
    leading = set((inspector.get_pk_constraint(table).get("constrained_columns") or [])[:1])
    for index in inspector.get_indexes(table):
        cols = [c for c in index.get("column_names") or [] if c]
        leading.update(cols[:1])
    for unique in inspector.get_unique_constraints(table):
        leading.update((unique.get("column_names") or [])[:1])
    return leading


async def reflect(conn: AsyncConnection, dataset: Dataset, *, indexes: bool = False) -> Schema:
    """The live tables; TargetError naming the first table or column that does not exist.
    With `indexes`, warnings name each edge column that no index leads with."""
    return await conn.run_sync(_reflect, dataset, indexes)
