"""The staff queue in other orders than the deadline's (which is repository.page): by date
received (newest first), by reference, or by status then deadline. Each is a keyset page over
its own keys ending in the id, so a page costs the same however deep, and nothing is skipped or
shown twice when rows tie; the cursor names its order, so a cursor of one order is refused by
another."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases import repository
from dsr.cases.models import Case
from dsr.cases.repository import CaseFilter
from dsr.errors import InvalidInput


@dataclass(frozen=True)
class Order:
    keys: tuple[str, ...]  # Case attributes, the last one the id
    descending: bool = False


# The default ("deadline") is repository.page, which has its own cursor format.
ORDERS: dict[str, Order] = {
    # received_date then id: the order of ix_case_record_received, read backwards.
    "received": Order(("received_date", "id"), descending=True),
    "reference": Order(("reference", "id")),
    # status, deadline, id: the order of ix_case_record_queue.
    "status": Order(("status", "respond_by", "id")),
}
SORTS = ("deadline", *ORDERS)


def _dump(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _load(key: str, raw: Any) -> Any:
    if not isinstance(raw, str):
        raise ValueError("not a string")
    if key in ("received_date", "respond_by"):
        return date.fromisoformat(raw)
    if key == "id":
        return uuid.UUID(raw)
    return raw


def encode(sort: str, case: Case) -> str:
    values = [sort, *(_dump(getattr(case, k)) for k in ORDERS[sort].keys)]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode(sort: str, cursor: str) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or raw[0] != sort or len(raw) != len(ORDERS[sort].keys) + 1:
            raise ValueError("another order's cursor")
        return [_load(k, v) for k, v in zip(ORDERS[sort].keys, raw[1:], strict=True)]
    except (ValueError, TypeError, IndexError) as exc:
        raise InvalidInput("cursor: not a cursor of this order") from exc


async def page(
    session: AsyncSession, f: CaseFilter, sort: str, limit: int, cursor: str | None
) -> tuple[list[Case], str | None]:
    if sort not in ORDERS:
        return await repository.page(session, f, limit, cursor)
    order = ORDERS[sort]
    columns: list[Any] = [col(getattr(Case, k)) for k in order.keys]
    stmt = repository.filtered(select(Case), f)
    if cursor:
        after = decode(sort, cursor)
        row = sa.tuple_(*columns)
        bound = sa.tuple_(*(sa.literal(v, c.type) for v, c in zip(after, columns, strict=True)))
        stmt = stmt.where(row < bound if order.descending else row > bound)
    stmt = stmt.order_by(*(c.desc() if order.descending else c for c in columns))
    rows = list((await session.exec(stmt.limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode(sort, rows[-1]) if more and rows else None)
