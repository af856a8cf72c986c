"""Credentials dsr hands out: capability tokens for requesters, bearer tokens for staff and
services, and the hashes stored in their place (a database dump reveals no usable token)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def derive_case_token(secret_key: str, token_id: uuid.UUID, purpose: str) -> str:
    digest = hmac.new(secret_key.encode(), f"{purpose}:{token_id}".encode(), hashlib.sha256)
    return digest.hexdigest()


def new_api_token() -> str:
    return "dsr_" + secrets.token_urlsafe(32)
