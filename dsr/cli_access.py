"""`dsr users …` and `dsr tokens …`: staff users and service tokens (README, "Operations")."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from dsr.cli_session import run, with_session
from dsr.domain.vocabulary import Role
from dsr.settings import Settings

MAX_EXPIRY_DAYS = 3650


def add_users(sub: Any) -> None:
    users = sub.add_parser("users", help="staff users").add_subparsers(
        dest="users_command", required=True
    )
    uc = users.add_parser("create", help="create a staff user")
    uc.add_argument("--email", required=True)
    uc.add_argument("--role", required=True, choices=[r.value for r in Role])
    uc.add_argument("--password", help="read from standard input when not given")
    for name, what in (
        ("deactivate", "stop a user's access at once: console session and access tokens"),
        ("reactivate", "let a deactivated user log in again (and clear a lockout)"),
        ("unlock", "clear the failed logins that locked an account"),
        ("reset-mfa", "remove a user's second factor (a lost phone): set up again at next login"),
        ("end-sessions", "log a user out of the console everywhere"),
    ):
        users.add_parser(name, help=what).add_argument("--email", required=True)
    sp = users.add_parser("set-password", help="set a user's password (ends their access tokens)")
    sp.add_argument("--email", required=True)
    sp.add_argument("--password", help="read from standard input when not given")


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        raise argparse.ArgumentTypeError(f"a whole number of days from 1 to {MAX_EXPIRY_DAYS}")
    return days


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
    tc.add_argument(
        "--expires-in-days", type=_days, metavar="N", help="the token stops working after N days"
    )
    tokens.add_parser("list", help="service tokens (never the tokens themselves)")
    tr = tokens.add_parser("revoke", help="revoke a service token: 401 from the next request on")
    tr.add_argument("--name", required=True)


def _password(args: argparse.Namespace) -> str:
    if args.password is not None:
        return str(args.password)
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\n")


def _in_transaction(settings: Settings, fn: Callable[[Any], Awaitable[Any]]) -> tuple[Any, int]:
    """The command's work in one transaction; a DsrError is its message on stderr and exit 1."""
    from dsr.errors import DsrError

    try:
        return run(with_session(settings, fn)), 0
    except DsrError as exc:
        print(f"dsr: {exc.message}", file=sys.stderr)
        return None, 1


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    from dsr.auth import access, lockout, service
    from dsr.db.types import utcnow

    command = args.users_command
    password = _password(args) if command in ("create", "set-password") else ""

    async def work(session: Any) -> str:
        if command == "create":
            return str((await service.create_user(session, args.email, args.role, password)).id)
        if command == "set-password":
            await access.set_password(session, email=args.email, password=password, now=utcnow())
            return "password set"
        if command == "reset-mfa":
            await access.reset_mfa(session, email=args.email, now=utcnow())
            return "second factor reset; the user sets it up again at next login"
        if command == "end-sessions":
            ended = await access.end_sessions(session, email=args.email, now=utcnow())
            return f"ended {ended} session{'s' if ended != 1 else ''}"
        if command == "unlock":
            await access.get_user(session, email=args.email)  # an unknown address: exit 1
            cleared = await lockout.unlock(session, email=args.email, settings=settings)
            return "unlocked" if cleared else "not locked"
        active = command == "reactivate"
        await access.set_active(session, email=args.email, active=active, now=utcnow())
        if active:
            await lockout.unlock(session, email=args.email, settings=settings)
        return "reactivated" if active else "deactivated"

    out, code = _in_transaction(settings, work)
    if code == 0:
        print(f"created {args.role} {out}" if command == "create" else out)
    return code


def cmd_tokens(args: argparse.Namespace, settings: Settings) -> int:
    import dsr.db.models  # noqa: F401  every table, so api_token's foreign keys resolve

    handler = {"create": _create_token, "list": _list_tokens, "revoke": _revoke_token}
    return handler[args.tokens_command](args, settings)


def _create_token(args: argparse.Namespace, settings: Settings) -> int:
    from dsr.auth import service
    from dsr.db.types import utcnow

    days = args.expires_in_days
    expires_at = utcnow() + timedelta(days=days) if days else None

    async def create(session: Any) -> str:
        system_id = None
        if args.data_system is not None:
            from dsr.cases.data_systems import system_by_name

            system_id = (await system_by_name(session, args.data_system)).id
        return await service.create_service_token(
            session, args.name, args.scopes, data_system_id=system_id, expires_at=expires_at
        )

    token, code = _in_transaction(settings, create)
    if code:
        return code
    bound = f" for the data system {args.data_system!r}" if args.data_system else ""
    scopes = ", ".join(sorted(set(args.scopes)))
    until = f", expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else ""
    print(f"token {args.name!r} with scopes {scopes}{bound}{until} (shown once):")
    print(token)
    return 0


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value is not None else "-"


def _list_tokens(_args: argparse.Namespace, settings: Settings) -> int:
    from dsr.auth import access
    from dsr.db.types import utcnow

    tokens, code = _in_transaction(settings, access.list_service_tokens)
    if code:
        return code
    now = utcnow()
    rows = [("NAME", "SCOPES", "DATA SYSTEM", "CREATED", "EXPIRES", "REVOKED", "STATE")]
    rows += [
        (t.name, ",".join(t.scopes), t.data_system or "-", _when(t.created_at),
         _when(t.expires_at), _when(t.revoked_at), t.state(now))
        for t in tokens
    ]  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    return 0


def _revoke_token(args: argparse.Namespace, settings: Settings) -> int:
    from dsr.auth import access
    from dsr.db.types import utcnow

    async def revoke(session: Any) -> int:
        return await access.revoke_service_tokens(session, name=args.name, now=utcnow())

    count, code = _in_transaction(settings, revoke)
    if code == 0:
        print(f"revoked {count} token{'s' if count != 1 else ''} named {args.name!r}")
    return code
