"""The requester withdraws their own request, with the status link's token: the same withdraw
transition staff use, judged by the state machine for the requester (dsr.domain.transitions)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases import actions, intake
from dsr.cases.models import Case
from dsr.cases.transitions import apply_case_decision
from dsr.domain.context import REQUESTER
from dsr.domain.vocabulary import CaseAction
from dsr.domain.workflow import allowed_actions, decide
from dsr.errors import ensure_version
from dsr.settings import Settings


async def can_withdraw(
    session: AsyncSession, case: Case, settings: Settings, now: datetime
) -> bool:
    ctx = await actions.context_for(session, case, settings, now)
    return CaseAction.WITHDRAW.value in allowed_actions(ctx, REQUESTER)


async def withdraw(
    session: AsyncSession,
    *,
    settings: Settings,
    case_id: uuid.UUID,
    token: str,
    now: datetime,
    expected_version: int | None = None,
) -> Case:
    """Wrong or expired token: InvalidLink (nothing revealed). A case that has moved on since
    the page was shown (`expected_version`): 409. A closed case: the state machine's 409."""
    case = await intake.status_case(session, case_id, token, now)
    ensure_version(case.version, expected_version, "request")
    ctx = await actions.context_for(session, case, settings, now)
    decision = decide(ctx, CaseAction.WITHDRAW, REQUESTER, {})
    await apply_case_decision(session, settings=settings, case=case, decision=decision)
    await session.flush()
    return case
