"""`dsr report metrics --year YYYY [--format json|csv|markdown]` (design §4.3)."""

from __future__ import annotations

import argparse
from typing import Any

from dsr.cli_session import run, with_session
from dsr.settings import Settings

FORMATS = ("json", "csv", "markdown")


def _year(value: str) -> int:
    from dsr.reports.metrics import FIRST_YEAR, LAST_YEAR

    try:
        year = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year: {value!r}") from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"year must be {FIRST_YEAR} to {LAST_YEAR}")
    return year


def add_report(sub: Any) -> None:
    report = sub.add_parser("report", help="reports").add_subparsers(
        dest="report_command", required=True
    )
    m = report.add_parser("metrics", help="request metrics of a calendar year (CCPA 7102 style)")
    m.add_argument("--year", required=True, type=_year)
    m.add_argument("--format", choices=FORMATS, default="json")


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from dsr.reports import formats, metrics

    async def fetch(session: Any) -> metrics.Metrics:
        return await metrics.yearly(session, settings=settings, year=args.year)

    result: metrics.Metrics = run(with_session(settings, fetch))
    if args.format == "csv":
        print(formats.as_csv(result), end="")
    elif args.format == "markdown":
        print(formats.as_markdown(result), end="")
    else:
        print(result.model_dump_json(indent=2))
    return 0
