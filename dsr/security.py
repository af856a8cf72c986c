"""Secrets: capability tokens for requesters and bearer tokens for staff and services."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def email_sha256(email: str) -> str:
    """Subject key for an address (README, "Training eligibility"): sha256 of the trimmed, lower-cased address."""
    return sha256_hex(email.strip().lower())


def derive_case_token(secret_key: str, token_id: uuid.UUID, purpose: str) -> str:
    digest = hmac.new(secret_key.encode(), f"{purpose}:{token_id}".encode(), hashlib.sha256)
    return digest.hexdigest()


def new_api_token() -> str:
    return "dsr_" + secrets.token_urlsafe(32)
