"""The admin's Data Rights Protocol agents page: the registry of authorized agents (list, add,
disable, enable). The same service as `dsr agents` (dsr.drp.registry)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dsr.auth.principal import Principal
from dsr.db.types import utcnow
from dsr.deps import SessionDep
from dsr.domain.workflow import Role
from dsr.drp import registry
from dsr.drp.models import AGENT_ID_MAX
from dsr.errors import DsrError
from dsr.web.console.render import flash, page
from dsr.web.console.session import ConsoleUser, FormUser, require
from dsr.web.forms import FormModel

router = APIRouter()
PAGE = "/console/agents"
AgentId = Annotated[str, Path(max_length=AGENT_ID_MAX)]


class AgentForm(FormModel):
    agent_id: str = ""
    verify_key: str = ""
    name: str = ""


def _is_admin(principal: Principal) -> bool:
    return principal.role is Role.ADMIN


async def _page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    settings = request.app.state.settings
    return page(
        request,
        "agents.html",
        {
            "nav": "agents",
            "agents": await registry.list_agents(session),
            "business_id": settings.drp_business_id,
            "values": values or {},
            "error": error,
        },
        principal,
        status=status,
    )


@router.get("/agents", response_class=HTMLResponse)
async def agents_page(
    request: Request, principal: ConsoleUser, session: SessionDep
) -> HTMLResponse:
    require(_is_admin(principal), "manage DRP agents")
    return await _page(request, session, principal)


@router.post("/agents", response_class=HTMLResponse)
async def add_agent(
    request: Request,
    principal: FormUser,
    session: SessionDep,
    form: Annotated[AgentForm, Form()],
) -> Response:
    require(_is_admin(principal), "manage DRP agents")
    values = form.model_dump()
    try:
        async with session.begin_nested():
            agent = await registry.add(
                session,
                agent_id=form.agent_id,
                verify_key=form.verify_key,
                name=form.name or None,
                now=utcnow(),
            )
    except DsrError as exc:
        return await _page(request, session, principal, values, exc.message, exc.status_code)
    flash(request, f"The agent {agent.id} was added.")
    return RedirectResponse(PAGE, status_code=303)


async def _set(
    request: Request, principal: Principal, session: SessionDep, agent_id: str, enabled: bool
) -> Response:
    require(_is_admin(principal), "manage DRP agents")
    await registry.set_enabled(session, agent_id, enabled=enabled, now=utcnow())
    flash(request, f"The agent {agent_id} was {'enabled' if enabled else 'disabled'}.")
    return RedirectResponse(PAGE, status_code=303)


@router.post("/agents/{agent_id}/disable", response_class=HTMLResponse)
async def disable_agent(
    agent_id: AgentId, request: Request, principal: FormUser, session: SessionDep
) -> Response:
    return await _set(request, principal, session, agent_id, enabled=False)


@router.post("/agents/{agent_id}/enable", response_class=HTMLResponse)
async def enable_agent(
    agent_id: AgentId, request: Request, principal: FormUser, session: SessionDep
) -> Response:
    return await _set(request, principal, session, agent_id, enabled=True)
