"""Requests an authorized agent makes for a consumer (11 CCR 7063 [U]; docs/legal.md §1.10).

The consumer stays the requester: their address gets the confirmation link (they confirm
directly that they gave permission), every status link and their copy of their data. The agent
is told of each status change without any link, so a capability that reads the case never
reaches only the agent; their one link uploads the signed permission (dsr.cases.proofs).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases import proofs
from dsr.cases.models import Case
from dsr.notifications.outbox import Message, enqueue_many
from dsr.settings import Settings

KIND = "agent_notice"
# The consumer's notices the agent hears of (the status changes, an appeal's included); never
# package_ready: the requester's copy of their data goes to the consumer alone.
COPIED = frozenset(
    {"acknowledgement", "info_needed", "extension", "decision", "appeal_received", "appeal_outcome"}
)


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


async def notify_agent_of_submission(
    session: AsyncSession, *, settings: Settings, case: Case, now: datetime
) -> None:
    """Tell the agent the request arrived, with the link to upload the signed permission: the
    one capability the agent gets, since it adds files and reads nothing (dsr.cases.proofs)."""
    if not case.agent_email:
        return
    waits = case.agent_kind != "power_of_attorney" and case.type != "opt_out"
    upload = proofs.new_upload_token(settings, case, now)
    session.add(upload)
    extra = {"waits_for_consumer": waits, "tokens": {"proof": str(upload.id)}}
    message = Message(
        KIND,
        case.agent_email,
        f"{KIND}:submitted:{case.id}",
        _context(case, "submitted", extra),
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
                    # An appeal's notices carry the appeal's date and outcome.
                    "respond_by": m.context.get("respond_by", case.respond_by.isoformat()),
                    "appeal": bool(m.context.get("appeal")),
                    "upheld": bool(m.context.get("upheld")),
                },
            ),
            case.id,
        )
        for m in messages
        if m.kind in COPIED and m.recipient == case.email
    ]
