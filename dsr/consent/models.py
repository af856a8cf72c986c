"""The training-eligibility ledger (README, "Training eligibility"). History tables are append-only: a consent
is never overwritten and an exclusion's life is a sequence of events.

There is no separate current-state table: "the latest record as of T" is one backward probe of
ix_consent_record_lookup per key, whatever T is, so "now" is simply "as of the ledger clock".
A state table would make every write slower (an upsert per record) and each read no faster."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsr.db.columns import json_field, ts
from dsr.db.sealed_columns import sealed_text

# SQLite only auto-numbers an INTEGER PRIMARY KEY; PostgreSQL gets a bigint identity.
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SUBJECT_LEN = 241


def _subject() -> Any:
    """Subject keys compare byte by byte (collation "C" on PostgreSQL, SQLite's default): faster
    index probes than a linguistic collation, and the same order as Python's sorted()."""
    kind = sa.String(SUBJECT_LEN, collation="C").with_variant(sa.String(SUBJECT_LEN), "sqlite")
    return Field(sa_column=sa.Column("subject", kind, nullable=False))


def _id_column() -> Any:
    return Field(default=None, sa_column=sa.Column(BIGINT_ID, primary_key=True, autoincrement=True))


class ConsentRecord(SQLModel, table=True):
    """One grant or withdrawal as the source system reported it. `recorded_at` is when the person
    decided (never later than `received_at`); `received_at` is when dsr learned of it, which is
    what `as_of` filters on: a record received later was not in the ledger then."""

    __tablename__ = "consent_record"
    __table_args__ = (
        # "The latest record as of T" for one key walks this index backwards from the newest.
        sa.Index(
            "ix_consent_record_lookup",
            "subject",
            "category",
            "purpose",
            "recorded_at",
            "id",
            postgresql_include=["received_at", "granted"],
        ),
    )

    id: int | None = _id_column()
    subject: str = _subject()
    category: str = Field(max_length=20)
    purpose: str = Field(max_length=30)
    granted: bool
    recorded_at: datetime = ts(nullable=False)
    received_at: datetime = ts(nullable=False)
    source: str | None = Field(default=None, max_length=100)


class Exclusion(SQLModel, table=True):
    """An event in the life of one request's exclusion of one subject key: provisional when the
    request is verified, permanent when fulfilled, lifted when denied as unverifiable or withdrawn.
    `at` is the ledger clock (see ledger.py); the id orders events."""

    __tablename__ = "exclusion"
    __table_args__ = (sa.Index("ix_exclusion_subject", "subject", "id"),)

    id: int | None = _id_column()
    subject: str = _subject()
    case_id: uuid.UUID = Field(foreign_key="case_record.id", index=True)
    kind: str = Field(max_length=12)
    at: datetime = ts(nullable=False)
    reason: str | None = Field(default=None, max_length=40)


class TrainingChange(SQLModel, table=True):
    """The change feed pipelines poll: every consent record appended, and every exclusion event
    with the subject's resulting state. Ids are the cursor; ledger.py makes them commit in order."""

    __tablename__ = "training_change"

    id: int | None = _id_column()
    at: datetime = ts(nullable=False)
    subject: str = Field(max_length=SUBJECT_LEN)
    kind: str = Field(max_length=10)  # consent | exclusion
    category: str | None = Field(default=None, max_length=20)
    purpose: str | None = Field(default=None, max_length=30)
    granted: bool | None = None
    exclusion: str | None = Field(default=None, max_length=12)
    excluded: bool | None = None  # the subject's state after this event, over all requests


class OutputSuppression(SQLModel, table=True):
    """A rule for the serving guardrail, published by a fulfilled output-removal request. `seq`
    is renumbered on every change (publish, withdraw), so the guardrail's cursor sees each rule
    again when it changes."""

    __tablename__ = "output_suppression"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="case_record.id", sa_column_kwargs={"unique": True})
    # Encrypted at rest; the guardrail API decrypts it (it must match served outputs).
    personal_data: str = sealed_text("output_suppression.personal_data")
    models: list[str] = json_field(nullable=False, default=[])
    status: str = Field(max_length=10)  # active | withdrawn
    published_at: datetime = ts(nullable=False)
    withdrawn_at: datetime | None = ts()
    seq: int = Field(sa_column=sa.Column(BIGINT_ID, nullable=False, unique=True))


class OptOut(SQLModel, table=True):
    """An opt-out of sale/sharing and targeted advertising for one subject key: from a Global
    Privacy Control signal (`gpc`) or an opt_out request (`request`, with its case). `recorded_at`
    is the ledger clock (ledger.py), so eligibility `as_of` answers stay replayable; a request's
    opt-out is lifted (`lifted_at`) only if the request is denied or withdrawn. `dedup_key` makes
    recording idempotent: one GPC row per subject, one row per subject and case."""

    __tablename__ = "opt_out"
    __table_args__ = (sa.Index("ix_opt_out_subject", "subject", "recorded_at"),)

    id: int | None = _id_column()
    subject: str = _subject()
    source: str = Field(max_length=10)  # gpc | request
    case_id: uuid.UUID | None = Field(default=None, foreign_key="case_record.id", index=True)
    dedup_key: str = Field(max_length=300, sa_column_kwargs={"unique": True}, nullable=False)
    observed_at: datetime = ts(nullable=False)
    recorded_at: datetime = ts(nullable=False)
    lifted_at: datetime | None = ts()
