from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from dsr.db.columns import json_field, now_ts, ts


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=254, sa_column_kwargs={"unique": True}, nullable=False)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)
    is_active: bool = True
    created_at: datetime = now_ts()


class ApiToken(SQLModel, table=True):
    """Bearer tokens: service tokens from `dsr tokens create` (scoped, no user) and access tokens
    issued by POST /auth/token (acting as a user). Only a SHA-256 of the token is stored; tokens
    are 256-bit random, so a fast hash is enough (no password stretching needed)."""

    __tablename__ = "api_token"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    scopes: list[str] = json_field(nullable=False, default=[])
    user_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id", index=True)
    # A token bound to one data system sees and acts on that system's tasks only.
    data_system_id: uuid.UUID | None = Field(default=None, foreign_key="data_system.id")
    created_at: datetime = now_ts()
    expires_at: datetime | None = ts()
    revoked_at: datetime | None = ts()
