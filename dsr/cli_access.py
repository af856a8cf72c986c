"""`dsr users …` and `dsr tokens …`: staff users and service tokens (README, "Operations")."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from dsr.cli_session import run, with_session
from dsr.domain.vocabulary import Role
from dsr.settings import Settings


def add_users(sub: Any) -> None:
    users = sub.add_parser("users", help="staff users").add_subparsers(
        dest="users_command", required=True
    )
    uc = users.add_parser("create", help="create a staff user")
    uc.add_argument("--email", required=True)
    uc.add_argument("--role", required=True, choices=[r.value for r in Role])
    uc.add_argument("--password", help="read from standard input when not given")


def add_tokens(sub: Any) -> None:
    tokens = sub.add_parser("tokens", help="API tokens").add_subparsers(
        dest="tokens_command", required=True
    )
    tc = tokens.add_parser("create", help="create a service token (printed once)")
    tc.add_argument("--name", required=True)
    tc.add_argument("--scope", action="append", required=True, dest="scopes")
    tc.add_argument(
        "--data-system",
        metavar="NAME",
        help="bind the token to this data system: it reaches that system's tasks only",
    )


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    from dsr.auth import service
    from dsr.errors import DsrError

    password = args.password
    if password is None:
        password = (
            getpass.getpass("Password: ")
            if sys.stdin.isatty()
            else sys.stdin.readline().rstrip("\n")
        )

    async def create(session: Any) -> str:
        user = await service.create_user(session, args.email, args.role, password)
        return str(user.id)

    try:
        user_id = run(with_session(settings, create))
    except DsrError as exc:
        print(f"dsr: {exc.message}", file=sys.stderr)
        return 1
    print(f"created {args.role} {user_id}")
    return 0


def cmd_tokens(args: argparse.Namespace, settings: Settings) -> int:
    import dsr.db.models  # noqa: F401  every table, so api_token's foreign keys resolve
    from dsr.auth import service
    from dsr.errors import DsrError

    async def create(session: Any) -> str:
        system_id = None
        if args.data_system is not None:
            from dsr.cases.data_systems import system_by_name

            system_id = (await system_by_name(session, args.data_system)).id
        return await service.create_service_token(
            session, args.name, args.scopes, data_system_id=system_id
        )

    try:
        token = run(with_session(settings, create))
    except DsrError as exc:
        print(f"dsr: {exc.message}", file=sys.stderr)
        return 1
    bound = f" for the data system {args.data_system!r}" if args.data_system else ""
    scopes = ", ".join(sorted(set(args.scopes)))
    print(f"token {args.name!r} with scopes {scopes}{bound} (shown once):")
    print(token)
    return 0
