"""Plain-words labels the console shows for codes."""

from __future__ import annotations

STATUS = {
    "pending_verification": "Pending verification",
    "unverified": "Unverified (lapsed)",
    "open": "Open",
    "in_progress": "In progress",
    "awaiting_info": "Awaiting information",
    "fulfilled": "Fulfilled",
    "partially_fulfilled": "Partially fulfilled",
    "denied": "Denied",
    "withdrawn": "Withdrawn",
    "duplicate": "Duplicate",
    "appealed": "Appealed",
    "appeal_in_review": "Appeal in review",
    "appeal_upheld": "Appeal upheld",
}

TYPE = {
    "access": "Access",
    "correction": "Correction",
    "deletion": "Deletion",
    "output_removal": "Output removal",
    "objection": "Objection",
}

CHANNEL = {
    "web": "Web form",
    "email": "E-mail",
    "post": "Post",
    "phone": "Phone",
    "agent": "Authorized agent",
}

DENIAL_REASONS = {
    "identity_not_verified": "Identity could not be verified",
    "exception_applies": "A legal exception applies",
    "manifestly_unfounded_or_excessive": "Manifestly unfounded or excessive",
    "not_covered": "Not covered by the law",
    "outside_jurisdiction": "Outside the jurisdiction",
    "other": "Other (explain)",
}

# The order the action forms appear in, and their button labels.
ACTIONS = {
    "assign": "Assign",
    "request_info": "Request information",
    "info_received": "Information received",
    "extend": "Extend the deadline",
    "fulfil": "Fulfil",
    "partially_fulfil": "Partially fulfil",
    "deny": "Deny",
    "withdraw": "Withdraw",
    "note": "Add a note",
}

# Timeline entries: actions that are not forms here as well.
EVENTS = {
    "request_info": "Information requested",
    "info_received": "Information received",
    "submit": "Request received",
    "verify": "Identity verified",
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
    "task_waived": "Task waived",
    "assign": "Assigned",
    "extend": "Deadline extended",
    "fulfil": "Fulfilled",
    "partially_fulfil": "Partially fulfilled",
    "deny": "Denied",
    "withdraw": "Withdrawn",
    "note": "Note",
}

DONE = {
    "assign": "The case was assigned.",
    "request_info": "The request for information was sent.",
    "info_received": "The information was recorded as received; the clock runs again.",
    "extend": "The deadline was extended and the requester will be told why.",
    "fulfil": "The case was fulfilled; the decision notice is on its way.",
    "partially_fulfil": "The case was partially fulfilled; the decision notice is on its way.",
    "deny": "The request was denied; the decision notice is on its way.",
    "withdraw": "The case was withdrawn.",
    "note": "The note was added.",
}


def status(code: str) -> str:
    return STATUS.get(code, code.replace("_", " ").capitalize())


def event(code: str) -> str:
    return EVENTS.get(code, code.replace("_", " ").capitalize())


APPEAL_STATUS = {
    "appealed": "Waiting for a reviewer",
    "appeal_in_review": "In review",
    "appeal_upheld": "Upheld (refusal stands)",
    "overturned": "Overturned",
}

APPEAL_ACTIONS = {
    "assign": "Assign the appeal",
    "extend": "Extend the appeal deadline",
    "overturn": "Overturn the refusal",
    "uphold": "Uphold the refusal",
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
