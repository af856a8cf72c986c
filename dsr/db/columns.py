"""Small helpers to declare SQLModel fields with our column types (each call makes a fresh Column)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

import dsr.db.base  # noqa: F401  (naming convention before any table is declared)
from dsr.db.types import JSONType, UTCDateTime, utcnow


def ts(*, nullable: bool = True, index: bool = False, default_now: bool = False) -> Any:
    kwargs: dict[str, Any] = {}
    if default_now:
        kwargs["default_factory"] = utcnow
    return Field(sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index), **kwargs)


def json_field(*, nullable: bool = True, default: Any = None) -> Any:
    if default is None:
        return Field(default=None, sa_column=sa.Column(JSONType, nullable=nullable))
    return Field(
        default_factory=lambda: type(default)(default),
        sa_column=sa.Column(JSONType, nullable=nullable),
    )


def now_ts() -> Any:
    return ts(nullable=False, default_now=True)
