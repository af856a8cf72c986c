"""Requests an authorized agent makes for a consumer (11 CCR 7063 [U]; docs/legal.md §1.10).

The consumer stays the requester: their address gets the confirmation link (they confirm
directly that they gave permission), every status link and their copy of their data. The agent
is told of each status change without any link, so a capability never reaches only the agent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.models import Case
from dsr.notifications.outbox import Message, enqueue_many

KIND = "agent_notice"
# The consumer's notices the agent hears of (the status changes); never package_ready.
COPIED = frozenset({"acknowledgement", "info_needed", "extension", "decision"})


def _context(case: Case, event: str, extra: dict[str, object] | None = None) -> dict[str, object]:
    return {
        "case_id": str(case.id),
        "reference": case.reference,
        "type": case.type,
        "full_name": case.full_name,
        "agent_name": case.agent_name,
        "agent_kind": case.agent_kind,
        "event": event,
        "status": case.status,
        "respond_by": case.respond_by.isoformat(),
        # The agent reads the consumer's language: the one the request was made in.
        "language": case.language,
        **(extra or {}),
    }


async def notify_agent_of_submission(session: AsyncSession, *, case: Case, now: datetime) -> None:  # noqa: ARG001
    if not case.agent_email:
        return
    waits = case.agent_kind != "power_of_attorney" and case.type != "opt_out"
    message = Message(
        KIND,
        case.agent_email,
        f"{KIND}:submitted:{case.id}",
        _context(case, "submitted", {"waits_for_consumer": waits}),
        case.id,
    )
    await enqueue_many(session, [message])


def copies_for_agent(case: Case, messages: Sequence[Message]) -> list[Message]:
    """The agent's copy of each status notice the consumer gets: what happened, no links."""
    if not case.agent_email:
        return []
    return [
        Message(
            KIND,
            case.agent_email,
            f"{KIND}:{m.dedup_key}",
            _context(
                case,
                m.kind,
                {
                    "reason": m.context.get("reason"),
                    "explanation": m.context.get("explanation"),
                    "reason_code": m.context.get("reason_code"),
                },
            ),
            case.id,
        )
        for m in messages
        if m.kind in COPIED and m.recipient == case.email
    ]
