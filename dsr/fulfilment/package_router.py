"""The requester's download: GET /api/v1/requests/{id}/package?token=… streams the ZIP."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.fulfilment import package, sealed

router = APIRouter(prefix="/api/v1/requests", tags=["requests (public)"])

PackageToken = Annotated[
    str, Query(min_length=1, max_length=200, description="Package token from the e-mail")
]


@router.get(
    "/{request_id}/package",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {}}}, 404: {"description": "No such link"}},
)
async def download_package(
    request_id: uuid.UUID,
    token: PackageToken,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> StreamingResponse:
    """The ZIP, streamed. The download is counted and on the timeline before the first byte is
    sent (the request's transaction commits when this returns)."""
    download = await package.start_download(session, case_id=request_id, token=token, now=utcnow())
    body = sealed.read(request.app.state.sessionmaker, settings=settings, package=download.stored)
    return StreamingResponse(
        body,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{download.filename}"',
            "Content-Length": str(download.stored.size),
            "Cache-Control": "no-store",
        },
    )
