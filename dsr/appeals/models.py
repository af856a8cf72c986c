"""An appeal against a refusal (issue 4): its own state machine, deadline and reviewer."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsr.db.columns import now_ts, ts
from dsr.db.sealed_columns import sealed_text

_VERSION = sa.Column("version", sa.Integer, nullable=False)


class Appeal(SQLModel, table=True):
    __tablename__ = "appeal"
    __table_args__ = (sa.Index("ix_appeal_queue", "status", "respond_by", "id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="case_record.id", index=True)
    status: str = Field(max_length=20)
    statutory: bool  # False: a non-statutory internal review (DSR_INTERNAL_REVIEW_DAYS)
    reason: str = sealed_text("appeal.reason")  # the requester's words: encrypted at rest
    received_at: datetime = ts(nullable=False)
    received_date: date
    respond_by: date
    original_respond_by: date
    extended_respond_by: date | None = None
    extended: bool = False
    original_decider_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id")
    assignee_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id")
    decided_by_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id")
    decided_at: datetime | None = ts()
    explanation: str | None = sealed_text("appeal.explanation", nullable=True)
    reminder_sent_for: date | None = None
    escalation_sent_for: date | None = None
    version: int = Field(default=1, sa_column=_VERSION)
    created_at: datetime = now_ts()
    updated_at: datetime = now_ts()

    __mapper_args__ = {"version_id_col": _VERSION}
