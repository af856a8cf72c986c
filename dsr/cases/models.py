"""A request and its case are one row: the id the requester gets is the id staff use."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsr.db.columns import json_field, now_ts, ts
from dsr.db.sealed_columns import sealed_json, sealed_text

_VERSION = sa.Column("version", sa.Integer, nullable=False)
REPORT_COLUMNS = ["type", "status", "jurisdiction", "decided_at", "decision_reason_code"]
DECIDED_COLUMNS = ["received_date", "respond_by", "type", "jurisdiction"]


class Case(SQLModel, table=True):
    __tablename__ = "case_record"
    __table_args__ = (
        # The queue: open work sorted by the deadline in force, then id for a stable cursor.
        sa.Index("ix_case_record_queue", "status", "respond_by", "id"),
        sa.Index("ix_case_record_due", "respond_by", "id"),
        # A staff member's own queue ("assignee=me"): one ordered range per status.
        sa.Index("ix_case_record_assignee_queue", "assignee_id", "status", "respond_by", "id"),
        sa.Index("ix_case_record_subject", "email_hash", "type", "status"),
        # Reports (dsr/reports): a year's or a period's receipts, in order; a period's decisions.
        # On PostgreSQL they carry what the reports read, so a report is an index-only scan
        # instead of reading wide case rows (bench/reports.py).
        sa.Index(
            "ix_case_record_received",
            "received_date",
            "id",
            postgresql_include=REPORT_COLUMNS,
        ),
        sa.Index("ix_case_record_decided", "decided_at", postgresql_include=DECIDED_COLUMNS),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    reference: str = Field(max_length=20, sa_column_kwargs={"unique": True}, nullable=False)
    type: str = Field(max_length=20)
    status: str = Field(max_length=30)
    channel: str = Field(max_length=10, default="web")
    jurisdiction: str = Field(max_length=10)  # normalised, e.g. EU
    jurisdiction_input: str = Field(max_length=10)  # as given, e.g. DE
    jurisdiction_known: bool = True
    # The requester's language (BCP 47, dsr.i18n.LANGUAGES): every notice to them and to their
    # agent is written in it (README, "Languages").
    language: str = Field(default="en", max_length=8)

    # Personal data: never logged, never in staff URLs, encrypted at rest (README, "Protecting
    # the data dsr holds"); emptied by retention (redacted_at). Lengths are checked by the
    # schemas (254 / 200 / 200): the sealed columns are TEXT.
    email: str = sealed_text("case_record.email")
    # Keyed hash of the address's subject key (dsr.db.sealed_columns.lookup_hash): duplicates and
    # the console's search find a requester without the address being readable.
    email_hash: str | None = Field(default=None, max_length=64)
    full_name: str = sealed_text("case_record.full_name")
    account_id: str | None = sealed_text("case_record.account_id", nullable=True)
    details: str | None = sealed_text("case_record.details", nullable=True)
    type_data: dict[str, Any] | None = sealed_json("case_record.type_data")
    # An authorized agent acting for the consumer (11 CCR 7063): personal data too, sealed. The
    # consumer (email above) confirms directly; `agent_kind` power_of_attorney needs none.
    agent_name: str | None = sealed_text("case_record.agent_name", nullable=True)
    agent_email: str | None = sealed_text("case_record.agent_email", nullable=True)
    agent_kind: str | None = Field(default=None, max_length=20)
    redacted_at: datetime | None = ts()  # retention erased the personal data (dsr.retention)

    received_at: datetime = ts(nullable=False)
    received_date: date
    verified_at: datetime | None = ts()
    expires_at: datetime | None = ts()  # when an unverified request lapses

    # Deadlines (README): respond_by is the deadline in force.
    acknowledge_by: date | None = None
    respond_by: date = Field(index=False)
    original_respond_by: date
    extended_respond_by: date | None = None
    extension_notice_by: date | None = None
    extended: bool = False
    # Set when an appeal is overturned: the case must then be done by the appeal's deadline.
    respond_by_override: date | None = None
    clock_paused: bool = False
    clock_stops: list[dict[str, Any]] = json_field(nullable=False, default=[])
    policy: dict[str, Any] = json_field(nullable=False, default={})
    acknowledged_at: datetime | None = ts()
    # The deadline each reminder/escalation was sent for: the sweep skips cases already told
    # about their current deadline without scanning the outbox.
    reminder_sent_for: date | None = None
    escalation_sent_for: date | None = None

    assignee_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id", index=True)
    duplicate_of_id: uuid.UUID | None = Field(default=None, foreign_key="case_record.id")
    decided_by_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id")
    decided_at: datetime | None = ts()
    decision_reason_code: str | None = Field(default=None, max_length=40)
    # Free text staff write to the requester: it may quote their data, so it is sealed too.
    decision_explanation: str | None = sealed_text(
        "case_record.decision_explanation", nullable=True
    )
    closed_at: datetime | None = ts()

    # The last event of the timeline (its seq and hash): the chain proves each event's content
    # and order, this anchor proves none was cut off its end (dsr audit verify checks both).
    timeline_seq: int = 0
    timeline_head: str | None = Field(default=None, max_length=64)

    # Optimistic lock: SQLAlchemy issues UPDATE ... WHERE version = :seen and raises
    # StaleDataError (-> 409) when another transaction changed the row first.
    version: int = Field(default=1, sa_column=_VERSION)
    created_at: datetime = now_ts()
    updated_at: datetime = now_ts()

    __mapper_args__ = {"version_id_col": _VERSION}


class CaseToken(SQLModel, table=True):
    """Capabilities e-mailed to the requester. The token is HMAC(secret key, row id), derived again
    when the e-mail is rendered, so only its SHA-256 is stored: a copy of the database alone
    cannot be turned into working links."""

    __tablename__ = "case_token"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="case_record.id", index=True)
    purpose: str = Field(max_length=10)  # verify | status
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    created_at: datetime = now_ts()
    expires_at: datetime = ts(nullable=False)
    used_at: datetime | None = ts()
    failed_attempts: int = 0


class CaseEvent(SQLModel, table=True):
    """The timeline. (case_id, seq) is unique, so two writers appending at once cannot both
    succeed; hash = sha256(prev_hash + canonical payload) chains each case's events.

    The texts (reason, data) may hold personal data: they are sealed, and the payload hashed
    carries not them but `body_digest`, a salted commitment to them (dsr.cases.timeline), so
    retention can drop the texts while the chain still verifies (README, "Protecting the data
    dsr holds")."""

    __tablename__ = "case_event"
    __table_args__ = (sa.UniqueConstraint("case_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="case_record.id")
    seq: int
    at: datetime = ts(nullable=False)
    actor_kind: str = Field(max_length=10)
    actor_id: str | None = Field(default=None, max_length=200)
    action: str = Field(max_length=40)
    from_status: str | None = Field(default=None, max_length=30)
    to_status: str | None = Field(default=None, max_length=30)
    reason: str | None = sealed_text("case_event.reason", nullable=True)
    data: dict[str, Any] = sealed_json("case_event.data", nullable=False, default={})
    # sha256(salt + canonical body); the salt is sealed and erased with the texts, so the digest
    # of a short text cannot be guessed back from a copy of the database.
    body_digest: str = Field(default="", max_length=64)
    body_salt: str | None = sealed_text("case_event.body_salt", nullable=True)
    redacted_at: datetime | None = ts()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
