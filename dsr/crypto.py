"""Encryption at rest with AES-256-GCM (the `cryptography` package). Keys come from
DSR_ENCRYPTION_KEYS: the first encrypts, every listed one decrypts, and each value carries the id
of the key that sealed it, so keys can be rotated without rewriting everything at once.

Sealed form: b"dsr1" | key id (8 bytes) | nonce (12 bytes) | ciphertext and tag. The caller's
associated data (say, the row's id) binds a value to its place: moved elsewhere it fails."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"dsr1"
_ID, _NONCE = 8, 12
HEADER = len(MAGIC) + _ID + _NONCE
OVERHEAD = HEADER + 16  # the GCM tag


class DecryptionError(Exception):
    """The value is not ours, was changed, or its key is no longer configured."""


@dataclass(frozen=True)
class Keyring:
    keys: tuple[tuple[bytes, AESGCM], ...]  # (key id, cipher); the first encrypts
    # One HMAC-SHA256 key per encryption key, derived from it (dsr.db.sealed_columns.lookup_hash):
    # rotating DSR_ENCRYPTION_KEYS rotates the look-up hashes too, with no second secret to keep.
    lookup_keys: tuple[bytes, ...] = ()

    @classmethod
    def from_setting(cls, value: str) -> Keyring:
        keys, lookups = [], []
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            try:
                raw = base64.b64decode(part, validate=True)
            except binascii.Error as exc:
                raise ValueError("DSR_ENCRYPTION_KEYS: each key must be base64") from exc
            if len(raw) != 32:
                raise ValueError("DSR_ENCRYPTION_KEYS: each key must be 32 bytes (AES-256)")
            keys.append((hashlib.sha256(raw).digest()[:_ID], AESGCM(raw)))
            lookups.append(hmac.new(raw, b"dsr lookup-hash v1", hashlib.sha256).digest())
        if not keys:
            raise ValueError("DSR_ENCRYPTION_KEYS: no key given")
        return cls(tuple(keys), tuple(lookups))

    @property
    def current_id(self) -> bytes:
        """The id of the key that encrypts (the first)."""
        return self.keys[0][0]

    @staticmethod
    def key_id_of(sealed: bytes) -> bytes | None:
        """The id of the key a sealed value was made with, or None if it is not sealed."""
        if len(sealed) < OVERHEAD or not sealed.startswith(MAGIC):
            return None
        return sealed[len(MAGIC) : len(MAGIC) + _ID]

    def lookup_hashes(self, value: str) -> list[str]:
        """HMAC-SHA256 of `value` under every key's look-up key, the current one first: a look-up
        matches rows hashed before a rotation as well as after."""
        return [hmac.new(k, value.encode(), hashlib.sha256).hexdigest() for k in self.lookup_keys]

    def encrypt(self, data: bytes, aad: bytes = b"") -> bytes:
        key_id, cipher = self.keys[0]
        nonce = os.urandom(_NONCE)
        return MAGIC + key_id + nonce + cipher.encrypt(nonce, data, aad)

    def decrypt(self, sealed: bytes, aad: bytes = b"") -> bytes:
        if len(sealed) < OVERHEAD or not sealed.startswith(MAGIC):
            raise DecryptionError("not a sealed value")
        key_id = sealed[len(MAGIC) : len(MAGIC) + _ID]
        nonce = sealed[len(MAGIC) + _ID : HEADER]
        for kid, cipher in self.keys:
            if kid == key_id:
                try:
                    return cipher.decrypt(nonce, sealed[HEADER:], aad)
                except InvalidTag as exc:
                    raise DecryptionError("the value was changed or is not for this place") from exc
        raise DecryptionError("sealed with a key that is not configured")

    def encrypt_text(self, text: str, aad: bytes = b"") -> str:
        return base64.b64encode(self.encrypt(text.encode(), aad)).decode()

    def decrypt_text(self, sealed: str, aad: bytes = b"") -> str:
        return self.decrypt(base64.b64decode(sealed), aad).decode()
