from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsr.db.columns import json_field, now_ts, ts


class OutboxMessage(SQLModel, table=True):
    """A notification written in the same transaction as the change it reports. The body is
    rendered when sent, from `kind` and `context`, so tokens need not be stored in clear."""

    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    recipient: str = Field(max_length=254)
    context: dict[str, Any] = json_field(nullable=False, default={})
    dedup_key: str = Field(max_length=200, sa_column_kwargs={"unique": True}, nullable=False)
    case_id: uuid.UUID | None = Field(default=None, foreign_key="case_record.id", index=True)
    status: str = Field(default="pending", max_length=10)  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = ts(nullable=False, default_now=True)
    locked_until: datetime | None = ts()
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = now_ts()
    sent_at: datetime | None = ts()
