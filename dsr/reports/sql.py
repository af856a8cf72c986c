"""The SQL expressions every report shares: a timestamp's date in the controller's time zone,
days between two dates, and the outcome of a case (the counting rules of the README, "Reports
and dashboard"). One place, so the metrics, the request log and the dashboard count alike on
both backends."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from dsr.cases.data_system_models import CaseTask
from dsr.cases.models import Case
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


def outcome() -> Any:
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
    """
    appeal_states = (S.APPEALED, S.APPEAL_IN_REVIEW, S.APPEAL_UPHELD)
    decided = col("decided_at").is_not(None)
    return sa.case(
        (col("status") == S.DUPLICATE, Outcome.DUPLICATE.value),
        (
            sa.and_(decided, col("decision_reason_code").is_not(None)),
            Outcome.DENIED.value,
        ),
        (
            sa.or_(
                col("status") == S.PARTIALLY_FULFILLED,
                sa.and_(col("status").in_(appeal_states), decided),
            ),
            Outcome.COMPLIED_IN_PART.value,
        ),
        (sa.and_(col("status") == S.FULFILLED, held_back()), Outcome.COMPLIED_IN_PART.value),
        (col("status") == S.FULFILLED, Outcome.COMPLIED_IN_WHOLE.value),
        (col("status") == S.WITHDRAWN, Outcome.WITHDRAWN.value),
        (col("status") == S.UNVERIFIED, Outcome.UNVERIFIED.value),
        else_=Outcome.PENDING.value,
    )
