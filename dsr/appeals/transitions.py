"""The one way an appeal changes: apply a Decision of the appeal state machine. The appeal's
fields change as its effects say, the case mirrors the step (dsr.cases.transitions), one event
goes on the case's timeline (so one hash chain tells the whole story) and the notices go to the
outbox, in the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.appeals.messages import APPEAL_MESSAGES
from dsr.appeals.models import Appeal
from dsr.cases import agents, timeline
from dsr.cases.messages import NoticeInput
from dsr.cases.models import Case
from dsr.cases.transitions import mirror_case_decision
from dsr.domain.context import SYSTEM, CaseContext
from dsr.domain.transitions import Effect
from dsr.domain.vocabulary import CaseStatus
from dsr.domain.workflow import Decision, decide
from dsr.notifications.outbox import enqueue_many
from dsr.settings import Settings


async def apply_appeal_decision(
    session: AsyncSession,
    *,
    settings: Settings,
    appeal: Appeal,
    case: Case,
    decision: Decision,
    assignee_id: uuid.UUID | None = None,
) -> None:
    now, actor = decision.at, decision.actor
    if now is None or actor is None:
        raise ValueError("apply_appeal_decision needs a decision whose context had `now`")
    case_from = case.status
    if decision.does(Effect.ASSIGNED):
        appeal.assignee_id = assignee_id
    if decision.does(Effect.EXTENDED):
        appeal.extended = True
        appeal.respond_by = appeal.extended_respond_by or appeal.respond_by
    if decision.does(Effect.DECIDED):
        appeal.decided_by_id = uuid.UUID(actor.id) if actor.id else None
        appeal.decided_at = now
        appeal.explanation = decision.params.get("explanation")
    if decision.mirror is not None:
        ctx = CaseContext(status=CaseStatus(case.status), today=settings.today(now), now=now)
        mirrored = decide(ctx, decision.mirror, SYSTEM, {})
        if mirrored.does(Effect.REOPENED):
            # The refusal is withdrawn: the request must now be done by the appeal's deadline.
            case.respond_by_override = appeal.respond_by
        await mirror_case_decision(session, settings=settings, case=case, decision=mirrored)
    appeal.status = decision.to_status
    appeal.updated_at = case.updated_at = now
    data: dict[str, Any] = {
        "appeal_id": str(appeal.id),
        "appeal_from": decision.from_status,
        "appeal_to": decision.to_status,
    }
    if assignee_id:
        data["assignee_id"] = str(assignee_id)
    if decision.does(Effect.EXTENDED):
        data["appeal_respond_by"] = appeal.respond_by.isoformat()
    event = await timeline.append(
        session,
        case.id,
        at=now,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action=f"appeal_{decision.action}",
        from_status=case_from,
        to_status=case.status,
        reason=decision.reason,
        data=data,
    )
    notice = NoticeInput(session, settings, case, decision, now, event.seq, {"appeal": appeal})
    for kind in decision.notices:
        built = await APPEAL_MESSAGES[kind](notice)
        await enqueue_many(session, [*built, *agents.copies_for_agent(case, built)])
