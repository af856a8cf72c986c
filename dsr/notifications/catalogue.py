"""Message kinds (docs/architecture.md) and their subjects. Templates live in templates/email/<kind>.txt
and <kind>.html; both are rendered from the outbox row's context when the message is sent."""

from __future__ import annotations

SUBJECTS: dict[str, str] = {
    "verification": "Please confirm your privacy request {reference}",
    "acknowledgement": "We have received your privacy request {reference}",
    "info_needed": "We need more information for your request {reference}",
    "extension": "Your privacy request {reference}: we need more time",
    "decision": "Decision on your privacy request {reference}",
    "appeal_received": "We have received your appeal on request {reference}",
    "appeal_outcome": "Outcome of your appeal on request {reference}",
    "handler_assignment": "Case {reference} has been assigned to you",
    "deadline_approaching": "Case {reference} is due on {due}",
    "deadline_missed": "Overdue: case {reference} was due on {due}",
    "task_assigned": "Data-system task for case {reference}",
    "appeal_assignment": "Appeal on case {reference} has been assigned to you",
    "package_ready": "Your data is ready to download: request {reference}",
    "agent_notice": "Update on the request {reference} you made for a consumer",
}
# Not e-mails: signed webhook deliveries of tasks to data systems (dsr.fulfilment.webhooks),
# queued, retried and listed when failed like the e-mails; DRP status callbacks to authorized
# agents (dsr.drp.callbacks).
DELIVERY_KINDS = frozenset({"task_webhook", "task_sql", "drp_callback"})
KINDS = frozenset(SUBJECTS) | DELIVERY_KINDS
