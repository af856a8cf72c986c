"""Effects of case transitions beyond the case itself (training exclusions, suppressions).
Kept apart so the actions module stays about the workflow."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.models import Case
from dsr.domain.workflow import Decision


async def after_opening(session: AsyncSession, case: Case, now: datetime) -> None:
    """Called when a case opens (verified)."""


async def after_transition(
    session: AsyncSession, case: Case, decision: Decision, now: datetime
) -> None:
    """Called after every staff transition has been applied."""
