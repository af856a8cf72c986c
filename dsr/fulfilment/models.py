"""What data systems send back (results) and what the requester downloads (the access package).
Contents are stored encrypted (dsr.crypto); a SHA-256 of the plaintext stays on the row, and on
the timeline once the contents are erased."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsr.db.columns import now_ts, ts


class TaskResult(SQLModel, table=True):
    """One thing a system found for a task: a JSON value or a file."""

    __tablename__ = "task_result"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    task_id: uuid.UUID = Field(foreign_key="case_task.id", index=True)
    kind: str = Field(max_length=10)  # json | file
    filename: str | None = Field(default=None, max_length=255)
    content_type: str = Field(max_length=100)
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    sha256: str = Field(max_length=64)
    # Encrypted contents (None once erased, or when kept as a file under DSR_STORAGE_DIR).
    blob: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary, nullable=True))
    path: str | None = Field(default=None, max_length=500)
    created_at: datetime = now_ts()
    erased_at: datetime | None = ts()


class AccessPackage(SQLModel, table=True):
    """The requester's copy of their data: a ZIP built on `fulfil`, behind an expiring link."""

    __tablename__ = "access_package"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="case_record.id", index=True)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    size: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    sha256: str = Field(max_length=64)
    blob: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary, nullable=True))
    path: str | None = Field(default=None, max_length=500)
    created_at: datetime = now_ts()
    expires_at: datetime = ts(nullable=False)
    downloads: int = 0
    max_downloads: int
    erased_at: datetime | None = ts()


class TaskLink(SQLModel, table=True):
    """A data-system owner's capability link to a task's page (manual systems): only a hash of
    the token is stored, and it expires."""

    __tablename__ = "task_link"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    task_id: uuid.UUID = Field(foreign_key="case_task.id", index=True)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    created_at: datetime = now_ts()
    expires_at: datetime = ts(nullable=False)


class AccessPackageChunk(SQLModel, table=True):
    """One sealed piece of a package kept in the database: the ZIP is encrypted in pieces so that
    neither building nor downloading it ever holds the whole archive (dsr.fulfilment.sealed)."""

    __tablename__ = "access_package_chunk"

    package_id: uuid.UUID = Field(foreign_key="access_package.id", primary_key=True)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
