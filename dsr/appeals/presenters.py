from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.appeals.models import Appeal
from dsr.appeals.schemas import (
    AppealCase,
    AppealDeadlines,
    AppealOut,
    AppealSummary,
    PublicAppealOut,
)
from dsr.auth import repository as auth_repo
from dsr.cases.models import Case
from dsr.domain.vocabulary import appeal_overdue, days_left


async def appeal_out(session: AsyncSession, appeal: Appeal, case: Case) -> AppealOut:
    ids = {i for i in (appeal.assignee_id, appeal.original_decider_id, appeal.decided_by_id) if i}
    emails = await auth_repo.emails_by_id(session, ids)
    return AppealOut(
        id=appeal.id,
        case_id=case.id,
        status=appeal.status,
        statutory=appeal.statutory,
        reason=appeal.reason,
        received_at=appeal.received_at,
        deadlines=AppealDeadlines(
            respond_by=appeal.respond_by,
            extended_respond_by=appeal.extended_respond_by,
            extended=appeal.extended,
        ),
        assignee=emails.get(appeal.assignee_id) if appeal.assignee_id else None,
        original_decider=emails.get(appeal.original_decider_id)
        if appeal.original_decider_id
        else None,
        decided_by=emails.get(appeal.decided_by_id) if appeal.decided_by_id else None,
        explanation=appeal.explanation,
        version=appeal.version,
        case=AppealCase(
            id=case.id,
            reference=case.reference,
            type=case.type,
            status=case.status,
            jurisdiction=case.jurisdiction,
            decision_reason_code=case.decision_reason_code,
            decision_explanation=case.decision_explanation,
        ),
    )


def summary(appeal: Appeal, case: Case, today: date, assignee: str | None) -> AppealSummary:
    return AppealSummary(
        id=appeal.id,
        case_id=case.id,
        reference=case.reference,
        status=appeal.status,
        jurisdiction=case.jurisdiction,
        respond_by=appeal.respond_by,
        days_left=days_left(appeal.respond_by, today),
        overdue=appeal_overdue(appeal.status, appeal.respond_by, today),
        assignee=assignee,
    )


def public(appeal: Appeal) -> PublicAppealOut:
    return PublicAppealOut(
        id=appeal.id,
        status=appeal.status,
        received_date=appeal.received_date,
        respond_by=appeal.respond_by,
        explanation=appeal.explanation,
    )
