"""The transition tables: for each (status, action), the next status, who may act, the guards,
the fields, and what applying it does (effects) and who hears of it (notices). The feature
layer applies a Decision by these names alone, so what a transition *does* is written here once
(docs/architecture.md, "The life of a request").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from dsr.domain.vocabulary import (
    ACTIVE_STATUSES,
    APPEALABLE_STATUSES,
    AppealAction,
    AppealStatus,
    CaseAction,
    CaseStatus,
)


class Effect(StrEnum):
    """A change applying a decision makes beyond the status, named so the table says it."""

    VERIFIED = "verified"  # e-mail confirmed (or identity confirmed by staff): verified_at
    OPENED = "opened"  # the work starts: data-system tasks, duplicate link, training exclusion
    ASSIGNED = "assigned"  # assignee set
    CLOCK_PAUSED = "clock_paused"  # waiting for the requester: a clock stop starts
    CLOCK_RESUMED = "clock_resumed"  # the requester answered: open clock stops end
    EXTENDED = "extended"  # the extended deadline is in force
    DECIDED = "decided"  # who decided, when, with which reason code and explanation
    CLOSED = "closed"  # closed_at: the request's own work has ended
    REOPENED = "reopened"  # a refusal was overturned: decision cleared, due by the appeal's date
    LINKED = "linked"  # closed as a duplicate of an earlier open request


class Notice(StrEnum):
    """The outbox message kinds a transition sends (templates/email/<kind>.*)."""

    ACKNOWLEDGEMENT = "acknowledgement"
    HANDLER_ASSIGNMENT = "handler_assignment"
    INFO_NEEDED = "info_needed"
    EXTENSION = "extension"
    DECISION = "decision"
    APPEAL_RECEIVED = "appeal_received"
    APPEAL_ASSIGNMENT = "appeal_assignment"
    APPEAL_OUTCOME = "appeal_outcome"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None: status unchanged
    roles: frozenset[str]
    guards: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # non-blank text fields
    optional: tuple[str, ...] = ()  # text fields that may be absent
    records: tuple[str, ...] = ()  # context facts copied into Decision.params for the event
    effects: tuple[Effect, ...] = ()
    notices: tuple[Notice, ...] = ()
    mirror: str | None = None  # appeals: the case action the case takes alongside


def _t(
    action: str,
    sources: Iterable[str],
    target: str | None,
    roles: str,
    *,
    guards: str = "",
    req: str = "",
    opt: str = "",
    records: str = "",
    effects: str = "",
    notices: str = "",
    mirror: str | None = None,
) -> Transition:
    # Space-separated names keep one transition per line; plain strings (not enums) make
    # Decisions serialise and compare simply.
    return Transition(
        action=str(action),
        sources=frozenset(str(s) for s in sources),
        target=None if target is None else str(target),
        roles=frozenset(roles.split()),
        guards=tuple(guards.split()),
        required=tuple(req.split()),
        optional=tuple(opt.split()),
        records=tuple(records.split()),
        effects=tuple(Effect(e) for e in effects.split()),
        notices=tuple(Notice(n) for n in notices.split()),
        mirror=mirror,
    )


S = CaseStatus
C = CaseAction
_ALL = frozenset(S)
_ACTIVE = ACTIVE_STATUSES
_STAFF = "admin handler"
_STAFF_OR_REQUESTER = "admin handler requester"
_FULFIL = "identity_verified all_tasks_closed"
_EXTEND = "extension_allowed not_yet_extended within_first_period"
_APPEAL = "appeal_available within_appeal_window"
_DECIDE = "decided closed"

CASE_TRANSITIONS: tuple[Transition, ...] = (
    _t(
        C.VERIFY,
        {S.PENDING_VERIFICATION},
        S.OPEN,
        "requester system",
        effects="verified opened",
        notices="acknowledgement",
    ),
    _t(
        C.OPEN_WITHOUT_VERIFICATION,
        {S.PENDING_VERIFICATION},
        S.OPEN,
        "system",
        effects="opened",
        notices="acknowledgement",
    ),
    _t(
        C.ACCEPT_AGENT_PROOF,
        {S.PENDING_VERIFICATION},
        S.OPEN,
        _STAFF,
        guards="has_agent",
        req="reason",
        effects="verified opened",
        notices="acknowledgement",
    ),
    _t(C.EXPIRE, {S.PENDING_VERIFICATION}, S.UNVERIFIED, "system", effects="closed"),
    _t(
        C.ASSIGN,
        {S.OPEN},
        S.IN_PROGRESS,
        _STAFF,
        guards="has_assignee",
        req="assignee",
        effects="assigned",
        notices="handler_assignment",
    ),
    _t(
        C.ASSIGN,
        {S.IN_PROGRESS, S.AWAITING_INFO},
        None,
        _STAFF,
        guards="has_assignee",
        req="assignee",
        effects="assigned",
        notices="handler_assignment",
    ),
    _t(
        C.REQUEST_INFO,
        {S.IN_PROGRESS},
        S.AWAITING_INFO,
        _STAFF,
        req="reason",
        effects="clock_paused",
        notices="info_needed",
    ),
    _t(
        C.INFO_RECEIVED,
        {S.AWAITING_INFO},
        S.IN_PROGRESS,
        _STAFF_OR_REQUESTER,
        opt="reason",
        effects="clock_resumed",
    ),
    _t(
        C.EXTEND,
        _ACTIVE,
        None,
        _STAFF,
        guards=_EXTEND,
        req="reason",
        effects="extended",
        notices="extension",
    ),
    _t(
        C.DENY,
        _ACTIVE,
        S.DENIED,
        _STAFF,
        req="reason_code explanation",
        effects=_DECIDE,
        notices="decision",
    ),
    _t(
        C.FULFIL,
        {S.IN_PROGRESS},
        S.FULFILLED,
        _STAFF,
        guards=_FULFIL + " nothing_retained",
        opt="explanation",
        effects=_DECIDE,
        notices="decision",
    ),
    _t(
        C.PARTIALLY_FULFIL,
        {S.IN_PROGRESS},
        S.PARTIALLY_FULFILLED,
        _STAFF,
        guards=_FULFIL,
        req="explanation",
        effects=_DECIDE,
        notices="decision",
    ),
    _t(
        C.WITHDRAW,
        {S.PENDING_VERIFICATION, *_ACTIVE},
        S.WITHDRAWN,
        _STAFF_OR_REQUESTER,
        opt="reason",
        effects="closed",
    ),
    _t(
        C.MARK_DUPLICATE,
        {S.OPEN},
        S.DUPLICATE,
        "system",
        guards="is_duplicate",
        records="duplicate_of",
        effects="linked closed",
    ),
    _t(C.CONFIRM_IDENTITY, _ACTIVE, None, _STAFF, req="reason"),
    _t(C.NOTE, _ALL, None, "admin handler reviewer", req="text"),
    _t(
        C.APPEAL,
        APPEALABLE_STATUSES,
        S.APPEALED,
        "requester",
        guards=_APPEAL,
        req="reason",
        notices="appeal_received appeal_assignment",
    ),
    # The case mirrors its appeal; the appeals service applies these as the system.
    _t(C.APPEAL_ASSIGNED, {S.APPEALED}, S.APPEAL_IN_REVIEW, "system"),
    _t(C.APPEAL_UPHELD, {S.APPEAL_IN_REVIEW}, S.APPEAL_UPHELD, "system", effects="closed"),
    _t(C.APPEAL_OVERTURNED, {S.APPEAL_IN_REVIEW}, S.IN_PROGRESS, "system", effects="reopened"),
)

A = AppealStatus
P = AppealAction
_REVIEW = "admin reviewer"
_ROUTE = "has_reviewer assignee_not_original_decider"
_DECIDER = "not_original_decider"
APPEAL_TRANSITIONS: tuple[Transition, ...] = (
    _t(
        P.ASSIGN,
        {A.APPEALED},
        A.APPEAL_IN_REVIEW,
        _REVIEW,
        guards=_ROUTE,
        req="assignee",
        effects="assigned",
        notices="appeal_assignment",
        mirror=C.APPEAL_ASSIGNED,
    ),
    _t(
        P.ASSIGN,
        {A.APPEAL_IN_REVIEW},
        None,
        _REVIEW,
        guards=_ROUTE,
        req="assignee",
        effects="assigned",
        notices="appeal_assignment",
    ),
    _t(
        P.UPHOLD,
        {A.APPEAL_IN_REVIEW},
        A.APPEAL_UPHELD,
        _REVIEW,
        guards=_DECIDER,
        req="explanation",
        effects="decided",
        notices="appeal_outcome",
        mirror=C.APPEAL_UPHELD,
    ),
    _t(
        P.OVERTURN,
        {A.APPEAL_IN_REVIEW},
        A.OVERTURNED,
        _REVIEW,
        guards=_DECIDER,
        req="explanation",
        effects="decided",
        notices="appeal_outcome",
        mirror=C.APPEAL_OVERTURNED,
    ),
    _t(
        P.EXTEND,
        {A.APPEALED, A.APPEAL_IN_REVIEW},
        None,
        _REVIEW,
        guards="appeal_extension_allowed appeal_not_yet_extended within_appeal_period",
        req="reason",
        effects="extended",
        notices="extension",
    ),
)
