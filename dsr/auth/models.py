from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsr.db.columns import json_field, now_ts, ts
from dsr.db.sealed_columns import sealed_text


class StaffUser(SQLModel, table=True):
    __tablename__ = "staff_user"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=254, sa_column_kwargs={"unique": True}, nullable=False)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)
    is_active: bool = True
    created_at: datetime = now_ts()
    # Second factor (README, "Staff sessions and second factor"): the TOTP secret, sealed with
    # DSR_ENCRYPTION_KEYS (rotated by `dsr keys rotate` like every sealed column); set at
    # enrolment and in use once confirmed (mfa_enabled_at). The last
    # time step accepted stops a code seen over a shoulder from being used again.
    totp_secret: str | None = sealed_text("staff_user.totp_secret", nullable=True)
    mfa_enabled_at: datetime | None = ts()
    totp_last_step: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger))
    # SHA-256 of each unused recovery code (80 random bits each: a hash is enough).
    recovery_codes: list[str] = json_field(nullable=False, default=[])

    @property
    def mfa_enabled(self) -> bool:
        return self.mfa_enabled_at is not None


class StaffSession(SQLModel, table=True):
    """A console login, server-side so that it can be ended (issue 12, defect 2): the cookie
    carries a random session id; only its SHA-256 is stored, so a database dump logs no one in.
    It ends at logout, deactivation, a password change or "log out everywhere" (revoked_at), when
    idle longer than DSR_SESSION_MAX_AGE_SECONDS, and at expires_at whatever its use."""

    __tablename__ = "staff_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    id_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True}, nullable=False)
    user_id: uuid.UUID = Field(foreign_key="staff_user.id", index=True)
    created_at: datetime = now_ts()
    last_seen_at: datetime = now_ts()
    expires_at: datetime = ts(nullable=False)
    revoked_at: datetime | None = ts()


class LoginThrottle(SQLModel, table=True):
    """Failed logins per account (issue 12, defect 5), whatever the client address. Keyed by a
    keyed hash of the e-mail address as typed, known account or not: unknown addresses are
    locked out the same way, so the lockout tells nobody which addresses have accounts."""

    __tablename__ = "login_throttle"

    key_hash: str = Field(max_length=64, primary_key=True)
    failures: int = 0
    last_failure_at: datetime = now_ts()
    locked_until: datetime | None = ts()


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
