"""The notices a case decision sends, one builder per message kind (the decision's `notices`
name them). Builders only build: dsr.cases.transitions writes what they return to the outbox in
the decision's transaction. Dedup keys are stable, so a retried request sends nothing twice."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth import repository as auth_repo
from dsr.cases import data_systems, tokens
from dsr.cases.appeal_terms import appeal_terms
from dsr.cases.models import Case
from dsr.cases.notices import decision_context
from dsr.domain.transitions import Notice
from dsr.domain.vocabulary import TaskStatus
from dsr.domain.workflow import Decision
from dsr.notifications.outbox import Message
from dsr.settings import Settings


@dataclass
class NoticeInput:
    session: AsyncSession
    settings: Settings
    case: Case
    decision: Decision
    now: datetime
    seq: int  # the timeline position of the decision's event: part of per-action dedup keys
    # What the caller knows beyond the case (the appeals service passes the appeal).
    extra: Mapping[str, Any]

    @property
    def key(self) -> str:
        return f"{self.decision.action}:{self.case.id}:{self.seq}"

    def base(self) -> dict[str, Any]:
        case = self.case
        return {
            "case_id": str(case.id),
            "reference": case.reference,
            "type": case.type,
            "full_name": case.full_name,
            "respond_by": case.respond_by.isoformat(),
        }

    async def status_tokens(self) -> dict[str, str]:
        found = await tokens.status_token_id(self.session, self.case.id)
        return {"status": found} if found else {}

    def to_requester(self, kind: Notice, context: dict[str, Any], key: str = "") -> Message:
        # Written in the requester's language, whoever acts (README, "Languages").
        context = {**context, "language": self.case.language}
        return Message(kind, self.case.email, key or self.key, context, self.case.id)


Builder = Callable[[NoticeInput], Awaitable[list[Message]]]


async def acknowledgement(n: NoticeInput) -> list[Message]:
    """Every verified requester gets an acknowledgement with the status link (docs/legal.md:
    11 CCR 7021(a) wants one within 10 business days; it is sent at once, and the case counts
    as acknowledged once the mail server has accepted it)."""
    case, settings = n.case, n.settings
    status_token = tokens.new_token(
        settings, case.id, "status", n.now, timedelta(days=settings.status_token_ttl_days)
    )
    n.session.add(status_token)
    # acknowledged_at is set when the mail server accepts the message (dsr.notifications.delivery).
    context = {
        **n.base(),
        "received_date": case.received_date.isoformat(),
        "tokens": {"status": str(status_token.id)},
    }
    return [n.to_requester(Notice.ACKNOWLEDGEMENT, context, f"acknowledgement:{case.id}")]


async def handler_assignment(n: NoticeInput) -> list[Message]:
    if n.case.assignee_id is None:
        return []
    user = await auth_repo.user_by_id(n.session, n.case.assignee_id)
    if user is None:
        return []
    context = {**n.base(), "staff": True, "full_name": ""}
    return [Message(Notice.HANDLER_ASSIGNMENT, user.email, n.key, context, n.case.id)]


async def info_needed(n: NoticeInput) -> list[Message]:
    context = {
        **n.base(),
        "reason": n.decision.params.get("reason"),
        "paused": n.case.clock_paused,
        "tokens": await n.status_tokens(),
    }
    return [n.to_requester(Notice.INFO_NEEDED, context)]


async def extension(n: NoticeInput) -> list[Message]:
    context = {
        **n.base(),
        "reason": n.decision.params.get("reason"),
        "tokens": await n.status_tokens(),
    }
    return [n.to_requester(Notice.EXTENSION, context)]


async def decision(n: NoticeInput) -> list[Message]:
    case, settings = n.case, n.settings
    available, window_ends = appeal_terms(case, settings)
    notice = decision_context(
        family=str(case.policy.get("family", "default")),
        jurisdiction=case.jurisdiction,
        outcome=n.decision.to_status,
        appeal_available=available,
        regulators_file=settings.regulators_file,
    )
    links = await n.status_tokens()
    if notice["appeal_available"] and "status" in links:
        links["appeal"] = links["status"]
    context = {
        **n.base(),
        **notice,
        "exceptions": await _exceptions(n),
        "reason_code": case.decision_reason_code,
        "explanation": case.decision_explanation,
        "appeal_window_ends": window_ends.isoformat() if window_ends else None,
        "statutory_appeal": case.policy.get("appeal") is not None,
        "tokens": links,
    }
    return [n.to_requester(Notice.DECISION, context)]


async def _exceptions(n: NoticeInput) -> list[dict[str, str]]:
    """What systems kept under an exception (retained tasks): the requester is told which
    exception applies (GDPR Art 12(4): the reasons for not acting, EDPB §193 for partial
    refusals; docs/legal.md §4 [P])."""
    return [
        {"system": system.name, "exception": task.note or ""}
        for task, system in await data_systems.tasks_for(n.session, n.case.id)
        if task.status == TaskStatus.RETAINED
    ]


CASE_MESSAGES: Mapping[Notice, Builder] = {
    Notice.ACKNOWLEDGEMENT: acknowledgement,
    Notice.HANDLER_ASSIGNMENT: handler_assignment,
    Notice.INFO_NEEDED: info_needed,
    Notice.EXTENSION: extension,
    Notice.DECISION: decision,
}
