"""Effects of case transitions beyond the case itself: training exclusions and output
suppressions (docs/architecture.md, "Training eligibility"). Kept apart so the transitions module
stays about the workflow."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases import repository
from dsr.cases.models import Case
from dsr.consent import exclusions, opt_outs
from dsr.domain.vocabulary import FULFILLED_STATUSES, OUTCOME_STATUSES, CaseStatus, RequestType
from dsr.domain.workflow import Decision

_UNDONE = frozenset({CaseStatus.DENIED, CaseStatus.WITHDRAWN})


async def after_opening(session: AsyncSession, case: Case, now: datetime) -> None:
    """A request was verified (or entered by staff, who verified it): a deletion, objection or
    output-removal request excludes its subject from training at once, provisionally."""
    await exclusions.on_request_verified(session, case, now)
    if case.type == RequestType.OPT_OUT:
        await opt_outs.on_request_opened(session, case, now)


async def after_transition(
    session: AsyncSession, case: Case, decision: Decision, now: datetime
) -> None:
    """Fulfilment, in full or in part, makes the exclusion permanent (and publishes an
    output-removal request's suppression rule): the request was verified and acted on, and only
    an unverifiable denial or a withdrawal may lift it; any other denial leaves it standing
    (docs/architecture.md). Requests closed as duplicates of this one follow its outcome: they were never
    worked on their own, so their exclusions would otherwise stay provisional for ever."""
    if decision.to_status in OUTCOME_STATUSES:
        for each in [case, *await repository.duplicates_of(session, case.id)]:
            await _apply(session, each, decision, now)


async def _apply(session: AsyncSession, case: Case, decision: Decision, now: datetime) -> None:
    if decision.to_status in FULFILLED_STATUSES:
        await exclusions.on_request_fulfilled(session, case, now)
    elif decision.to_status == CaseStatus.DENIED:
        reason = str(decision.params.get("reason_code") or "")
        await exclusions.on_request_lifted(session, case, now, reason)
    elif decision.to_status == CaseStatus.WITHDRAWN:
        await exclusions.on_request_lifted(session, case, now, "withdrawn")
    if case.type == RequestType.OPT_OUT and decision.to_status in _UNDONE:
        # A refused (documented fraud) or withdrawn opt-out stops opting anyone out.
        await opt_outs.on_request_closed_without_effect(session, case)


async def after_overturn(session: AsyncSession, case: Case, now: datetime) -> None:
    """An appeal overturned a refusal: the request is live again, so a lifted exclusion (denied
    as unverifiable) is provisional again until the request is decided anew, for its
    duplicates too."""
    for each in [case, *await repository.duplicates_of(session, case.id)]:
        await exclusions.on_request_verified(session, case=each, now=now)
