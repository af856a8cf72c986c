"""The Data Rights Protocol 1.0 endpoints under /drp (spec §2; design §4.2). Thin: each reads
the raw text/plain body and hands it to dsr.drp.service. Paths are taken with or without a
trailing slash (the exercise path had one before 0.9.3). Errors are the spec's error objects
(§3.06); a request we cannot trust is 403 with no body."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.drp import service
from dsr.drp.models import DrpAgent
from dsr.drp.signing import BadMessage, Refused
from dsr.http import client_ip
from dsr.settings import Settings

router = APIRouter(prefix="/drp/v1", tags=["data rights protocol"])

AGENT = "/agent/{agent_id}"
REQUESTS = "/data-rights-request"
ONE = "/data-rights-request/{request_id}"


def _both(path: str) -> list[str]:
    return [path, path + "/"]


async def _guard(request: Request, settings: Settings) -> None:
    await request.app.state.rate_limiter.check_drp(client_ip(request))
    if not settings.drp_business_id:
        raise BadMessage("the Data Rights Protocol is not enabled here", status=404)


def _token(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


async def _caller(request: Request, session: SessionDep, settings: Settings) -> DrpAgent:
    await _guard(request, settings)
    return await service.agent_for_token(session, _token(request))


async def pair(
    agent_id: str, request: Request, session: SessionDep, settings: SettingsDep
) -> dict[str, str]:
    """Pair-wise key set-up (§2.05): a signed message for a bearer token."""
    await _guard(request, settings)
    return await service.setup(session, settings, agent_id, await request.body(), utcnow())


async def agent_info(
    agent_id: str, request: Request, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Agent information (§2.06): is the bearer token still good for this agent."""
    agent = await _caller(request, session, settings)
    if agent.id != agent_id:
        raise Refused()
    return {"agent-id": agent.id, "name": agent.name, "status": "enabled"}


async def submit(request: Request, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Data Rights Exercise (§2.01): the answer is the Exercise Status object."""
    agent = await _caller(request, session, settings)
    return await service.exercise(session, settings, agent, await request.body(), utcnow())


async def get_status(
    request_id: str, request: Request, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Data Rights Status (§2.02): 403 for another agent's request."""
    agent = await _caller(request, session, settings)
    return await service.status(session, settings, agent, request_id)


async def revoke(
    request_id: str, request: Request, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Data Rights Revoke (§2.04): the case is withdrawn; the answer is in state `revoked`."""
    agent = await _caller(request, session, settings)
    body = await request.body()
    return await service.revoke(session, settings, agent, request_id, body, utcnow())


for _path in _both(AGENT):
    router.add_api_route(_path, pair, methods=["POST"], include_in_schema=_path == AGENT)
    router.add_api_route(_path, agent_info, methods=["GET"], include_in_schema=_path == AGENT)
for _path in _both(REQUESTS):
    router.add_api_route(_path, submit, methods=["POST"], include_in_schema=_path == REQUESTS)
for _path in _both(ONE):
    router.add_api_route(_path, get_status, methods=["GET"], include_in_schema=_path == ONE)
    router.add_api_route(_path, revoke, methods=["DELETE"], include_in_schema=_path == ONE)


def install_errors(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def refused(_request: Request, _exc: Refused) -> Response:
        return Response(status_code=403)

    @app.exception_handler(BadMessage)
    async def bad_message(_request: Request, exc: BadMessage) -> Response:
        body: dict[str, Any] = {"code": str(exc.status), "message": exc.message}
        if exc.fatal:
            body["fatal"] = True
        return JSONResponse(body, status_code=exc.status)
