"""The registry of authorized agents we accept DRP requests from: admins add an agent's id and
verify key out of band (`dsr agents …`, /console/agents). Disabling an agent stops its tokens at
once; removing is only for an agent with no requests (their history must stay)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.drp.models import AGENT_ID_MAX, DrpAgent, DrpRequest, DrpToken
from dsr.drp.signing import decode_key
from dsr.errors import Conflict, InvalidInput, NotFound

# The directory's ids are [A-Z_]+; ids agents use in the field also carry digits, dots and dashes.
AGENT_ID = re.compile(rf"^[A-Za-z0-9_.:-]{{1,{AGENT_ID_MAX}}}$")


def _check(agent_id: str, verify_key: str, name: str) -> None:
    if not AGENT_ID.match(agent_id):
        raise InvalidInput(f"the agent id must be 1 to {AGENT_ID_MAX} letters, digits or _ . : -")
    try:
        decode_key(verify_key)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if not name.strip() or len(name) > 200 or any(c < " " for c in name):
        raise InvalidInput("the name must be one line of 1 to 200 characters")


async def add(
    session: AsyncSession, *, agent_id: str, verify_key: str, name: str | None, now: datetime
) -> DrpAgent:
    agent_id, verify_key = agent_id.strip(), verify_key.strip()
    name = (name or agent_id).strip()
    _check(agent_id, verify_key, name)
    if await session.get(DrpAgent, agent_id) is not None:
        raise Conflict("an agent with this id is registered already")
    agent = DrpAgent(
        id=agent_id, name=name, verify_key=verify_key, enabled=True, created_at=now, updated_at=now
    )
    session.add(agent)
    await session.flush()
    return agent


async def list_agents(session: AsyncSession) -> list[DrpAgent]:
    return list((await session.exec(select(DrpAgent).order_by(col(DrpAgent.id)))).all())


async def _get(session: AsyncSession, agent_id: str) -> DrpAgent:
    agent = await session.get(DrpAgent, agent_id) if len(agent_id) <= AGENT_ID_MAX else None
    if agent is None:
        raise NotFound("no agent with this id")
    return agent


async def set_enabled(
    session: AsyncSession, agent_id: str, *, enabled: bool, now: datetime
) -> DrpAgent:
    agent = await _get(session, agent_id)
    agent.enabled = enabled
    agent.updated_at = now
    if not enabled:
        # Its tokens end with it: enabling it again means a fresh pair-wise set-up.
        await session.exec(delete(DrpToken).where(col(DrpToken.agent_id) == agent_id))
    await session.flush()
    return agent


async def remove(session: AsyncSession, agent_id: str) -> None:
    agent = await _get(session, agent_id)
    count = (
        await session.exec(
            select(func.count()).select_from(DrpRequest).where(DrpRequest.agent_id == agent_id)
        )
    ).one()
    if count:
        raise Conflict("this agent has sent requests: disable it instead of removing it")
    await session.exec(delete(DrpToken).where(col(DrpToken.agent_id) == agent_id))
    await session.delete(agent)
    await session.flush()
