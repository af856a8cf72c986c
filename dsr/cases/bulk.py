"""Bulk case actions (assign or deny many cases): each case runs in its own savepoint, so one
refusal or conflict does not undo the others, and the caller gets a result per case. The staff
API and the console both call run_bulk."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth.principal import Principal
from dsr.cases import actions
from dsr.cases.action_schemas import BulkIn, BulkItem, BulkOut
from dsr.domain.errors import WorkflowError
from dsr.errors import CONCURRENT_CHANGE, DsrError, workflow_status
from dsr.settings import Settings


async def run_bulk(
    session: AsyncSession,
    settings: Settings,
    body: BulkIn,
    principal: Principal,
    now: datetime,
    versions: Mapping[uuid.UUID, int] | None = None,
) -> BulkOut:
    """`versions`, when given, are the versions the caller saw (the console's check step): a
    case changed since is refused (409), never decided on what the caller did not see."""
    params = body.model_dump(exclude_none=True, exclude={"case_ids", "action"})
    results: list[BulkItem] = []
    for case_id in dict.fromkeys(body.case_ids):  # a case listed twice is acted on once
        try:
            async with session.begin_nested():
                case = await actions.run(
                    session,
                    settings=settings,
                    case_id=case_id,
                    action=body.action,
                    params=dict(params),
                    principal=principal,
                    now=now,
                    expected_version=versions.get(case_id) if versions else None,
                )
            results.append(BulkItem(case_id=case_id, ok=True, status=200, new_status=case.status))
        except DsrError as exc:
            results.append(
                BulkItem(
                    case_id=case_id, ok=False, status=exc.status_code, detail=exc.message
                ).with_error(exc)
            )
        except WorkflowError as exc:
            results.append(
                BulkItem(
                    case_id=case_id, ok=False, status=workflow_status(exc), detail=exc.message
                ).with_error(exc)
            )
        except (StaleDataError, IntegrityError):
            results.append(
                BulkItem(case_id=case_id, ok=False, status=409, detail=CONCURRENT_CHANGE)
            )
    ok = sum(r.ok for r in results)
    return BulkOut(results=results, succeeded=ok, failed=len(results) - ok)
