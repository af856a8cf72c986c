"""The SQL expressions every report shares: a timestamp's date in the controller's time zone,
days between two dates, and the outcome of a case (the counting rules of the README, "Reports
and dashboard"). One place, so the metrics, the request log and the dashboard count alike on
both backends."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.data_system_models import CaseTask
from dsr.cases.models import Case
from dsr.db.engine import dialect_name
from dsr.domain.reporting import Outcome
from dsr.domain.vocabulary import CaseStatus, TaskStatus

S = CaseStatus
_C: Any = Case  # SQLModel fields are columns at class level; one cast instead of one per use
_T: Any = CaseTask


def col(name: str) -> Any:
    return getattr(_C, name)


def local_date(column: Any, dialect: str, zone: str) -> Any:
    """The calendar date of a UTC timestamp in `zone` (DSR_TIMEZONE): a DATE on PostgreSQL,
    'YYYY-MM-DD' text on SQLite (dsr.db.sqlfuncs)."""
    if dialect == "postgresql":
        return sa.cast(sa.func.timezone(zone, column), sa.Date)
    return sa.func.dsr_local_date(column, zone)


def days_between(start: Any, end: Any, dialect: str) -> Any:
    """Whole calendar days from one date to a later one."""
    if dialect == "postgresql":
        return end - start
    return sa.cast(sa.func.julianday(end) - sa.func.julianday(start), sa.Integer)


def held_back() -> Any:
    """A fulfilled case one of whose data systems kept data under an exception or was closed
    without doing the work: the requester got part of what they asked for."""
    return sa.exists().where(
        _T.case_id == _C.id, _T.status.in_((TaskStatus.RETAINED, TaskStatus.WAIVED))
    )


def outcome(
    *,
    status: Any = None,
    decided: Any = None,
    reason_code: Any = None,
    held: Any = None,
) -> Any:
    """What became of the request, by the README's counting rules. Checked in this order:

    - a duplicate is counted once, under the request it was linked to;
    - a standing refusal is `denied`: the case is denied, or its appeal is pending or upheld
      (deny always records a reason code, and the code is cleared when an appeal overturns it);
    - partial fulfilment is `complied_in_part`, also while appealed or after an upheld appeal,
      and so is a fulfilment where a data system retained data or its task was waived;
    - fulfilment is `complied_in_whole`;
    - withdrawn and unverified (never confirmed) requests are neither complied with nor denied;
    - everything else is still `pending`, including a refusal overturned on appeal and not yet
      answered again (it counts by its new answer once there is one).

    Over case rows by default; the metrics pass the columns of a pre-grouped subquery instead
    (`decided`: whether the case has a decision; `held`: held_back()), so the rules are applied
    to a few dozen groups rather than to every case.
    """
    status = col("status") if status is None else status
    decided = col("decided_at").is_not(None) if decided is None else decided
    reason_code = col("decision_reason_code") if reason_code is None else reason_code
    held = held_back() if held is None else held
    appeal_states = (S.APPEALED, S.APPEAL_IN_REVIEW, S.APPEAL_UPHELD)
    return sa.case(
        (status == S.DUPLICATE, Outcome.DUPLICATE.value),
        (sa.and_(decided, reason_code.is_not(None)), Outcome.DENIED.value),
        (
            sa.or_(
                status == S.PARTIALLY_FULFILLED,
                sa.and_(status.in_(appeal_states), decided),
            ),
            Outcome.COMPLIED_IN_PART.value,
        ),
        (sa.and_(status == S.FULFILLED, held), Outcome.COMPLIED_IN_PART.value),
        (status == S.FULFILLED, Outcome.COMPLIED_IN_WHOLE.value),
        (status == S.WITHDRAWN, Outcome.WITHDRAWN.value),
        (status == S.UNVERIFIED, Outcome.UNVERIFIED.value),
        else_=Outcome.PENDING.value,
    )


async def without_jit(session: AsyncSession) -> None:
    """Turn PostgreSQL's JIT compiler off for the rest of the report's transaction. These
    aggregates repeat the outcome's CASE in several places, which inflates the planner's cost
    estimate past jit_above_cost: compiling then took seconds to save milliseconds (measured by
    bench/reports.py: 3.5 s with JIT, see the README). SET LOCAL ends with the transaction."""
    if dialect_name(session) == "postgresql":
        await session.exec(sa.text("SET LOCAL jit = off"))  # type: ignore[call-overload]
