from __future__ import annotations

import os

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

# Argon2id. The defaults are argon2-cffi's (RFC 9106's low-memory profile: 3 passes over 64 MiB,
# 4 lanes). DSR_ARGON2_TIME_COST and DSR_ARGON2_MEMORY_KIB tune the cost of new hashes for a
# deployment's hardware (read once, at import, because hashing happens far from Settings); a
# stored hash carries its own parameters, so changing them never locks anyone out. The test
# suite lowers them: it creates and logs in thousands of staff users.
_hasher = PasswordHash(
    (
        Argon2Hasher(
            time_cost=int(os.environ.get("DSR_ARGON2_TIME_COST", "3")),
            memory_cost=int(os.environ.get("DSR_ARGON2_MEMORY_KIB", "65536")),
        ),
    )
)
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
