"""Reports at 1,000,000 cases on PostgreSQL (issue 13, part 5): the yearly metrics, the
dashboard and the request log.

    .venv/bin/python -m bench.reports [--cases 1000000] [--repeat 5] [--keep DB] [--reuse DB]

1. Builds the cases as bench/case_queue.py does (a throw-away database, migrated, loaded with
   COPY: three years of receipts with a realistic spread of types, statuses, jurisdictions and
   deadlines), files an appeal for every case whose refusal was appealed (and a few overturned
   ones), and vacuums, as autovacuum would after a bulk load.
2. Times, in a session of the service's own kind, `dsr.reports.metrics.yearly` for last year
   and this year, `dsr.reports.dashboard.build` (the page: every part) for the default 12 weeks,
   for a year, and for one jurisdiction, one chart's part for a year, and streams a year of
   the request log CSV.

Aim (issue 13): under 2 s each for the metrics of a year and the dashboard. Prints figures
(best and median of --repeat runs); asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench._common import (
    SECRET,
    asyncpg_dsn,
    create_pg_database,
    database_url,
    drop_pg_database,
    machine,
)
from bench.case_queue import seed
from dsr.db.engine import make_engine, make_sessionmaker
from dsr.reports import dashboard, metrics, request_log
from dsr.settings import Settings

AIM_S = 2.0


async def file_appeals(url: str) -> int:
    """An appeal for each case whose refusal was appealed (the queue bench writes none)."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        status = await conn.execute(
            "INSERT INTO appeal (id, case_id, status, statutory, reason, received_at, "
            "received_date, respond_by, original_respond_by, extended, version, created_at, "
            "updated_at, decided_at) "
            "SELECT gen_random_uuid(), id, CASE WHEN status = 'appeal_upheld' THEN "
            "'appeal_upheld' ELSE 'overturned' END, true, 'bench', decided_at + interval '5 days', "
            "received_date + 10, received_date + 70, received_date + 70, false, 1, now(), now(), "
            "decided_at + interval '20 days' FROM case_record "
            "WHERE status = 'appeal_upheld' OR (status = 'fulfilled' AND random() < 0.005)"
        )
        # As autovacuum would soon after a bulk load: the visibility map lets the reports'
        # covering indexes answer without reading the table (index-only scans).
        await conn.execute("VACUUM (ANALYZE) case_record")
        await conn.execute("VACUUM (ANALYZE) appeal")
        return int(status.split()[-1])
    finally:
        await conn.close()


async def timed(
    settings: Settings, label: str, repeat: int, work: Callable[[Any], Awaitable[Any]]
) -> dict[str, Any]:
    engine = make_engine(settings)
    factory = make_sessionmaker(engine)
    runs: list[float] = []
    try:
        for _ in range(repeat):
            async with factory() as session, session.begin():
                t0 = time.perf_counter()
                await work(session)
                runs.append(time.perf_counter() - t0)
    finally:
        await engine.dispose()
    best, mid = min(runs), statistics.median(runs)
    flag = "ok" if mid < AIM_S else f"OVER {AIM_S:.0f} s"
    print(f"  {label:<52} best {best:6.3f} s  median {mid:6.3f} s  [{flag}]")
    return {"label": label, "best_s": round(best, 3), "median_s": round(mid, 3)}


async def stream_log(settings: Settings, start: date, end: date) -> tuple[int, float]:
    engine = make_engine(settings)
    t0 = time.perf_counter()
    size = lines = 0
    try:
        body = request_log.stream_csv(
            make_sessionmaker(engine),
            settings=settings,
            start=start,
            end=end,
            include_contact=False,
            turn=asyncio.Lock(),
        )
        async for chunk in body:
            size += len(chunk)
            lines += chunk.count(b"\n")
    finally:
        await engine.dispose()
    took = time.perf_counter() - t0
    print(
        f"  request log CSV, {start} to {end}: {lines - 1:,} rows, {size / 1e6:.1f} MB in "
        f"{took:.1f} s ({(lines - 1) / took:,.0f} rows/s)"
    )
    return lines - 1, took


async def measure(settings: Settings, repeat: int) -> list[dict[str, Any]]:
    today = datetime.now(UTC).date()
    twelve = dashboard.default_period(today)
    year_ago = today - timedelta(days=364)
    out = []
    for year in (today.year - 1, today.year):
        out.append(await timed(
            settings, f"metrics for {year}", repeat,
            lambda s, y=year: metrics.yearly(s, settings=settings, year=y),
        ))  # fmt: skip
    views = [
        ("dashboard, 12 weeks, all jurisdictions", dashboard.Period(*twelve, None), dashboard.PARTS),
        ("dashboard, 12 weeks, US-CA", dashboard.Period(*twelve, "US-CA"), dashboard.PARTS),
        ("dashboard, 1 year, all jurisdictions", dashboard.Period(year_ago, today, None), dashboard.PARTS),
        ("one chart (days to close), 1 year", dashboard.Period(year_ago, today, None), frozenset({"closing"})),
    ]  # fmt: skip
    for label, period, parts in views:
        out.append(await timed(
            settings, label, repeat,
            lambda s, p=period, parts=parts: dashboard.build(
                s, settings=settings, period=p, today=today, parts=parts
            ),
        ))  # fmt: skip
    await stream_log(settings, date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", metavar="DBNAME", help="keep the database under this name")
    parser.add_argument("--reuse", metavar="DBNAME", help="skip seeding: use a kept database")
    args = parser.parse_args()

    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.1f}")
    var_dir = Path(tempfile.mkdtemp(prefix="dsr-bench-reports-"))
    if args.reuse:
        name, url = args.reuse, database_url(args.reuse)
    else:
        name = args.keep or f"dsr_bench_reports_{os.getpid()}"
        url = asyncio.run(create_pg_database(name))
    settings = Settings(database_url=url, secret_key=SECRET, var_dir=var_dir)
    print(f"database {name}")
    try:
        if not args.reuse:
            seed(url, settings, args.cases)
            print(f"filed {asyncio.run(file_appeals(url)):,} appeals")
        print(f"reports over {args.cases:,} cases:")
        asyncio.run(measure(settings, args.repeat))
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        if not (args.keep or args.reuse):
            asyncio.run(drop_pg_database(name))
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
