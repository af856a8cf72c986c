"""One rule for text from outside: no control characters. PostgreSQL cannot store NUL at all
(SQLite can, so without this rule the two backends would disagree), and escape sequences,
bells and backspaces paint or rewrite the terminals that show logs and exports. Tab, line feed
and carriage return stay allowed: people type them in free text."""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_MESSAGE = "must not contain control characters"


def has_control_characters(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def no_control_characters(value: str) -> str:
    """A Pydantic after-validator: the message never repeats the value (it may be personal)."""
    if has_control_characters(value):
        raise ValueError(CONTROL_MESSAGE)
    return value
