"""Configuration: one Settings object built once from DSR_* environment variables and passed down."""

from __future__ import annotations

import base64
import ipaddress
import secrets
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from dsr.crypto import Keyring

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./var/dsr.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DSR_", env_file=None, extra="ignore")

    database_url: str = DEFAULT_SQLITE_URL
    # Signs sessions and derives e-mailed capability tokens. When unset, a key is generated once
    # and kept in ./var/secret_key so a local trial survives restarts; production sets it.
    secret_key: str = ""
    var_dir: Path = Path("var")
    base_url: str = "http://127.0.0.1:8000"
    environment: Literal["development", "production", "test"] = "development"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "privacy@example.com"

    timezone: str = "UTC"
    eu_holiday_country: str = "IE"
    # Per-jurisdiction overrides of the deadline policies, as JSON, e.g.
    # {"US-CA": {"holiday_calendar": "weekends-only"}}. See README "Deadline policies".
    deadline_overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Non-statutory internal review offered where the law grants no appeal (days; 0 = off).
    internal_review_days: int = 30
    # Regulators and Attorneys General named in refusal and appeal notices (TOML, see config/).
    regulators_file: str | None = None
    appeal_window_days: int = 60

    verification_ttl_hours: int = 72
    verification_max_attempts: int = 5
    status_token_ttl_days: int = 730
    unverified_expiry_hours: int = 72

    # Training-eligibility policy (README, "Training eligibility") as JSON, e.g. DSR_TRAINING_POLICY=
    # '{"version": "2027-01-15.1", "consent_gated": ["prompts", "outputs", "customer_content"]}'.
    # Unset: the default policy in dsr/domain/eligibility.py. See README "Training eligibility".
    training_policy: dict[str, Any] | None = None

    max_body_bytes: int = 64 * 1024
    rate_limit_ip: str = "20/minute"
    rate_limit_email: str = "5/hour"
    # Staff login (console and POST /api/v1/auth/token), per client IP: its own bucket.
    rate_limit_login: str = "10/minute"
    # Data Rights Protocol 1.0 (README, "Data Rights Protocol"): our Covered Business id in the
    # DRP network (empty: /drp answers 404); requests per client address on /drp; how far an
    # agent's clock may run ahead (issued-at) and the longest issued-at..expires-at window taken
    # (the spec recommends 10 minutes; agents in the field send up to 15).
    drp_business_id: str = ""
    rate_limit_drp: str = "120/minute"
    drp_clock_skew_seconds: int = Field(default=60, ge=0, le=300)
    drp_max_window_minutes: int = Field(default=15, ge=1, le=60)
    # The jurisdiction a request without a legal regime (voluntary) runs under. DRP 1.0 encodes
    # only CCPA rights, whose jurisdiction is US-CA; unconfirmed for voluntary requests, hence a
    # setting (docs/legal.md).
    drp_voluntary_jurisdiction: str = "US-CA"
    # Status callbacks go to the address an agent's signed request names: by default never to a
    # loopback, private, link-local or otherwise non-public address (so a request cannot make dsr
    # POST into the provider's own network). True for a test set-up or an agent on the intranet.
    drp_callback_private_hosts: bool = False

    reminder_days_ahead: int = 3
    worker_poll_seconds: float = 1.0
    sweep_interval_seconds: float = 300.0
    outbox_max_attempts: int = 12
    session_max_age_seconds: int = 8 * 3600  # a console session ends when idle this long
    # ... and this long after its login, however busy (README, "Staff sessions and second factor").
    session_absolute_hours: int = Field(default=12, ge=1)
    # Staff must use a second factor (TOTP): users without one are sent to set it up at login.
    require_mfa: bool = False
    # Per-account login lockout: after this many failed attempts for one e-mail address, from
    # any address, attempts are refused for lockout_seconds, doubling with each further failure
    # up to lockout_max_seconds. Reset by a successful login or by an admin.
    login_lockout_threshold: int = Field(default=5, ge=1)
    login_lockout_seconds: int = Field(default=60, ge=1)
    login_lockout_max_seconds: int = Field(default=3600, ge=1)
    access_token_ttl_minutes: int = 60

    # Fulfilment (README, "Data systems and fulfilment").
    max_result_bytes: int = 25 * 1024 * 1024  # what one task may upload in all
    package_ttl_days: int = 14  # the requester's download link
    package_max_downloads: int = 5
    # Where access packages and uploaded results are kept, encrypted: in the database (unset), so
    # any API process can serve them, or as files in this directory.
    storage_dir: Path | None = None
    task_link_ttl_days: int = 30  # the owner's task page link (manual systems)
    # Authorized agents (README, "Authorized agents"): the signed permission an agent uploads,
    # and how long the agent's upload link works.
    max_proof_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    agent_proof_ttl_days: int = Field(default=30, ge=1)
    webhook_timeout_seconds: float = 10.0
    # sql systems: every statement dsr runs on a target database stops after this many seconds.
    sql_statement_timeout_seconds: int = 30
    # AES-256-GCM keys for what dsr stores encrypted: comma-separated, each the base64 of 32
    # random bytes; the first encrypts, every one decrypts. Unset: one is generated under var/.
    encryption_keys: str = ""
    # Closed cases are redacted to the record the law requires this many days after they closed
    # (dsr.retention). 730: CCPA regulations §7101 keep request records at least 24 months
    # (docs/legal.md); other laws may ask for other periods, hence a setting.
    retention_days: int = Field(default=730, ge=1)

    # Proxies whose X-Forwarded-For (and -Proto) is believed: comma-separated addresses or
    # networks (CIDR). Empty: none, not even loopback, so a client cannot pick the address the
    # rate limits count it under (issue 12, defect 5).
    trusted_proxies: str = ""
    # Rate-limit counters shared by every API process (redis://host:port/db); empty: in memory.
    redis_url: str = ""
    redis_key_prefix: str = "dsr:ratelimit:"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        ZoneInfo(v)  # raises on an unknown zone: fail at start-up, not on the first request
        return v

    @field_validator("training_policy")
    @classmethod
    def _valid_policy(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        from dsr.domain.eligibility import policy_from_config

        policy_from_config(v)  # raises on a bad policy: fail at start-up
        return v

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_proxies(cls, v: str) -> str:
        for entry in _entries(v):
            try:
                ipaddress.ip_network(entry, strict=False)  # an address is a network of one
            except ValueError:
                raise ValueError(
                    "DSR_TRUSTED_PROXIES: each entry must be an IP address or a network (CIDR)"
                ) from None
        return ",".join(_entries(v))

    def model_post_init(self, __context: Any) -> None:
        if not self.secret_key:
            self.secret_key = _local_secret(self.var_dir)
        if not self.encryption_keys:
            self.encryption_keys = _local_encryption_key(self.var_dir)

    def __getstate__(self) -> dict[Any, Any]:
        # The keyring's ciphers cannot be pickled (a bench's loader processes get Settings so):
        # drop the cached copy, it is rebuilt from encryption_keys on first use.
        state = super().__getstate__()
        state["__dict__"] = {k: v for k, v in state["__dict__"].items() if k != "keyring"}
        return state

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def keyring(self) -> Keyring:
        """The AES-256-GCM keys for what dsr stores encrypted (dsr.crypto)."""
        return Keyring.from_setting(self.encryption_keys)

    def today(self, now: datetime) -> date:
        """The controller's calendar date at `now`: deadlines are dates in DSR_TIMEZONE, so every
        comparison with one (guards, days left, overdue, the sweep) uses this date."""
        return now.astimezone(self.tz).date()

    @property
    def trusted_proxy_list(self) -> list[str]:
        return _entries(self.trusted_proxies)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[1]
        return None if path in ("", ":memory:") else Path(path)

    @property
    def mail_domain(self) -> str:
        return self.mail_from.rsplit("@", 1)[-1]


def _entries(raw: str) -> list[str]:
    return [e.strip() for e in raw.split(",") if e.strip()]


def _local_secret(var_dir: Path) -> str:
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(key)
    return key


def _local_encryption_key(var_dir: Path) -> str:
    """A local trial's encryption key, made once and kept beside the secret key."""
    path = var_dir / "encryption_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    path.touch(mode=0o600)
    path.write_text(key)
    return key
