"""One subject's rows in a target database, table by table, and their erasure.

Tables are read parents first (dataset.order): a table's rows are those whose identity columns
hold the subject's identities, or whose edge columns hold a value of the parent rows already
found, so any number of hops is followed and a neighbour is reached only through a row that is
the subject's. Identity values and followed keys are always bound parameters, never SQL text,
and compared with `=`/`IN` (never LIKE, so `%` and `_` are plain characters).

Erasure runs in the caller's one transaction: the rows are found again with FOR UPDATE (so no
child can be added under them), then each table's `erase` is applied children first, so a
parent's key columns still lead to its children while they are erased."""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from dsr.connectors.sql.dataset import Dataset
from dsr.connectors.sql.target import Schema

INTEGER = re.compile(r"-?[0-9]{1,18}")
# The most key values one hop follows in one statement (PostgreSQL binds at most 32,767).
MAX_KEYS = 30_000


class TooManyKeys(Exception):
    """More rows to follow than one statement can bind."""


@dataclass(frozen=True)
class Subject:
    email: str | None = None
    account_id: str | None = None

    def value(self, identity: str) -> str | None:
        return self.email if identity == "email" else self.account_id


@dataclass
class Found:
    """The rows of each table (access, dry run) or only their count (erasure)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    conditions: dict[str, sa.ColumnElement[bool] | None] = field(default_factory=dict)


def _coerce(column: sa.Column[Any], value: str) -> Any:
    """An identity (text) as the column's type: an account id `42` for an integer column.
    A value the type cannot hold matches nothing."""
    try:
        kind = column.type.python_type
    except NotImplementedError:
        return value
    if kind is int:
        # ASCII digits only: int() would also read a full-width digit (U+FF11) as 1.
        return int(value) if INTEGER.fullmatch(value) else None
    if kind is uuid.UUID:
        try:
            return uuid.UUID(value)
        except ValueError:
            return None
    return value


def _identity_condition(
    conn: AsyncConnection, column: sa.Column[Any], identity: str, value: str
) -> sa.ColumnElement[bool]:
    if identity == "email":
        if conn.dialect.name == "mysql":
            # MariaDB/MySQL compare with the column's collation, case-insensitive by default
            # (_ci); lower() would stop the index on the column from being used.
            return column == sa.bindparam(None, value, type_=column.type)
        return sa.func.lower(column) == sa.func.lower(sa.bindparam(None, value, type_=sa.String))
    coerced = _coerce(column, value)
    if coerced is None:
        return sa.false()
    return column == sa.bindparam(None, coerced, type_=column.type)


def _condition(
    conn: AsyncConnection,
    dataset: Dataset,
    name: str,
    table: sa.Table,
    subject: Subject,
    keys: dict[tuple[str, str], set[Any]],
) -> sa.ColumnElement[bool] | None:
    """Where a row of `name` is the subject's: an identity column holds theirs, or an edge
    column holds a key of the parent rows already found. None: nothing can lead to a row."""
    spec = dataset.tables[name]
    conds: list[sa.ColumnElement[bool]] = []
    for identity, column in spec.identities:
        value = subject.value(identity)
        if value is not None:
            conds.append(_identity_condition(conn, table.c[column], identity, value))
    for edge in spec.edges:
        values = keys.get((edge.parent, edge.parent_column)) or set()
        if len(values) > MAX_KEYS:
            raise TooManyKeys(f"{name}: more than {MAX_KEYS} {edge.parent} rows to follow")
        if values:
            conds.append(table.c[edge.column].in_(sorted(values, key=repr)))
    return sa.or_(*conds) if conds else None


async def find(
    conn: AsyncConnection,
    dataset: Dataset,
    schema: Schema,
    subject: Subject,
    *,
    rows: bool,
    lock: bool = False,
) -> Found:
    """Every reachable row (rows=True) or only the key columns children need (rows=False)."""
    found = Found()
    keys: dict[tuple[str, str], set[Any]] = {}
    for name in dataset.order:
        table = schema.tables[name]
        condition = _condition(conn, dataset, name, table, subject, keys)
        found.conditions[name] = condition
        needed = sorted(dataset.key_columns(name))
        if condition is None:
            found.rows[name], found.counts[name] = [], 0
            continue
        columns: list[Any] = list(table.c) if rows else [table.c[c] for c in needed]
        columns = columns or [sa.literal(1)]
        stmt = sa.select(*columns).where(condition)
        if rows:
            stmt = stmt.order_by(*table.primary_key.columns)
        if lock and conn.dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        result = (await conn.execute(stmt)).mappings().all()
        found.counts[name] = len(result)
        if rows:
            found.rows[name] = [{k: jsonable(v) for k, v in r.items()} for r in result]
        for column in needed:
            keys[(name, column)] = {r[column] for r in result if r[column] is not None}
    return found


async def erase(
    conn: AsyncConnection,
    dataset: Dataset,
    schema: Schema,
    subject: Subject,
    *,
    mask: Callable[[str, str], str],
) -> tuple[dict[str, int], dict[str, int]]:
    """Apply each table's `erase` to the subject's rows, children first, in the caller's
    transaction. Returns (rows erased by table, rows retained by table)."""
    found = await find(conn, dataset, schema, subject, rows=False, lock=True)
    erased: dict[str, int] = {}
    retained: dict[str, int] = {}
    for name in reversed(dataset.order):
        spec, table, condition = dataset.tables[name], schema.tables[name], found.conditions[name]
        if condition is None or not found.counts[name]:
            continue
        kind = spec.erase.kind
        if kind == "retain":
            retained[name] = found.counts[name]
            continue
        if kind == "delete":
            stmt: sa.Executable = sa.delete(table).where(condition)
        else:
            values = {
                c: None if kind == "null" else _fit(table.c[c], mask(name, c))
                for c in spec.erase.columns
            }
            stmt = sa.update(table).where(condition).values(values)
        result = await conn.execute(stmt)
        erased[name] = int(getattr(result, "rowcount", 0) or 0)
    return erased, retained


def _fit(column: sa.Column[Any], value: str) -> str:
    length = getattr(column.type, "length", None)
    return value[:length] if length else value


def jsonable(value: Any) -> Any:
    """A column value as JSON: dates and times in ISO 8601, decimals and ids as text, bytes in
    base64."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict | list):
        return value
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return str(value)
