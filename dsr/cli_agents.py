"""`dsr agents …`: the registry of Data Rights Protocol agents (README, "Data Rights
Protocol")."""

from __future__ import annotations

import argparse
from typing import Any

from dsr.cli_access import _in_transaction
from dsr.settings import Settings


def add_agents(sub: Any) -> None:
    agents = sub.add_parser("agents", help="authorized agents of the Data Rights Protocol")
    cmds = agents.add_subparsers(dest="agents_command", required=True)
    a = cmds.add_parser("add", help="register an agent and its Ed25519 verify key")
    a.add_argument("--id", required=True, dest="agent_id", help="the agent's DRP id")
    a.add_argument("--verify-key", required=True, help="base64 of the 32-byte public key")
    a.add_argument("--name", help="the name staff and consumers see (default: the id)")
    cmds.add_parser("list", help="registered agents")
    for name, what in (
        ("remove", "remove an agent that has sent no requests"),
        ("disable", "stop accepting an agent's requests (its tokens end)"),
        ("enable", "accept an agent's requests again (after a new pair-wise set-up)"),
    ):
        cmds.add_parser(name, help=what).add_argument("--id", required=True, dest="agent_id")


def cmd_agents(args: argparse.Namespace, settings: Settings) -> int:
    from dsr.db.types import utcnow
    from dsr.drp import registry

    command = args.agents_command

    async def work(session: Any) -> str:
        if command == "add":
            agent = await registry.add(
                session,
                agent_id=args.agent_id,
                verify_key=args.verify_key,
                name=args.name,
                now=utcnow(),
            )
            return f"added agent {agent.id} ({agent.name})"
        if command == "list":
            rows = await registry.list_agents(session)
            lines = [f"{a.id}\t{'enabled' if a.enabled else 'disabled'}\t{a.name}" for a in rows]
            return "\n".join(lines) or "no agents registered"
        if command == "remove":
            await registry.remove(session, args.agent_id)
            return f"removed agent {args.agent_id}"
        enabled = command == "enable"
        await registry.set_enabled(session, args.agent_id, enabled=enabled, now=utcnow())
        return f"{'enabled' if enabled else 'disabled'} agent {args.agent_id}"

    out, code = _in_transaction(settings, work)
    if code == 0:
        print(out)
    return code
