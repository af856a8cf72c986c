"""Case rows -> response models."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth import repository as auth_repo
from dsr.cases.models import Case
from dsr.cases.schemas import CaseOut, CaseSummary, Deadlines, RequestStatusOut
from dsr.domain.vocabulary import case_overdue, days_left


def deadlines(case: Case) -> Deadlines:
    return Deadlines(
        acknowledge_by=case.acknowledge_by,
        respond_by=case.respond_by,
        extended_respond_by=case.extended_respond_by,
        extended=case.extended,
    )


def case_out(case: Case, assignee_email: str | None = None) -> CaseOut:
    return CaseOut(
        id=case.id,
        reference=case.reference,
        type=case.type,
        status=case.status,
        channel=case.channel,
        jurisdiction=case.jurisdiction,
        jurisdiction_input=case.jurisdiction_input,
        jurisdiction_known=case.jurisdiction_known,
        language=case.language,
        email=case.email,
        full_name=case.full_name,
        account_id=case.account_id,
        details=case.details,
        type_data=case.type_data,
        received_at=case.received_at,
        verified_at=case.verified_at,
        assignee=assignee_email,
        duplicate_of=case.duplicate_of_id,
        deadlines=deadlines(case),
        clock_paused=case.clock_paused,
        version=case.version,
        decision_reason_code=case.decision_reason_code,
        decision_explanation=case.decision_explanation,
        policy=case.policy,
        agent=(
            {
                "name": case.agent_name or "",
                "email": case.agent_email,
                "kind": case.agent_kind or "",
            }
            if case.agent_email
            else None
        ),
    )


async def case_out_for(session: AsyncSession, case: Case) -> CaseOut:
    """The staff view of a case, with its assignee's e-mail."""
    emails = await auth_repo.emails_by_id(
        session, {case.assignee_id} if case.assignee_id else set()
    )
    return case_out(case, emails.get(case.assignee_id) if case.assignee_id else None)


def summary(case: Case, today: date, assignee_email: str | None = None) -> CaseSummary:
    return CaseSummary(
        id=case.id,
        reference=case.reference,
        type=case.type,
        status=case.status,
        jurisdiction=case.jurisdiction,
        respond_by=case.respond_by,
        days_left=days_left(case.respond_by, today),
        overdue=case_overdue(case.status, case.respond_by, today),
        assignee=assignee_email,
        duplicate_of=case.duplicate_of_id,
    )


def status_out(case: Case) -> RequestStatusOut:
    return RequestStatusOut(
        id=case.id,
        reference=case.reference,
        type=case.type,
        status=case.status,
        received_date=case.received_date,
        respond_by=case.respond_by,
        extended=case.extended,
        decision_reason_code=case.decision_reason_code,
        decision_explanation=case.decision_explanation,
    )
