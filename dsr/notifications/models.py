from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsr.db.columns import now_ts, ts
from dsr.db.sealed_columns import sealed_json, sealed_text

PROBLEM_SQL = "status = 'failed' OR (status = 'pending' AND attempts > 0)"


class OutboxMessage(SQLModel, table=True):
    """A notification written in the same transaction as the change it reports. The body is
    rendered when sent, from `kind` and `context`, so tokens need not be stored in clear."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        sa.Index("ix_outbox_message_due", "status", "next_attempt_at"),
        # Only the messages with a delivery problem (few): the console counts the cases they
        # are about on every page, and the queue filters by them.
        sa.Index(
            "ix_outbox_message_problem",
            "case_id",
            sqlite_where=sa.text(PROBLEM_SQL),
            postgresql_where=sa.text(PROBLEM_SQL),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    # The address and what the body is rendered from are personal data: encrypted at rest, and
    # the context is emptied once the message is delivered (dsr.retention.purge_sent).
    recipient: str = sealed_text("outbox_message.recipient")
    context: dict[str, Any] = sealed_json("outbox_message.context", nullable=False, default={})
    dedup_key: str = Field(max_length=200, sa_column_kwargs={"unique": True}, nullable=False)
    case_id: uuid.UUID | None = Field(default=None, foreign_key="case_record.id", index=True)
    status: str = Field(default="pending", max_length=10)  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = ts(nullable=False, default_now=True)
    locked_until: datetime | None = ts()
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = now_ts()
    sent_at: datetime | None = ts()
    purged_at: datetime | None = ts()  # recipient and context erased after delivery


def problem_clause() -> sa.ColumnElement[bool]:
    """A delivery problem: given up on, or failed at least once and waiting to be retried.
    The partial index's predicate, written with literals (not bound parameters) so that SQLite
    and PostgreSQL see the query implies it and use the index."""
    status, attempts = OutboxMessage.__table__.c.status, OutboxMessage.__table__.c.attempts  # type: ignore[attr-defined]
    return sa.or_(
        status == sa.literal_column("'failed'"),
        sa.and_(status == sa.literal_column("'pending'"), attempts > sa.literal_column("0")),
    )
