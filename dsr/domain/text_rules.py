"""One rule for text from outside: no control characters, and no line breaks in a field of one
line. PostgreSQL cannot store NUL at all (SQLite can, so without this rule the two backends
would disagree); escape sequences, bells and backspaces, in C0 and in C1 (U+0080-U+009F: CSI
is an escape sequence in one character), paint or rewrite the terminals that show logs and
exports; and the bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) make a
reader see text in another order than it is stored (Trojan Source, CVE-2021-42574): a name that
displays as "report.pdf" but is something else. Refused in every stored text field.

Allowed on purpose: tab, line feed and carriage return in free text (people type them), and the
bidirectional marks U+200E, U+200F and U+061C: they carry no state, reorder nothing on their
own, and right-to-left names are typed with them.

A single-line field (names, account ids, data-system names, categories, token names) also
refuses line breaks, CR, LF and U+2028/U+2029 (NEL, U+0085, is C1): they are how someone makes
dsr mail a paragraph of their choosing in a "name" (issue 12, defect 4)."""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
CONTROL_MESSAGE = "must not contain control characters"
LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]")
SINGLE_LINE_MESSAGE = "must be a single line"


def has_control_characters(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def is_clean_line(value: str) -> bool:
    return not has_control_characters(value) and LINE_BREAKS.search(value) is None


def no_control_characters(value: str) -> str:
    """A Pydantic after-validator: the message never repeats the value (it may be personal)."""
    if has_control_characters(value):
        raise ValueError(CONTROL_MESSAGE)
    return value


def single_line(value: str) -> str:
    """A Pydantic after-validator for a field of one line: control characters refused as
    everywhere, and line breaks too."""
    no_control_characters(value)
    if LINE_BREAKS.search(value):
        raise ValueError(SINGLE_LINE_MESSAGE)
    return value


def short_quote(value: str, limit: int = 40) -> str:
    """A name as the e-mail sent before an address is confirmed may show it: at most `limit`
    characters, in quotes, so no one can make dsr mail a message of their choosing to a stranger
    (issue 12, defect 4). Quote marks inside are straightened so the quote cannot look closed
    early."""
    value = value.replace("\u201c", '"').replace("\u201d", '"')
    if len(value) > limit:
        value = value[: limit - 1].rstrip() + "\u2026"
    return f"\u201c{value}\u201d"
