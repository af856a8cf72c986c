"""The words of the domain, defined once: request types, channels, statuses, actions, roles and
the named sets of statuses the rest of the code asks about. Every other module imports these
rather than spelling the strings again (docs/architecture.md, "One vocabulary").

Each is a ``StrEnum``, so a member is also the plain string stored in the database and sent in
JSON: ``CaseStatus.OPEN == "open"``.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class RequestType(StrEnum):
    ACCESS = "access"
    CORRECTION = "correction"
    DELETION = "deletion"
    OUTPUT_REMOVAL = "output_removal"
    OBJECTION = "objection"
    # Opt-out of sale/sharing and targeted advertising (CCPA 1798.120, 11 CCR 7026; the US
    # state laws' opt-out rights): docs/legal.md, "Opt-outs".
    OPT_OUT = "opt_out"


class AgentKind(StrEnum):
    """Who submits for someone else (11 CCR 7063; docs/legal.md §1.10)."""

    AUTHORIZED_AGENT = "authorized_agent"  # signed permission: the consumer confirms directly
    POWER_OF_ATTORNEY = "power_of_attorney"  # needs no confirmation by the consumer


class Channel(StrEnum):
    WEB = "web"
    EMAIL = "email"
    POST = "post"
    PHONE = "phone"
    AGENT = "agent"


class CaseStatus(StrEnum):
    PENDING_VERIFICATION = "pending_verification"
    UNVERIFIED = "unverified"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    AWAITING_INFO = "awaiting_info"
    FULFILLED = "fulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"
    DUPLICATE = "duplicate"
    APPEALED = "appealed"
    APPEAL_IN_REVIEW = "appeal_in_review"
    APPEAL_UPHELD = "appeal_upheld"


class AppealStatus(StrEnum):
    APPEALED = "appealed"
    APPEAL_IN_REVIEW = "appeal_in_review"
    APPEAL_UPHELD = "appeal_upheld"
    OVERTURNED = "overturned"


class Role(StrEnum):
    ADMIN = "admin"
    HANDLER = "handler"
    REVIEWER = "reviewer"
    AUDITOR = "auditor"


class CaseAction(StrEnum):
    VERIFY = "verify"
    # A request the law forbids making wait for verification opens at once (11 CCR 7026(d)).
    OPEN_WITHOUT_VERIFICATION = "open_without_verification"
    # An agent's request waits for the consumer's own confirmation, unless staff accept other
    # proof of the agent's authority (11 CCR 7063 [U]).
    ACCEPT_AGENT_PROOF = "accept_agent_proof"
    EXPIRE = "expire"
    ASSIGN = "assign"
    REQUEST_INFO = "request_info"
    INFO_RECEIVED = "info_received"
    EXTEND = "extend"
    DENY = "deny"
    FULFIL = "fulfil"
    PARTIALLY_FULFIL = "partially_fulfil"
    WITHDRAW = "withdraw"
    MARK_DUPLICATE = "mark_duplicate"
    # Staff confirmed who the requester is by other means than the e-mail link (a document,
    # a call): recorded on the timeline with how, so that "e-mail address confirmed" is never
    # mistaken for "identity verified". The status does not change.
    CONFIRM_IDENTITY = "confirm_identity"
    NOTE = "note"
    APPEAL = "appeal"
    # The case mirrors its appeal: the appeals service applies these as the system.
    APPEAL_ASSIGNED = "appeal_assigned"
    APPEAL_UPHELD = "appeal_upheld"
    APPEAL_OVERTURNED = "appeal_overturned"


class AppealAction(StrEnum):
    ASSIGN = "assign"
    UPHOLD = "uphold"
    OVERTURN = "overturn"
    EXTEND = "extend"


class DenialReason(StrEnum):
    IDENTITY_NOT_VERIFIED = "identity_not_verified"
    EXCEPTION_APPLIES = "exception_applies"
    MANIFESTLY_UNFOUNDED_OR_EXCESSIVE = "manifestly_unfounded_or_excessive"
    NOT_COVERED = "not_covered"
    OUTSIDE_JURISDICTION = "outside_jurisdiction"
    # An opt-out needs no verification, but may be refused on a good-faith, documented belief
    # that it is fraudulent (11 CCR 7026(d); docs/legal.md, "Opt-outs"): the explanation says why.
    FRAUDULENT = "fraudulent"
    OTHER = "other"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"  # the system did what was asked
    NOT_FOUND = "not_found"  # the system holds nothing of the person
    RETAINED = "retained"  # kept under a legal exception, named in the task's note
    WAIVED = "waived"  # staff closed it without the system (with a reason)


# What a data system reports when it completes a task (POST /api/v1/tasks/{id}/complete).
TASK_OUTCOMES: frozenset[TaskStatus] = frozenset(
    {TaskStatus.DONE, TaskStatus.NOT_FOUND, TaskStatus.RETAINED}
)


class Integration(StrEnum):
    """How dsr reaches a data system."""

    MANUAL = "manual"  # the owner gets an e-mail with a link to the task page
    WEBHOOK = "webhook"  # dsr pushes each task as a signed webhook (Standard Webhooks)
    PULL = "pull"  # the system polls for its open tasks with a token bound to it
    SQL = "sql"  # dsr's own SQL connector does the work


class Identity(StrEnum):
    """The requester identities a data system may receive in its tasks."""

    EMAIL = "email"
    ACCOUNT_ID = "account_id"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


# Requests that must not be made to wait for verification: 11 CCR 7026(d) for California, and
# the opt-out clauses of CT, OR, MT, DE, NJ (docs/legal.md, "Opt-outs"). They open at once and
# count as verified for fulfilment; staff may still deny documented fraud with a reason.
NO_VERIFICATION_TYPES: frozenset[RequestType] = frozenset({RequestType.OPT_OUT})


S = CaseStatus

# Work waiting for staff: the queue's default view, the statuses whose deadline can be missed,
# and those a duplicate is linked to.
ACTIVE_STATUSES: frozenset[CaseStatus] = frozenset({S.OPEN, S.IN_PROGRESS, S.AWAITING_INFO})
# Decisions the requester may appeal (a decided case is not terminal until the window closes).
APPEALABLE_STATUSES: frozenset[CaseStatus] = frozenset({S.DENIED, S.PARTIALLY_FULFILLED})
# The request was acted on, in full or in part.
FULFILLED_STATUSES: frozenset[CaseStatus] = frozenset({S.FULFILLED, S.PARTIALLY_FULFILLED})
# The request's own work ended with an outcome that settles its training exclusion.
OUTCOME_STATUSES: frozenset[CaseStatus] = FULFILLED_STATUSES | {S.DENIED, S.WITHDRAWN}
# Nothing more can happen to the case.
TERMINAL_STATUSES: frozenset[CaseStatus] = frozenset(
    {S.UNVERIFIED, S.FULFILLED, S.WITHDRAWN, S.DUPLICATE, S.APPEAL_UPHELD}
)
OPEN_APPEAL_STATUSES: frozenset[AppealStatus] = frozenset(
    {AppealStatus.APPEALED, AppealStatus.APPEAL_IN_REVIEW}
)
STAFF_ROLES: tuple[Role, ...] = (Role.ADMIN, Role.HANDLER, Role.REVIEWER, Role.AUDITOR)


def days_left(due: date, today: date) -> int:
    """Whole days until a deadline: 0 on the day itself, negative once it has passed."""
    return (due - today).days


def case_overdue(status: str, respond_by: date, today: date) -> bool:
    """A case is overdue when staff still owe an answer and its deadline has passed."""
    return status in ACTIVE_STATUSES and today > respond_by


def appeal_overdue(status: str, respond_by: date, today: date) -> bool:
    """An appeal is overdue when it is undecided and its deadline has passed."""
    return status in OPEN_APPEAL_STATUSES and today > respond_by
