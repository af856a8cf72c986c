"""The notices of appeals, one builder per message kind: to the requester when they appeal and
when it is decided or extended, to reviewers when one arrives or is assigned. The builders read
the appeal from the notice's `extra` (the appeals service passes it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dsr.appeals.models import Appeal
from dsr.auth import repository as auth_repo
from dsr.cases.messages import Builder, NoticeInput
from dsr.cases.models import Case
from dsr.cases.notices import refusal_rights, regulator_for
from dsr.domain.transitions import Notice
from dsr.domain.vocabulary import AppealAction, Role
from dsr.notifications.outbox import Message


def staff_context(case: Case, appeal: Appeal) -> dict[str, Any]:
    return {
        "case_id": str(case.id),
        "reference": case.reference,
        "type": case.type,
        "appeal_id": str(appeal.id),
        "respond_by": appeal.respond_by.isoformat(),
        "staff": True,
        "new": False,
    }


def _appeal(n: NoticeInput) -> Appeal:
    appeal: Appeal = n.extra["appeal"]
    return appeal


def _key(n: NoticeInput) -> str:
    """Per appeal step: the step and the case timeline position it was recorded at."""
    return f"appeal_{n.decision.action}:{_appeal(n).id}:{n.seq}"


def _requester_base(n: NoticeInput) -> dict[str, Any]:
    case = n.case
    return {
        "case_id": str(case.id),
        "reference": case.reference,
        "type": case.type,
        "full_name": case.full_name,
    }


async def appeal_received(n: NoticeInput) -> list[Message]:
    appeal = _appeal(n)
    context = {
        **_requester_base(n),
        "respond_by": appeal.respond_by.isoformat(),
        "statutory": appeal.statutory,
        "tokens": await n.status_tokens(),
    }
    return [n.to_requester(Notice.APPEAL_RECEIVED, context, f"appeal_received:{appeal.id}")]


async def new_appeal_to_reviewers(n: NoticeInput) -> list[Message]:
    """Routed to reviewers (admins when there are none); never to the original decider."""
    case, appeal = n.case, _appeal(n)
    reviewers = []
    for role in (Role.REVIEWER, Role.ADMIN):
        users = await auth_repo.users_with_role(n.session, role)
        reviewers = [u for u in users if u.id != case.decided_by_id]
        if reviewers:
            break
    context = {**staff_context(case, appeal), "new": True}
    return [
        Message(
            Notice.APPEAL_ASSIGNMENT, u.email, f"appeal_new:{appeal.id}:{u.id}", context, case.id
        )
        for u in reviewers
    ]


async def appeal_assignment(n: NoticeInput) -> list[Message]:
    appeal = _appeal(n)
    user = await auth_repo.user_by_id(n.session, appeal.assignee_id) if appeal.assignee_id else None
    if user is None:
        return []
    context = staff_context(n.case, appeal)
    return [Message(Notice.APPEAL_ASSIGNMENT, user.email, _key(n), context, n.case.id)]


async def extension(n: NoticeInput) -> list[Message]:
    context = {
        **_requester_base(n),
        "type": n.case.type,
        "reason": n.decision.params.get("reason"),
        "respond_by": _appeal(n).respond_by.isoformat(),
        "appeal": True,
        "tokens": await n.status_tokens(),
    }
    return [n.to_requester(Notice.EXTENSION, context, _key(n))]


async def appeal_outcome(n: NoticeInput) -> list[Message]:
    case, appeal = n.case, _appeal(n)
    upheld = n.decision.action == AppealAction.UPHOLD
    regulator = regulator_for(case.jurisdiction, n.settings.regulators_file) if upheld else None
    context = {
        **_requester_base(n),
        "upheld": upheld,
        "explanation": appeal.explanation,
        "statutory": appeal.statutory,
        "respond_by": case.respond_by.isoformat(),
        "rights": refusal_rights(str(case.policy.get("family", ""))) if upheld else [],
        "regulator": regulator,
        "tokens": await n.status_tokens(),
    }
    return [n.to_requester(Notice.APPEAL_OUTCOME, context, _key(n))]


# The requester's appeal is a case action; its notices are about the appeal it creates.
FILING_MESSAGES: Mapping[Notice, Builder] = {
    Notice.APPEAL_RECEIVED: appeal_received,
    Notice.APPEAL_ASSIGNMENT: new_appeal_to_reviewers,
}
APPEAL_MESSAGES: Mapping[Notice, Builder] = {
    Notice.APPEAL_ASSIGNMENT: appeal_assignment,
    Notice.EXTENSION: extension,
    Notice.APPEAL_OUTCOME: appeal_outcome,
}
