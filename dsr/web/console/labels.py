"""Plain-words labels the console shows for codes."""

from __future__ import annotations

from typing import Any

from dsr.domain.errors import NotAllowed, WorkflowError
from dsr.domain.vocabulary import (
    AppealAction,
    AppealStatus,
    CaseAction,
    CaseStatus,
    Channel,
    DenialReason,
    Identity,
    Integration,
    RequestType,
    TaskStatus,
)

STATUS: dict[str, str] = {
    CaseStatus.PENDING_VERIFICATION: "Pending verification",
    CaseStatus.UNVERIFIED: "Unverified (lapsed)",
    CaseStatus.OPEN: "Open",
    CaseStatus.IN_PROGRESS: "In progress",
    CaseStatus.AWAITING_INFO: "Awaiting information",
    CaseStatus.FULFILLED: "Fulfilled",
    CaseStatus.PARTIALLY_FULFILLED: "Partially fulfilled",
    CaseStatus.DENIED: "Denied",
    CaseStatus.WITHDRAWN: "Withdrawn",
    CaseStatus.DUPLICATE: "Duplicate",
    CaseStatus.APPEALED: "Appealed",
    CaseStatus.APPEAL_IN_REVIEW: "Appeal in review",
    CaseStatus.APPEAL_UPHELD: "Appeal upheld",
}

TYPE: dict[str, str] = {
    RequestType.ACCESS: "Access",
    RequestType.CORRECTION: "Correction",
    RequestType.DELETION: "Deletion",
    RequestType.OUTPUT_REMOVAL: "Output removal",
    RequestType.OBJECTION: "Objection",
    RequestType.OPT_OUT: "Opt-out of sale/sharing",
}

CHANNEL: dict[str, str] = {
    Channel.WEB: "Web form",
    Channel.EMAIL: "E-mail",
    Channel.POST: "Post",
    Channel.PHONE: "Phone",
    Channel.AGENT: "Authorized agent",
}

DENIAL_REASONS: dict[str, str] = {
    DenialReason.IDENTITY_NOT_VERIFIED: "Identity could not be verified",
    DenialReason.EXCEPTION_APPLIES: "A legal exception applies",
    DenialReason.MANIFESTLY_UNFOUNDED_OR_EXCESSIVE: "Manifestly unfounded or excessive",
    DenialReason.NOT_COVERED: "Not covered by the law",
    DenialReason.OUTSIDE_JURISDICTION: "Outside the jurisdiction",
    DenialReason.FRAUDULENT: "Documented belief it is fraudulent",
    DenialReason.OTHER: "Other (explain)",
}

# The order the action forms appear in, and their button labels.
ACTIONS: dict[str, str] = {
    CaseAction.ASSIGN: "Assign",
    CaseAction.ACCEPT_AGENT_PROOF: "Accept other proof of the agent's authority",
    CaseAction.REQUEST_INFO: "Request information",
    CaseAction.INFO_RECEIVED: "Information received",
    CaseAction.EXTEND: "Extend the deadline",
    CaseAction.FULFIL: "Fulfil",
    CaseAction.PARTIALLY_FULFIL: "Partially fulfil",
    CaseAction.DENY: "Deny",
    CaseAction.WITHDRAW: "Withdraw",
    CaseAction.CONFIRM_IDENTITY: "Record that you verified the requester's identity",
    CaseAction.NOTE: "Add a note",
}

