"""Column types that encrypt personal data at rest (AES-256-GCM, dsr.crypto), and keyed hashes
for looking it up. To seal a column, change its declaration and nothing else:

    email: str = sealed_text("case_record.email")                  # str, NOT NULL
    account_id: str | None = sealed_text("case_record.account_id", nullable=True)
    type_data: dict[str, Any] | None = sealed_json("case_record.type_data")

(and an Alembic revision that turns the column into TEXT and seals existing rows: see
seal_existing). The name is the value's associated data: a sealed value copied into another
column does not decrypt there. `dsr keys rotate` finds every sealed column by its type, so a new
one is rotated with no further code.

Where the keys come from: a TypeDecorator sees only the dialect, never Settings, so
dsr.db.engine.make_engine installs the Keyring on its engine's dialect (install_keyring). Every
engine dsr makes goes through make_engine; an engine without a keyring cannot write a sealed
column (KeyringMissing) and a value that is not sealed is refused when read (DecryptionError),
so plaintext is never stored or served silently."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlmodel import Field

from dsr.crypto import DecryptionError, Keyring

_ATTR = "dsr_keyring"


class KeyringMissing(RuntimeError):
    """A sealed column was written through an engine that has no keyring."""


def install_keyring(dialect: Dialect, keyring: Keyring) -> None:
    setattr(dialect, _ATTR, keyring)


def keyring_of(dialect: Dialect) -> Keyring:
    keyring = getattr(dialect, _ATTR, None)
    if not isinstance(keyring, Keyring):
        raise KeyringMissing("no keyring on this engine: refusing to store personal data in clear")
    return keyring


def seal(keyring: Keyring, name: str, plaintext: bytes) -> str:
    return base64.b64encode(keyring.encrypt(plaintext, name.encode())).decode()


def unseal(keyring: Keyring, name: str, stored: str) -> bytes:
    try:
        raw = base64.b64decode(stored, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError(f"{name}: the stored value is not sealed") from None
    return keyring.decrypt(raw, name.encode())


def sealed_key_id(stored: str) -> bytes | None:
    """The id of the key a stored value was sealed with (None: not a sealed value)."""
    try:
        return Keyring.key_id_of(base64.b64decode(stored, validate=True))
    except (binascii.Error, ValueError):
        return None


class Sealed(sa.TypeDecorator[Any]):
    """Base of the sealed types: TEXT holding base64(dsr.crypto sealed form)."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name  # table.column: the associated data

    def encode(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return seal(keyring_of(dialect), self.name, self.encode(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self.decode(unseal(keyring_of(dialect), self.name, value))


class EncryptedText(Sealed):
    cache_ok = True

    def encode(self, value: Any) -> bytes:
        if not isinstance(value, str):
            raise TypeError(f"{self.name}: a sealed text column takes str")
        return value.encode()

    def decode(self, data: bytes) -> str:
        return data.decode()


class EncryptedJSON(Sealed):
    cache_ok = True

    def encode(self, value: Any) -> bytes:
        return orjson.dumps(value)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


def sealed_text(name: str, *, nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_column=sa.Column(EncryptedText(name), nullable=True))
    return Field(sa_column=sa.Column(EncryptedText(name), nullable=False))


def sealed_json(name: str, *, nullable: bool = True, default: Any = None) -> Any:
    column: sa.Column[Any] = sa.Column(EncryptedJSON(name), nullable=nullable)
    if default is None:
        return Field(default=None, sa_column=column)
    return Field(default_factory=lambda: type(default)(default), sa_column=column)


def sealed_columns(metadata: sa.MetaData) -> list[tuple[sa.Table, list[sa.Column[Any]]]]:
    """Every table with sealed columns, and those columns: what `dsr keys rotate` walks."""
    found = []
    for table in metadata.sorted_tables:
        cols = [c for c in table.columns if isinstance(c.type, Sealed)]
        if cols:
            found.append((table, cols))
    return found


# --- keyed hashes -----------------------------------------------------------------------------


def email_lookup_key(email: str) -> str:
    """What an address's keyed hash is taken of: its subject key (`email_sha256:<hex>`), so the
    hash of a case's address and of a pipeline's subject key for it are the same value."""
    from dsr.domain.eligibility import EMAIL_PREFIX, email_sha256

    return EMAIL_PREFIX + email_sha256(email)


def lookup_hash(keyring: Keyring, value: str) -> str:
    """The keyed hash to store (under the current key)."""
    return keyring.lookup_hashes(value)[0]


def lookup_hashes(keyring: Keyring, value: str) -> list[str]:
    """Every hash `value` may be stored under (one per configured key): for look-ups."""
    return keyring.lookup_hashes(value)
