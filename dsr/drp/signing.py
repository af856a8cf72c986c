"""Signed DRP messages (spec §3.07): a base64 text/plain body holding an Ed25519 signature
followed by the JSON it signs (libsodium's "combined mode"), checked with PyNaCl.

Checks run in the spec's order: decode, signature, agent-id, business-id, issued-at, expires-at.
A failure of the first four is `Refused` (403 with no body: we say nothing about why to a
sender we cannot trust); the time checks are `BadMessage` (a DRP error object)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey


class Refused(Exception):
    """403 with an empty body."""


class BadMessage(Exception):
    """A DRP error object: {"code", "message", "fatal"}."""

    def __init__(self, message: str, *, status: int = 400, fatal: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.fatal = fatal


@dataclass(frozen=True)
class Opened:
    claims: dict[str, Any]
    digest: str  # sha256 of the signed message: the same message twice is a replay


def decode_key(text: str) -> VerifyKey:
    """A verify key as the service directory gives it: base64 of the 32 raw bytes (0.9.1 on;
    hex, the encoding before, is accepted too)."""
    value = text.strip()
    raw: bytes | None = None
    if len(value) == 64:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("the verify key is not base64") from None
    if len(raw) != 32:
        raise ValueError("the verify key is not a 32-byte Ed25519 public key")
    return VerifyKey(raw)


def open_signed(body: bytes, key: str) -> Opened:
    """The signed JSON object, or Refused. Liberal in the base64 (standard or URL-safe alphabet,
    padding optional, surrounding white space)."""
    text = body.strip().strip(b'"')  # some agents send the text as a JSON string
    try:
        if b"-" in text or b"_" in text:
            text = text.replace(b"-", b"+").replace(b"_", b"/")
        raw = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
        message = decode_key(key).verify(raw)
    except (binascii.Error, ValueError, BadSignatureError):
        raise Refused() from None
    try:
        claims = json.loads(message)
    except (ValueError, UnicodeDecodeError):
        raise BadMessage("the signed message is not JSON", fatal=True) from None
    if not isinstance(claims, dict):
        raise BadMessage("the signed message is not a JSON object", fatal=True)
    return Opened(claims, hashlib.sha256(message).hexdigest())


def parse_time(value: Any, name: str) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise BadMessage(f"{name} must be an ISO 8601 timestamp")
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadMessage(f"{name} must be an ISO 8601 timestamp") from None
    # A timestamp without an offset is taken as UTC, as agents in the field send it.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    now: datetime
    skew: timedelta
    longest: timedelta


def check_claims(
    claims: dict[str, Any],
    *,
    agent_id: str,
    business_id: str,
    window: Window,
    optional: bool = False,
) -> None:
    """agent-id, business-id, issued-at, expires-at, in that order. `optional`: a revoke body
    may carry none of them (agents sign just {"reason"}); those it carries are checked."""
    present = [k for k in ("agent-id", "business-id", "issued-at", "expires-at") if k in claims]
    if optional and not present:
        return
    if claims.get("agent-id") != agent_id:
        raise Refused()
    if claims.get("business-id") != business_id:
        raise Refused()
    issued = parse_time(claims.get("issued-at"), "issued-at")
    expires = parse_time(claims.get("expires-at"), "expires-at")
    if issued > window.now + window.skew:
        raise BadMessage("issued-at is in the future: check the agent's clock")
    if window.now >= expires:
        raise BadMessage("the request has expired (expires-at)", fatal=True)
    if expires - issued > window.longest:
        longest = int(window.longest.total_seconds() // 60)
        raise BadMessage(f"expires-at may be at most {longest} minutes after issued-at")