# Timeline entries: actions that are not forms here as well.
EVENTS = {
    "request_info": "Information requested",
    "info_received": "Information received",
    "submit": "Request received",
    # verify: the requester followed the e-mail link; staff and system verify events are worded
    # by case_view.event_label, because only the requester's is an e-mail confirmation.
    "verify": "E-mail address confirmed",
    "confirm_identity": "Identity verified by staff",
    "open_without_verification": "Opened (no verification may be required)",
    "accept_agent_proof": "Agent's authority accepted on other proof",
    "agent_proof_uploaded": "Agent uploaded a signed permission",
    "expire": "Lapsed unverified",
    "mark_duplicate": "Marked as duplicate",
    "duplicate_linked": "Duplicate linked",
    "appeal": "Appealed",
    "appeal_assigned": "Appeal assigned",
    "appeal_upheld": "Appeal upheld",
    "appeal_overturned": "Appeal overturned",
    # The appeals service records appeal steps on the case as appeal_<action>.
    "appeal_assign": "Appeal assigned",
    "appeal_uphold": "Appeal decided: refusal upheld",
    "appeal_overturn": "Appeal decided: refusal overturned",
    "appeal_extend": "Appeal deadline extended",
    "task_done": "Task done",
    "task_not_found": "Task closed: nothing found",
    "task_retained": "Task closed: data retained under an exception",
    "task_waived": "Task waived",
    "assign": "Assigned",
    "extend": "Deadline extended",
    "fulfil": "Fulfilled",
    "partially_fulfil": "Partially fulfilled",
    "deny": "Denied",
    "withdraw": "Withdrawn",
    "note": "Note",
    "redacted": "Personal data erased (retention period over)",
    "message_sent": "E-mail accepted by the mail server",
    "message_retrying": "E-mail not delivered yet: will be tried again",
    "message_failed": "E-mail could not be delivered",
}


DONE = {
    "assign": "The case was assigned.",
    "accept_agent_proof": "The agent's authority was accepted; the case is open.",
    "request_info": "The request for information was sent.",
    "info_received": "The information was recorded as received; the clock runs again.",
    "extend": "The deadline was extended and the requester will be told why.",
    "fulfil": "The case was fulfilled; the decision notice is on its way.",
    "partially_fulfil": "The case was partially fulfilled; the decision notice is on its way.",
    "deny": "The request was denied; the decision notice is on its way.",
    "withdraw": "The case was withdrawn.",
    "confirm_identity": "Your check of the requester's identity was recorded.",
    "note": "The note was added.",
}


def status(code: str) -> str:
    return STATUS.get(code, code.replace("_", " ").capitalize())


def event(code: str) -> str:
    return EVENTS.get(code, code.replace("_", " ").capitalize())


APPEAL_STATUS: dict[str, str] = {
    AppealStatus.APPEALED: "Waiting for a reviewer",
    AppealStatus.APPEAL_IN_REVIEW: "In review",
    AppealStatus.APPEAL_UPHELD: "Upheld (refusal stands)",
    AppealStatus.OVERTURNED: "Overturned",
}

APPEAL_ACTIONS: dict[str, str] = {
    AppealAction.ASSIGN: "Assign the appeal",
    AppealAction.EXTEND: "Extend the appeal deadline",
    AppealAction.OVERTURN: "Overturn the refusal",
    AppealAction.UPHOLD: "Uphold the refusal",
}

APPEAL_DONE = {
    "assign": "The appeal was assigned.",
    "extend": "The appeal deadline was extended and the requester will be told why.",
    "overturn": "The refusal was overturned: the case is back in progress, due by the appeal "
    "deadline. The requester will be told.",
    "uphold": "The refusal was upheld; the outcome notice is on its way to the requester.",
}


def appeal_status(code: str) -> str:
    return APPEAL_STATUS.get(code, code.replace("_", " ").capitalize())


INTEGRATION: dict[str, str] = {
    Integration.MANUAL: "Manual: the owner gets an e-mail with a link to a task page",
    Integration.WEBHOOK: "Webhook: dsr sends each task, signed, to the system's URL",
    Integration.PULL: "Pull: the system fetches its tasks with a token bound to it",
    Integration.SQL: "SQL: dsr finds, exports and erases the rows itself, from a dataset",
}

IDENTITY: dict[str, str] = {
    Identity.EMAIL: "E-mail address",
    Identity.ACCOUNT_ID: "Account id",
}

TASK_STATUS: dict[str, str] = {
    TaskStatus.OPEN: "Open",
    TaskStatus.DONE: "Done",
    TaskStatus.NOT_FOUND: "Not found",
    TaskStatus.RETAINED: "Retained",
    TaskStatus.WAIVED: "Waived",
}

