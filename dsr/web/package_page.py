"""The requester's download page: what their copy holds, until when, how many downloads are left,
and the button that downloads it. Showing the page counts no download, so a mail scanner that
follows the link spends nothing."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from dsr.db.types import utcnow
from dsr.deps import SessionDep
from dsr.fulfilment import package
from dsr.web.choices import TYPE_LABELS
from dsr.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/requests/{case_id}/package", response_class=HTMLResponse)
async def package_page(
    request: Request,
    case_id: uuid.UUID,
    token: Annotated[str, Query(min_length=1, max_length=200)],
    session: SessionDep,
) -> HTMLResponse:
    view = await package.describe(session, case_id=case_id, token=token, now=utcnow())
    return templates.TemplateResponse(
        request,
        "public/package.html",
        {
            "view": view,
            "type_label": TYPE_LABELS.get(view.case.type, view.case.type),
            "download_url": f"/api/v1/requests/{case_id}/package?token={token}",
        },
    )
