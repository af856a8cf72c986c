"""Message kinds (docs/architecture.md) and their subjects. Templates live in templates/email/<kind>.txt
and <kind>.html; both are rendered from the outbox row's context when the message is sent.

Subjects of messages to requesters and agents are marked N_() for extraction into the catalogues
(README, "Languages") and translated when the message is rendered; staff subjects are English."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def N_(message: str) -> str:
    return message


REQUESTER_SUBJECTS: dict[str, str] = {
    "verification": N_("Please confirm your privacy request {reference}"),
    "acknowledgement": N_("We have received your privacy request {reference}"),
    "info_needed": N_("We need more information for your request {reference}"),
    "extension": N_("Your privacy request {reference}: we need more time"),
    "decision": N_("Decision on your privacy request {reference}"),
    "appeal_received": N_("We have received your appeal on request {reference}"),
    "appeal_outcome": N_("Outcome of your appeal on request {reference}"),
    "package_ready": N_("Your data is ready to download: request {reference}"),
    "agent_notice": N_("Update on the request {reference} you made for a consumer"),
}
STAFF_SUBJECTS: dict[str, str] = {
    "handler_assignment": "Case {reference} has been assigned to you",
    "deadline_approaching": "Case {reference} is due on {due}",
    "deadline_missed": "Overdue: case {reference} was due on {due}",
    "task_assigned": "Data-system task for case {reference}",
    "appeal_assignment": "Appeal on case {reference} has been assigned to you",
}
# A new appeal is offered to every reviewer: nobody is assigned yet.
NEW_APPEAL_SUBJECT = "New appeal on case {reference}: it waits for a reviewer"
SUBJECTS: dict[str, str] = {**REQUESTER_SUBJECTS, **STAFF_SUBJECTS}
REQUESTER_KINDS = frozenset(REQUESTER_SUBJECTS)
# Not e-mails: signed webhook deliveries of tasks to data systems (dsr.fulfilment.webhooks),
# queued, retried and listed when failed like the e-mails; DRP status callbacks to authorized
# agents (dsr.drp.callbacks).
DELIVERY_KINDS = frozenset({"task_webhook", "task_sql", "drp_callback"})
KINDS = frozenset(SUBJECTS) | DELIVERY_KINDS


def subject_for(
    kind: str,
    context: Mapping[str, Any],
    gettext: Callable[[str], str],
    date: Callable[[Any], str],
) -> str:
    if kind == "appeal_assignment" and context.get("new"):
        template = NEW_APPEAL_SUBJECT
    elif kind in REQUESTER_SUBJECTS:
        template = gettext(REQUESTER_SUBJECTS[kind])
    else:
        template = SUBJECTS[kind]
    values = {**context, "due": date(context.get("due") or "")}
    return template.format_map(_Blank(values))


class _Blank(dict[str, Any]):
    """A placeholder the context lacks reads as empty, never a KeyError while sending."""

    def __missing__(self, key: str) -> str:
        return ""
