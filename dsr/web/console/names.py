"""Names the console shows for outbox messages, their recipients and jurisdictions."""

from __future__ import annotations

from dsr.web.choices import JURISDICTIONS

# Outbox message kinds (dsr.notifications.catalogue) in words.
MESSAGE_KINDS: dict[str, str] = {
    "verification": "Request to confirm the e-mail address",
    "acknowledgement": "Acknowledgement",
    "info_needed": "Request for information",
    "extension": "Extension notice",
    "decision": "Decision notice",
    "appeal_received": "Appeal acknowledgement",
    "appeal_outcome": "Appeal outcome",
    "handler_assignment": "Case assignment",
    "deadline_approaching": "Deadline reminder",
    "deadline_missed": "Missed-deadline alert",
    "task_assigned": "Data-system task",
    "appeal_assignment": "Appeal assignment",
    "package_ready": "Download ready notice",
    "agent_notice": "Update to the agent",
    "task_webhook": "Webhook delivery to a data system",
    "task_sql": "SQL task run",
}

RECIPIENTS = {"requester": "the requester", "agent": "the agent", "staff": "a staff member"}

# Policy codes (docs/legal.md §1) by name, for filters and lists: "US-CA — California".
JURISDICTION_NAMES: dict[str, str] = {
    **{code: name for _group, items in JURISDICTIONS for code, name in items},
    "EU": "European Union and EEA",
    "DEFAULT": "Elsewhere (default policy)",
}


def message_kind(kind: str) -> str:
    return MESSAGE_KINDS.get(kind, kind.replace("_", " ").capitalize())


def jurisdiction(code: str) -> str:
    name = JURISDICTION_NAMES.get(code)
    return f"{code} — {name}" if name else code
