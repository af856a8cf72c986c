"""The `dsr` command (README)."""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import sys
from datetime import date
from typing import Any

from dsr.cli_access import add_tokens, add_users, cmd_tokens, cmd_users
from dsr.cli_agents import add_agents, cmd_agents
from dsr.cli_protect import add_protect, cmd_keys, cmd_retention
from dsr.cli_reports import add_report, cmd_report
from dsr.cli_session import run as _run
from dsr.cli_session import with_session as _with_session
from dsr.domain.vocabulary import RequestType, Role
from dsr.settings import Settings


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dsr", description="Data-subject-rights request service")
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate the database if needed and serve HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--no-worker", action="store_true", help="do not run the notification worker here"
    )
    serve.add_argument("--workers", type=int, default=1, help="API processes (PostgreSQL only)")

    sub.add_parser("worker", help="run the notification worker and sweep alone")

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply Alembic migrations")

    add_users(sub)
    add_tokens(sub)
    add_protect(sub)
    add_report(sub)
    add_agents(sub)

    dl = sub.add_parser("deadlines", help="compute legal deadlines").add_subparsers(
        dest="dl_command", required=True
    )
    dr = dl.add_parser("request", help="deadlines of a request")
    dr.add_argument("--jurisdiction", required=True)
    dr.add_argument(
        "--type",
        required=True,
        choices=[t.value for t in RequestType],
    )
    dr.add_argument("--received", required=True, type=_date)
    dl.add_parser(
        "policies", help="the policies in force (with overrides), and their unconfirmed facts"
    )
    da = dl.add_parser("appeal", help="deadlines of an appeal")
    da.add_argument("--jurisdiction", required=True)
    da.add_argument("--received", required=True, type=_date)

    audit = sub.add_parser("audit", help="audit trail").add_subparsers(
        dest="audit_command", required=True
    )
    audit.add_parser("verify", help="check the event hash chains; non-zero exit on any break")
    return p


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        settings = Settings()
    except Exception as exc:
        sys.exit(f"dsr: configuration error: {exc}")
    handler = {
        "serve": cmd_serve,
        "worker": cmd_worker,
        "db": cmd_db,
        "users": cmd_users,
        "tokens": cmd_tokens,
        "deadlines": cmd_deadlines,
        "audit": cmd_audit,
        "keys": cmd_keys,
        "retention": cmd_retention,
        "report": cmd_report,
        "agents": cmd_agents,
    }[args.command]
    code = handler(args, settings)
    sys.exit(code or 0)


async def _upgrade(settings: Settings) -> None:
    from dsr.db.engine import make_engine
    from dsr.db.migrate import upgrade

    engine = make_engine(settings)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def cmd_db(_args: argparse.Namespace, settings: Settings) -> int:
    _run(_upgrade(settings))
    print("database is up to date")
    return 0


def _compile_catalogues() -> None:
    """The requester languages' .mo files, built from the .po files when missing or older
    (README, "Languages"): `pip install -e . && dsr serve` needs no separate step."""
    from dsr.i18n.catalogues import compile_catalogues

    try:
        written = compile_catalogues()
    except OSError as exc:  # a read-only install: the .po files are read at run time instead
        print(f"dsr: message catalogues not compiled ({type(exc).__name__})", flush=True)
        return
    if written:
        print(f"dsr: compiled {len(written)} message catalogue(s)", flush=True)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from dsr.main import create_app

    _run(_upgrade(settings))
    _run(_bootstrap_admin(settings))
    _compile_catalogues()
    print(f"dsr: serving on http://{args.host}:{args.port}  (staff console: /console)", flush=True)
    # X-Forwarded-For is believed from DSR_TRUSTED_PROXIES only. uvicorn's own default trusts it
    # from loopback, so anyone on the machine or behind a local tunnel could choose the address
    # the rate limits count them under (issue 12, defect 5).
    proxies: dict[str, Any] = {
        "proxy_headers": bool(settings.trusted_proxy_list),
        "forwarded_allow_ips": settings.trusted_proxy_list or [],
    }
    if args.workers > 1:
        if settings.is_sqlite:
            sys.exit("dsr: --workers > 1 needs PostgreSQL (SQLite has one writer)")
        uvicorn.run(
            "dsr.main:create_app_from_env" if args.no_worker else "dsr.main:create_app_with_worker",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="warning",
            **proxies,
        )
        return 0
    app = create_app(settings, run_worker=not args.no_worker)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", access_log=False, **proxies)
    return 0


async def _bootstrap_admin(settings: Settings) -> None:
    """A fresh database gets one admin, so a local trial can log in to the console."""
    from dsr.auth import repository, service

    async def create(session: Any) -> None:
        if await repository.count_users(session) > 0:
            return
        password = secrets.token_urlsafe(12)
        await service.create_user(session, "admin@example.com", Role.ADMIN, password)
        print(
            "dsr: no staff users yet, so one admin was created (shown once):\n"
            f"     e-mail admin@example.com  password {password}\n"
            "     log in at /console/login; add users with `dsr users create`",
            flush=True,
        )

    await _with_session(settings, create)


def cmd_worker(_args: argparse.Namespace, settings: Settings) -> int:
    from dsr.worker import run_worker

    _run(run_worker(settings))
    return 0


def cmd_deadlines(args: argparse.Namespace, settings: Settings) -> int:
    from dsr.cases.deadlines import compute, compute_appeal, policy_for

    if args.dl_command == "policies":
        from dsr.cases.deadlines import policies, policy_snapshot

        print(
            json.dumps(
                {code: policy_snapshot(p) for code, p in policies(settings).items()}, indent=2
            )
        )
        return 0
    policy, known = policy_for(settings, args.jurisdiction, getattr(args, "type", None))
    out: dict[str, Any]
    if args.dl_command == "request":
        d = compute(policy, args.received)
        out = {
            "acknowledge_by": d.acknowledge_by,
            "respond_by": d.respond_by,
            "extended_respond_by": d.extended_respond_by,
            "extension_notice_by": d.extension_notice_by,
        }
    else:
        a = compute_appeal(policy, args.received, settings)
        out = {
            "acknowledge_by": None,
            "respond_by": a.respond_by,
            "extended_respond_by": a.extended_respond_by,
        }
    out["jurisdiction"] = policy.code
    out["jurisdiction_known"] = known
    print(
        json.dumps(
            {k: v.isoformat() if isinstance(v, date) else v for k, v in out.items()}, indent=2
        )
    )
    return 0


def cmd_audit(_args: argparse.Namespace, settings: Settings) -> int:
    from dsr.audit import verify_all
    from dsr.db.engine import make_engine

    async def run() -> Any:
        engine = make_engine(settings)
        try:
            return await verify_all(engine)
        finally:
            await engine.dispose()

    result = _run(run())
    if result.ok:
        print(f"audit trail intact: {result.events} events in {result.cases} case timelines")
        return 0
    print(
        f"audit trail BROKEN at case {result.broken_case}, event {result.broken_seq}: {result.problem}",
        file=sys.stderr,
    )
    return 1