# How a handler may close a task from the case page (the owner's page offers the first three).
TASK_CLOSE_CHOICES: dict[str, str] = {
    TaskStatus.DONE: "Done",
    TaskStatus.NOT_FOUND: "Not found: the system holds nothing of the person",
    TaskStatus.RETAINED: "Retained under an exception (name it in the note)",
    TaskStatus.WAIVED: "Waived (give the reason in the note)",
}


# The state machine's refusals in plain words (issue 14): the domain's messages name codes
# ("extend is not allowed: the case was already extended"), which the API keeps.
GUARD_WORDS: dict[str, str] = {
    "not_yet_extended": "This case was already extended once; the law allows one extension",
    "extension_allowed": "The rules for this case's jurisdiction allow no extension",
    "within_first_period": (
        "An extension must be given within the first response period, and that period has ended"
    ),
    "identity_verified": (
        "The request is not verified yet: the requester has not confirmed their e-mail address "
        "and no one recorded the request as identity-verified"
    ),
    "has_agent": "The request was not made by an agent",
    "appeal_not_yet_extended": "This appeal was already extended once; the law allows one",
    "appeal_extension_allowed": "The rules for this jurisdiction allow no extension of an appeal",
    "within_appeal_period": (
        "An appeal's deadline must be extended within its first period, and that period has ended"
    ),
}


def refusal(exc: Exception, noun: str = "case") -> str:
    """A refusal of the state machine as the console says it, without a full stop."""
    message = exc.message if isinstance(exc, WorkflowError) else str(exc)
    if isinstance(exc, NotAllowed):
        if exc.guard in GUARD_WORDS:
            return GUARD_WORDS[exc.guard]
        if exc.guard and ": " in message:
            message = message.split(": ", 1)[1]
        elif exc.status and exc.action:
            names, states = (
                (APPEAL_ACTIONS, APPEAL_STATUS) if noun == "appeal" else (ACTIONS, STATUS)
            )
            action = names.get(exc.action, exc.action.replace("_", " ").capitalize())
            state = states.get(exc.status, exc.status.replace("_", " ")).lower()
            return f"“{action}” is not possible while the {noun} is {state}"
    return message[:1].upper() + message[1:]


# Whose rules a case follows, in words (the policy's code; the queue keeps the codes).
PLACES: dict[str, str] = {
    "EU": "EU (GDPR)",
    "GB": "UK (UK GDPR)",
    "US-CA": "California",
    "US-VA": "Virginia",
    "US-CO": "Colorado",
    "US-CT": "Connecticut",
    "US-UT": "Utah",
    "US-TX": "Texas",
    "US-OR": "Oregon",
    "US-MT": "Montana",
    "US-IA": "Iowa",
    "US-DE": "Delaware",
    "US-NJ": "New Jersey",
    "BR": "Brazil (LGPD)",
    "CA": "Canada (PIPEDA)",
    "CA-QC": "Quebec",
    "DEFAULT": "Default",
}

# What the deadline does while the requester is asked for information: the policy's clock_rule
# (dsr/domain/policy_table.py says, rule by rule, where each comes from).
CLOCK_RULES: dict[str, str] = {
    "none": "the clock keeps running while you wait for the requester",
    "pause": (
        "the clock stops while you wait for the requester; the days it was stopped are added "
        "to the deadline"
    ),
    "restart": "the clock starts again from the day the requested information arrives",
    "wait": "you need not answer until the requester provides what you asked for",
}


def place(policy: dict[str, Any]) -> str:
    code = str(policy.get("code") or "")
    return PLACES.get(code, code or "Default")


def rules(policy: dict[str, Any]) -> str:
    """ "California rules": whose deadlines and notices the case follows."""
    return f"{place(policy)} rules"


def clock(policy: dict[str, Any], respond_by: str) -> str:
    """The clock rule stated concretely: "California: the clock keeps running while you wait
    for the requester; answer by 15 Jan 2027". Says so when the rule is not confirmed."""
    rule = CLOCK_RULES.get(str(policy.get("clock_rule")), "")
    if not rule:
        return f"Answer by {respond_by}"
    text = f"{place(policy)}: {rule}; answer by {respond_by}"
    if "clock_rule" in (policy.get("unconfirmed") or ()):
        text += " (this rule is not confirmed in the legal notes: check it)"
    return text
