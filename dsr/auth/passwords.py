from __future__ import annotations

from pwdlib import PasswordHash

# Argon2id with the library's recommended parameters.
_hasher = PasswordHash.recommended()
# A real hash to verify against when the user does not exist, so that timing does not tell
# whether an address has an account.
_DUMMY = _hasher.hash("dummy-password-for-timing")

MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _hasher.verify(password, _DUMMY)
        return False
    return _hasher.verify(password, password_hash)
