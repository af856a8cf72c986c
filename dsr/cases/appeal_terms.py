"""Whether a decided case may be appealed, and until when."""

from __future__ import annotations

from datetime import date, timedelta

from dsr.cases.models import Case
from dsr.settings import Settings


def appeal_terms(case: Case, settings: Settings) -> tuple[bool, date | None]:
    """An appeal is open where the law grants one (policy.appeal), or as a configured internal
    review elsewhere; for DSR_APPEAL_WINDOW_DAYS after the decision."""
    available = case.policy.get("appeal") is not None or settings.internal_review_days > 0
    ends = None
    if case.decided_at is not None:
        ends = settings.today(case.decided_at) + timedelta(days=settings.appeal_window_days)
    return available, ends
