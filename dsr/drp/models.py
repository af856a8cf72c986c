"""The agent registry, the pair-wise tokens and the DRP requests (README, "Data Rights
Protocol")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from dsr.db.columns import now_ts, ts
from dsr.db.sealed_columns import sealed_json

AGENT_ID_MAX = 100


class DrpAgent(SQLModel, table=True):
    """An authorized agent whose verify key we trust (added by an admin, out of band)."""

    __tablename__ = "drp_agent"

    id: str = Field(primary_key=True, max_length=AGENT_ID_MAX)
    name: str = Field(max_length=200)
    # Base64 of the 32-byte Ed25519 public key (the spec's service directory encoding).
    verify_key: str = Field(max_length=100)
    enabled: bool = True
    created_at: datetime = now_ts()
    updated_at: datetime = now_ts()


class DrpToken(SQLModel, table=True):
    """A pair-wise bearer token: only its SHA-256 is kept, so a copy of the database gives no
    working token. `setup_hash` is the signed set-up message's digest: replaying it is refused."""

    __tablename__ = "drp_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    agent_id: str = Field(foreign_key="drp_agent.id", index=True, max_length=AGENT_ID_MAX)
    setup_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    created_at: datetime = now_ts()


class DrpRequest(SQLModel, table=True):
    """One signed exercise. `id` is the DRP request_id; the case carries the work. An exercise we
    cannot serve has no case: its denial is recorded here (status, reason)."""

    __tablename__ = "drp_request"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    agent_id: str = Field(foreign_key="drp_agent.id", index=True, max_length=AGENT_ID_MAX)
    case_id: uuid.UUID | None = Field(
        default=None, foreign_key="case_record.id", sa_column_kwargs={"unique": True}
    )
    # The decoded signed message's digest: the same signed message twice is a replay (409).
    message_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    agent_request_id: str | None = Field(default=None, max_length=200)
    exercise: str = Field(max_length=40)
    regime: str | None = Field(default=None, max_length=40)
    status_callback: str | None = Field(default=None, max_length=2000)
    # The identity claims (schema.org/Person): personal data, sealed, never logged.
    claims: dict[str, Any] | None = sealed_json("drp_request.claims")
    status: str | None = Field(default=None, max_length=20)  # only for requests without a case
    reason: str | None = Field(default=None, max_length=40)
    received_at: datetime = ts(nullable=False)
    created_at: datetime = now_ts()
