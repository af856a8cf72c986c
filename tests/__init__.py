"""The test suite. Set before any dsr module is imported (this package is imported before its
conftest): staff passwords are hashed with a cheap Argon2id here, because the suite creates and
logs in thousands of users and the production cost (dsr.auth.passwords) takes a quarter of a
second each. Every password check is still a real Argon2id verification. `dsr serve` processes
the tests start inherit the same setting."""

import os

os.environ.setdefault("DSR_ARGON2_TIME_COST", "1")
os.environ.setdefault("DSR_ARGON2_MEMORY_KIB", "64")
