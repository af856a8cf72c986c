"""What the appeal page shows: the appeal beside the case it contests (the request, the refusal
with its reason code and explanation, the case's whole timeline), and a form for each appeal
action this user may take now, with the reason when one is held back (the original decider may
not decide; most jurisdictions allow no extension)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.appeals import presenters
from dsr.appeals.models import Appeal
from dsr.auth import repository as auth_repo
from dsr.auth.principal import Principal
from dsr.cases import actions, timeline
from dsr.cases.models import Case, CaseEvent
from dsr.domain.due import appeal_due
from dsr.domain.offers import appeal_held_back
from dsr.domain.vocabulary import OPEN_APPEAL_STATUSES
from dsr.domain.workflow import (
    AppealContext,
    AppealStatus,
    Role,
    allowed_appeal_actions,
)
from dsr.settings import Settings
from dsr.web.console import labels
from dsr.web.console.case_view import staff_ids, timeline_rows

DECISION_ACTIONS = ("deny", "partially_fulfil")


@dataclass(frozen=True)
class OriginalDecision:
    outcome: str
    reason_code: str | None
    explanation: str | None
    decided_by: str | None
    at: datetime


def can_review(principal: Principal) -> bool:
    """Who may assign and decide appeals (admins included), as POST /api/v1/appeals/{id}/actions."""
    return principal.has_role(Role.REVIEWER)


def appeal_context(appeal: Appeal, settings: Settings, now: datetime) -> AppealContext:
    """The state machine's view of the appeal, for choosing which forms to show. The appeals
    service builds the same context when an action is run, and its judgement is the one that
    counts; the assignee is judged then, from the form."""
    return AppealContext(
        status=AppealStatus(appeal.status),
        today=settings.today(now),
        original_decider_id=str(appeal.original_decider_id) if appeal.original_decider_id else None,
        extension_available=appeal.extended_respond_by is not None,
        extended=appeal.extended,
        respond_by=appeal.original_respond_by,
    )


def original_decision(
    appeal: Appeal, events: list[CaseEvent], emails: dict[uuid.UUID, str]
) -> OriginalDecision | None:
    """The refusal this appeal contests, from the timeline: an overturn clears the case's own
    decision fields, but the events keep what was decided, by whom and why."""
    filed = next(
        (
            i
            for i, ev in enumerate(events)
            if ev.action == "appeal" and (ev.data or {}).get("appeal_id") == str(appeal.id)
        ),
        len(events),
    )
    for ev in reversed(events[:filed]):
        if ev.action in DECISION_ACTIONS:
            who = _uuid(ev.actor_id) if ev.actor_kind == "staff" else None
            return OriginalDecision(
                outcome=labels.event(ev.action),
                reason_code=(ev.data or {}).get("reason_code"),
                explanation=ev.reason,
                decided_by=emails.get(who, "a former staff member") if who else None,
                at=ev.at,
            )
    return None


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def appeal_page_context(
    session: AsyncSession,
    settings: Settings,
    appeal: Appeal,
    case: Case,
    principal: Principal,
    now: datetime,
) -> dict[str, Any]:
    ctx = appeal_context(appeal, settings, now)
    allowed = allowed_appeal_actions(ctx, actions.actor_of(principal))
    events = await timeline.events_for(session, case.id)
    ids = staff_ids(case, events, [])
    ids |= {i for i in (appeal.assignee_id, appeal.original_decider_id, appeal.decided_by_id) if i}
    emails = await auth_repo.emails_by_id(session, ids)
    reviewers = [
        u
        for u in await auth_repo.users_with_role(session, Role.ADMIN, Role.REVIEWER)
        if u.id != appeal.original_decider_id
    ]
    is_decider = appeal.original_decider_id is not None and (
        appeal.original_decider_id == principal.user_id
    )
    return {
        "nav": "appeals",
        "appeal": appeal,
        "case": case,
        "summary": presenters.summary(appeal, case, ctx.today, None),
        "due": appeal_due(appeal.status, appeal.respond_by, ctx.today),
        # The warning stands while the appeal waits for a decision the reader may not make.
        "decider_warning": is_decider and appeal.status in OPEN_APPEAL_STATUSES,
        "assignee": emails.get(appeal.assignee_id) if appeal.assignee_id else None,
        "original_decider": emails.get(appeal.original_decider_id)
        if appeal.original_decider_id
        else None,
        "decided_by": emails.get(appeal.decided_by_id) if appeal.decided_by_id else None,
        "decision": original_decision(appeal, events, emails),
        "timeline": timeline_rows(events, emails),
        "forms": [a for a in labels.APPEAL_ACTIONS if a in allowed],
        "held_back": appeal_held_back(ctx, actions.actor_of(principal), allowed)
        if can_review(principal)
        else {},
        "can_review": can_review(principal),
        "is_original_decider": is_decider,
        "reviewers": reviewers,
    }
