"""The access log (issue 12, item 13; README, "Access log"): who viewed a case's personal data,
when, and what. A view is logged in the transaction that reads it, so a view that was answered
is in the log (and a view that failed is not).

The rule: a view is logged when it shows the requester's personal data (e-mail, name, account
id, details, the type's own data, the timeline's notes, a data system's results) or ties a
person to cases (a search by e-mail, a subject's history). Listings that show no requester data
(the queue, the appeals queue, task lists) are not logged, so a queue page is not a row per
case. Logged kinds are VIEW_KINDS."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth.principal import Principal
from dsr.cases import access_repository as repository
from dsr.cases.access_models import CaseAccess

VIEW_KINDS = {
    "api_case": "the case over the API (GET /api/v1/cases/{id})",
    "api_timeline": "the case's timeline over the API (GET /api/v1/cases/{id}/events)",
    "console_case": "the case page in the console (with results from data systems)",
    "console_agent_proof": "an authorized agent's signed permission, downloaded in the console",
    "console_search": "a console search by the requester's e-mail that found the case",
    "console_subject": "a subject's consent and exclusion history naming the case",
    "api_appeal": "the case's appeal over the API, with the requester's reason",
    "console_appeal": "the appeal page in the console, with the requester's name and reason",
}
MAX_ROWS = 1000


@dataclass(frozen=True)
class AccessEntry:
    viewed_at: datetime
    actor: str
    user_id: uuid.UUID | None
    kind: str


async def record(
    session: AsyncSession,
    *,
    principal: Principal,
    case_ids: Iterable[uuid.UUID],
    kind: str,
    now: datetime,
) -> None:
    """One row per case viewed (a search shows a page of cases at most)."""
    assert kind in VIEW_KINDS, kind
    actor = principal.email or principal.token_name or principal.kind
    rows = [
        CaseAccess(
            case_id=cid, user_id=principal.user_id, actor=actor[:254], kind=kind, viewed_at=now
        )
        for cid in dict.fromkeys(case_ids)
    ]
    repository.add_all(session, rows)


async def for_case(
    session: AsyncSession, *, case_id: uuid.UUID, limit: int = MAX_ROWS
) -> list[AccessEntry]:
    """Newest first."""
    rows = await repository.for_case(session, case_id, min(limit, MAX_ROWS))
    return [AccessEntry(r.viewed_at, r.actor, r.user_id, r.kind) for r in rows]
