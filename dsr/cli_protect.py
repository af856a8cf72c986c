"""`dsr keys rotate` and `dsr retention run [--dry-run]` (README, "Protecting the data dsr holds")."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from dsr.cli_session import run as _run
from dsr.settings import Settings


def add_protect(sub: Any) -> None:
    keys = sub.add_parser("keys", help="encryption keys").add_subparsers(
        dest="keys_command", required=True
    )
    keys.add_parser(
        "rotate",
        help="re-encrypt every sealed value with the first DSR_ENCRYPTION_KEYS key (resumable)",
    )
    retention = sub.add_parser("retention", help="retention of closed cases").add_subparsers(
        dest="retention_command", required=True
    )
    run = retention.add_parser(
        "run", help="redact closed cases past DSR_RETENTION_DAYS; purge delivered e-mails"
    )
    run.add_argument("--dry-run", action="store_true", help="count what would be done only")


def _bar(table: str, done: int, total: int) -> None:
    """A progress bar on stderr (stdout keeps the machine-readable counts)."""
    width = 30
    filled = width if total == 0 else min(width, width * done // total)
    end = "\n" if done >= total else ""
    bar = "#" * filled + "." * (width - filled)
    print(f"\r{table:<22} [{bar}] {done}/{total}", end=end, file=sys.stderr, flush=True)


def cmd_keys(_args: argparse.Namespace, settings: Settings) -> int:
    from dsr.db.engine import make_engine
    from dsr.db.rotate import rotate

    async def go() -> Any:
        engine = make_engine(settings)
        try:
            return await rotate(engine, settings.keyring, progress=_bar)
        finally:
            await engine.dispose()

    report = _run(go())
    print(json.dumps(report.as_dict(), indent=2))
    if report.unreadable:
        print(
            "dsr: some values could not be decrypted with the configured keys (see unreadable);"
            " keep every old key in DSR_ENCRYPTION_KEYS until they are found",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_retention(args: argparse.Namespace, settings: Settings) -> int:
    from dsr.db.engine import make_engine, make_sessionmaker
    from dsr.retention.service import run

    async def go() -> Any:
        engine = make_engine(settings)
        try:
            now = datetime.now(UTC)
            return await run(make_sessionmaker(engine), settings, now, dry_run=args.dry_run)
        finally:
            await engine.dispose()

    report = _run(go())
    verb = "would be" if args.dry_run else "were"
    counts = report.as_dict()
    print(
        f"retention ({settings.retention_days} days after closing): "
        + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items())
        + f" {verb} processed"
    )
    print(json.dumps({"dry_run": args.dry_run, **counts}))
    return 0
