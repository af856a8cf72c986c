"""Data systems, how dsr reaches them, and the per-case tasks they get."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsr.db.columns import json_field, now_ts, ts
from dsr.db.sealed_columns import sealed_text


class DataSystem(SQLModel, table=True):
    """A system that holds personal data, its owner, and the request types it must act on."""

    __tablename__ = "data_system"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100, sa_column_kwargs={"unique": True}, nullable=False)
    owner_email: str = Field(max_length=254)
    categories: list[str] = json_field(nullable=False, default=[])
    request_types: list[str] = json_field(nullable=False, default=[])
    active: bool = True
    created_at: datetime = now_ts()
    # How dsr reaches it (dsr.domain.vocabulary.Integration) and what its tasks carry.
    integration: str = Field(default="manual", max_length=10)
    webhook_url: str | None = Field(default=None, max_length=2000)
    # The Standard Webhooks secret (whsec_...), encrypted with the keyring (dsr.crypto).
    signing_secret: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    identities: list[str] = json_field(nullable=False, default=["email", "account_id"])
    # What a requester is owed about the system (GDPR Art 15(1)): shown in their copy.
    purposes: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    recipients: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    retention: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    source: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    # sql systems (dsr.connectors.sql): the NAME of the environment variable holding the
    # database URL (the URL itself is never stored) and the dataset (YAML text).
    connection_env: str | None = Field(default=None, max_length=100)
    dataset: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))


class CaseTask(SQLModel, table=True):
    """One data system's work on one case. A case can be fulfilled only when every task is
    closed: done by the owner or staff, or waived by staff with a reason."""

    __tablename__ = "case_task"
    __table_args__ = (sa.UniqueConstraint("case_id", "data_system_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="case_record.id", index=True)
    data_system_id: uuid.UUID = Field(foreign_key="data_system.id")
    status: str = Field(default="open", max_length=10)  # dsr.domain.vocabulary.TaskStatus
    note: str | None = sealed_text("case_task.note", nullable=True)  # may quote the requester
    closed_by: str | None = Field(default=None, max_length=200)  # staff id or token name
    closed_at: datetime | None = ts()
    created_at: datetime = now_ts()
    records_affected: int | None = None
    # Why dsr's own last attempt at the task failed (sql systems), without personal data.
    last_error: str | None = Field(default=None, max_length=500)
