"""The two staff queues' queries, one model each, parsed by the JSON API (strictly: a bad value
is a 422) and by the console (leniently: a bad value in a link is dropped with a message). Both
then ask the repositories the same way, so a filter means the same thing in both."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Query
from pydantic import StringConstraints

from dsr.cases.repository import CaseFilter
from dsr.domain.vocabulary import OPEN_APPEAL_STATUSES, AppealStatus, CaseStatus, RequestType
from dsr.errors import InvalidInput

ME = "me"
NOBODY = "none"
ASSIGNEE_HELP = "a staff user id, 'me' or 'none'"

# None: anyone's; "me", "none", or one staff user's id.
Assignee = uuid.UUID | str | None


def parse_assignee(raw: str | None) -> Assignee:
    """'' or None (anyone), 'me', 'none' or a staff user id; ValueError for anything else."""
    if not raw:
        return None
    if raw in (ME, NOBODY):
        return raw
    return uuid.UUID(raw)


def _assignee_id(assignee: Assignee, user_id: uuid.UUID | None) -> uuid.UUID | None:
    if assignee == ME:
        return user_id
    return assignee if isinstance(assignee, uuid.UUID) else None


@dataclass(frozen=True)
class CaseQuery:
    statuses: tuple[CaseStatus, ...] = ()  # () = every status
    types: tuple[RequestType, ...] = ()
    jurisdictions: tuple[str, ...] = ()  # policy codes, upper case
    assignee: Assignee = None
    due_before: date | None = None
    cursor: str | None = None
    limit: int = 50

    def case_filter(self, user_id: uuid.UUID | None) -> CaseFilter:
        """The repository's filter, with 'me' read as the caller."""
        return CaseFilter(
            statuses=tuple(self.statuses),
            types=tuple(self.types),
            jurisdictions=self.jurisdictions,
            assignee_id=_assignee_id(self.assignee, user_id),
            unassigned=self.assignee == NOBODY,
            due_before=self.due_before,
        )


@dataclass(frozen=True)
class AppealQuery:
    statuses: tuple[AppealStatus, ...] = ()  # () = every status
    assignee: Assignee = None
    cursor: str | None = None
    limit: int = 50

    def assignee_id(self, user_id: uuid.UUID | None) -> uuid.UUID | None:
        return _assignee_id(self.assignee, user_id)

    @property
    def unassigned(self) -> bool:
        return self.assignee == NOBODY


# What cases store in `jurisdiction` (docs/legal.md §1 codes and DEFAULT); anything else, a NUL byte
# included, is a 422 rather than a query the database may refuse.
PolicyCode = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
]
AssigneeParam = Annotated[str | None, Query(description=ASSIGNEE_HELP)]
LimitParam = Annotated[int, Query(ge=1, le=200)]
CursorParam = Annotated[str | None, Query(max_length=200)]


_TYPES = frozenset(RequestType)


def _strict_assignee(raw: str | None) -> Assignee:
    try:
        return parse_assignee(raw)
    except ValueError:
        raise InvalidInput(f"assignee: {ASSIGNEE_HELP}") from None


def api_case_query(
    status_: Annotated[list[CaseStatus] | None, Query(alias="status")] = None,
    type_: Annotated[list[str] | None, Query(alias="type")] = None,
    jurisdiction: Annotated[
        list[PolicyCode] | None, Query(description="a policy code: EU, GB, US-CA, DEFAULT, …")
    ] = None,
    assignee: AssigneeParam = None,
    due_before: date | None = None,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> CaseQuery:
    """GET /api/v1/cases: no status filter means every status; a bad value is a 422."""
    types = []
    for t in type_ or []:
        if t not in _TYPES:
            raise InvalidInput(f"type: must be one of {', '.join(RequestType)}")
        types.append(RequestType(t))
    return CaseQuery(
        statuses=tuple(status_ or ()),
        types=tuple(types),
        jurisdictions=tuple(j.upper() for j in jurisdiction or []),
        assignee=_strict_assignee(assignee),
        due_before=due_before,
        cursor=cursor,
        limit=limit,
    )


def api_appeal_query(
    status_: Annotated[list[AppealStatus] | None, Query(alias="status")] = None,
    assignee: AssigneeParam = None,
    limit: LimitParam = 50,
    cursor: CursorParam = None,
) -> AppealQuery:
    """GET /api/v1/appeals: no status filter means the open appeals; a bad value is a 422."""
    return AppealQuery(
        statuses=tuple(status_) if status_ else tuple(sorted(OPEN_APPEAL_STATUSES)),
        assignee=_strict_assignee(assignee),
        cursor=cursor,
        limit=limit,
    )


CaseQueryDep = Annotated[CaseQuery, Depends(api_case_query)]
AppealQueryDep = Annotated[AppealQuery, Depends(api_appeal_query)]
