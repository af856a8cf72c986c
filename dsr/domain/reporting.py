"""The words of the reports (issue 13): what became of a request, as the yearly metrics and the
request log count it. The rules that put a case in one outcome are in the README ("Reports and
dashboard") and in dsr/reports/sql.py, which applies them in SQL.

The metrics follow the headings the issue sets for CCPA 11 CCR 7102 (received, complied with in
whole or in part, denied, median and mean days to respond); the text of 7102 is not in
docs/legal.md, so how each status maps to a heading is a product rule, written down here and in
the README, not a legal finding.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    COMPLIED_IN_WHOLE = "complied_in_whole"
    COMPLIED_IN_PART = "complied_in_part"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"
    UNVERIFIED = "unverified"  # the requester never confirmed the request
    PENDING = "pending"  # no answer yet (including a refusal overturned on appeal)
    DUPLICATE = "duplicate"  # linked to an earlier request: not counted again


# Outcomes that are a substantive answer: their days from receipt are counted.
ANSWERED: frozenset[Outcome] = frozenset(
    {Outcome.COMPLIED_IN_WHOLE, Outcome.COMPLIED_IN_PART, Outcome.DENIED}
)
# Every outcome a received request is counted under (duplicates are not received again).
COUNTED: tuple[Outcome, ...] = (
    Outcome.COMPLIED_IN_WHOLE,
    Outcome.COMPLIED_IN_PART,
    Outcome.DENIED,
    Outcome.WITHDRAWN,
    Outcome.UNVERIFIED,
    Outcome.PENDING,
)
