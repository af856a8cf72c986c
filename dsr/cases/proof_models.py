"""The signed permission an authorized agent uploads for a consumer (11 CCR 7063 [U];
docs/legal.md §1.10). Contents are sealed like task results (dsr.crypto, bound to the row's
id); the SHA-256 and size of the plaintext stay on the row once retention erases them."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsr.db.columns import now_ts, ts


class AgentProof(SQLModel, table=True):
    __tablename__ = "agent_proof"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="case_record.id", index=True)
    content_type: str = Field(max_length=100)  # from the file's first bytes, not the header
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    sha256: str = Field(max_length=64)
    # Encrypted contents (None once erased, or when kept as a file under DSR_STORAGE_DIR).
    blob: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary, nullable=True))
    path: str | None = Field(default=None, max_length=500)
    created_at: datetime = now_ts()
    erased_at: datetime | None = ts()
