"""Training eligibility at 1,000,000 subjects over HTTP (issue 5, "Measured").

    .venv/bin/python -m bench.eligibility [--backend postgresql|sqlite|both]
        [--subjects N] [--sqlite-subjects N] [--batches N] [--concurrency N] [--keep]

For each backend:
1. A fresh database (PostgreSQL: a throw-away database next to DSR_BENCH_POSTGRES_URL, default
   the machine's `test` database; SQLite: a temporary file) and a live `dsr serve --no-worker`
   on a free port; tokens from `dsr tokens create`.
2. Load through POST /api/v1/consents in calls of 10,000 records: one grant per subject
   (half `account:<n>`, half `email_sha256:<hex>`), then a withdrawal for every tenth subject
   (a second, later record: a history). The request bodies are built before the clock starts,
   so the client's JSON encoding is not counted against the server.
3. PostgreSQL: VACUUM (ANALYZE) of the ledger, as autovacuum would soon after a bulk load.
   Exclusions: 1,000 deletion requests entered as staff would (identity verified) through the
   case service, which excludes each request's two keys as it opens it: 2,000 excluded keys.
4. Ask POST /api/v1/training/eligibility in batches of 10,000 keys (90% known, 10% unknown,
   shuffled): "now", then `as_of` a time before the withdrawals (so the history is read).

Prints load time and records/s, keys/s, p50/p99 per batch, CPU time per batch of the server and
of this client (from /proc; PostgreSQL has the rest of the two cores), and the server's resident
memory (VmRSS now, VmHWM peak) from /proc. Aim (issue 5): >= 200,000 keys/s now, >= 100,000 as_of,
1,000,000 records loaded in < 60 s, server < 500 MB. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from bench._common import (
    SECRET,
    Server,
    asyncpg_dsn,
    create_pg_database,
    drop_pg_database,
    machine,
    pct,
)

BATCH = 10_000
T0 = datetime(2026, 1, 1, tzinfo=UTC)
EXCLUDED_CASES = 1_000


def subject(i: int) -> str:
    if i % 2:
        return f"account:{i}"
    return "email_sha256:" + hashlib.sha256(f"person{i}@example.org".encode()).hexdigest()


# --- load -------------------------------------------------------------------------------------


def consent_bodies(n: int) -> tuple[list[bytes], list[bytes]]:
    """Request bodies of up to 10,000 records: a grant per subject, then (in bodies of their own,
    so that they arrive after every grant) a withdrawal for every tenth."""
    grants: list[dict[str, Any]] = []
    withdrawals: list[dict[str, Any]] = []
    for i in range(n):
        at = T0 + timedelta(seconds=i % 86_400)
        grants.append(
            {
                "subject": subject(i),
                "category": "prompts",
                "purpose": "base_model_training",
                "granted": True,
                "recorded_at": at.isoformat(),
                "source": "signup",
            }
        )
    for i in range(0, n, 10):
        withdrawals.append(
            {
                "subject": subject(i),
                "category": "prompts",
                "purpose": "base_model_training",
                "granted": False,
                "recorded_at": (T0 + timedelta(days=30)).isoformat(),
                "source": "settings",
            }
        )
    return _batches(grants), _batches(withdrawals)


def _batches(records: list[dict[str, Any]]) -> list[bytes]:
    return [
        orjson.dumps({"records": records[i : i + BATCH]}) for i in range(0, len(records), BATCH)
    ]


async def post_all(
    client: httpx.AsyncClient, path: str, bodies: list[bytes], concurrency: int
) -> list[tuple[float, httpx.Response]]:
    queue = list(enumerate(bodies))
    results: list[tuple[float, httpx.Response] | None] = [None] * len(bodies)

    async def worker() -> None:
        while queue:
            i, body = queue.pop(0)
            t0 = time.perf_counter()
            r = await client.post(path, content=body, headers={"content-type": "application/json"})
            results[i] = ((time.perf_counter() - t0) * 1000, r)
            if r.status_code >= 300:
                raise SystemExit(f"{path}: HTTP {r.status_code}: {r.text[:500]}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return [r for r in results if r is not None]


async def exclude(url: str, n_cases: int, first_subject: int) -> float:
    """Deletion requests entered by staff with identity verified: opening one excludes its keys
    (dsr/cases/effects.py)."""
    from dsr.cases import intake
    from dsr.cases.schemas import RequestIn
    from dsr.db.engine import make_engine, make_sessionmaker
    from dsr.db.types import utcnow
    from dsr.settings import Settings

    settings = Settings(database_url=url, secret_key=SECRET)
    engine = make_engine(settings)
    factory = make_sessionmaker(engine)
    t0 = time.perf_counter()
    try:
        for k in range(n_cases):
            i = first_subject + 2 * k + 1  # an account:<odd> subject ...
            body = RequestIn(
                type="deletion",
                jurisdiction="DE",
                email=f"person{i - 1}@example.org",  # ... and the e-mail key of its neighbour
                full_name="Bench Person",
                account_id=str(i),
            )
            async with factory() as session, session.begin():
                now = utcnow()
                await intake.submit(
                    session=session, settings=settings, data=body, now=now, identity_verified=True
                )
    finally:
        await engine.dispose()
    return time.perf_counter() - t0


async def vacuum(url: str) -> float:
    """What autovacuum does within a minute or so of a bulk load (sets the visibility map, so
    probes are index-only, and gathers statistics); done here so every run measures the same."""
    t0 = time.perf_counter()
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for table in ("consent_record", "training_change"):
            await conn.execute(f"VACUUM (ANALYZE) {table}")
    finally:
        await conn.close()
    return time.perf_counter() - t0


# --- questions --------------------------------------------------------------------------------


def question_bodies(n_subjects: int, batches: int, as_of: str | None, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    bodies = []
    for _ in range(batches):
        known = [subject(rng.randrange(n_subjects)) for _ in range(BATCH * 9 // 10)]
        unknown = [subject(n_subjects + rng.randrange(n_subjects)) for _ in range(BATCH // 10)]
        keys = known + unknown
        rng.shuffle(keys)
        body: dict[str, Any] = {
            "purpose": "base_model_training",
            "category": "prompts",
            "subjects": keys,
        }
        if as_of:
            body["as_of"] = as_of
        bodies.append(orjson.dumps(body))
    return bodies


def summarise(
    label: str, timed: list[tuple[float, httpx.Response]], wall: float, cpu: tuple[float, float]
) -> None:
    ms = [t for t, _ in timed]
    keys = BATCH * len(timed)
    reasons: dict[str, int] = {}
    for _, r in timed[:3]:
        for x in r.json()["results"]:
            reasons[x["reason"]] = reasons.get(x["reason"], 0) + 1
    print(
        f"  {label:<8} {keys:>9,} keys in {wall:6.2f} s = {keys / wall:>9,.0f} keys/s   "
        f"per batch p50 {statistics.median(ms):6.1f} ms  p99 {pct(ms, 0.99):6.1f} ms   "
        f"(first 3 batches: {', '.join(f'{k} {v}' for k, v in sorted(reasons.items()))})"
    )
    # Where the two cores went (the rest is PostgreSQL and the kernel): what to optimise next.
    server, client = (1000 * c / len(timed) for c in cpu)
    print(f"           CPU per batch: server {server:.1f} ms, bench client {client:.1f} ms")


async def run_backend(backend: str, n: int, batches: int, concurrency: int, keep: bool) -> None:
    from dsr.db.engine import make_engine
    from dsr.db.migrate import upgrade
    from dsr.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix=f"dsr-bench-{backend}-"))
    pg_name = None
    if backend == "postgresql":
        pg_name = f"dsr_bench_elig_{os.getpid()}"
        url = await create_pg_database(pg_name)
    else:
        url = f"sqlite+aiosqlite:///{tmp / 'dsr.sqlite3'}"
    print(f"\n== {backend}: {n:,} subjects ({url.rsplit('/', 1)[-1]})")
    engine = make_engine(Settings(database_url=url, secret_key=SECRET))
    await upgrade(engine)
    await engine.dispose()
    server = Server(url, tmp)
    try:
        server.start()
        writer = server.token("consent:write")
        reader = server.token("training:read")
        grant_bodies, withdrawal_bodies = consent_bodies(n)
        n_records = n + len(range(0, n, 10))
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=server.base, timeout=600, limits=limits) as client:
            client.headers["Authorization"] = f"Bearer {writer}"
            t0 = time.perf_counter()
            timed = await post_all(client, "/api/v1/consents", grant_bodies, concurrency)
            t_grants = time.perf_counter() - t0
            before_withdrawals = datetime.now(UTC).isoformat()
            await asyncio.sleep(0.01)
            t1 = time.perf_counter()
            timed += await post_all(client, "/api/v1/consents", withdrawal_bodies, concurrency)
            t_load = time.perf_counter() - t0
            ms = [t for t, _ in timed]
            print(
                f"  load     {n_records:>9,} records in {t_load:6.2f} s = "
                f"{n_records / t_load:>9,.0f} records/s   ({n:,} grants in {t_grants:.2f} s, "
                f"{n_records - n:,} withdrawals in {time.perf_counter() - t1:.2f} s; per call "
                f"p50 {statistics.median(ms):.0f} ms p99 {pct(ms, 0.99):.0f} ms)"
            )
            rss, hwm = server.memory_mb()
            print(f"  server   after load: RSS {rss:.0f} MB, peak {hwm:.0f} MB")

            if backend == "postgresql":
                seconds = await vacuum(url)
                print(
                    f"  vacuum   VACUUM (ANALYZE) of the ledger after the bulk load: {seconds:.1f} s"
                )
            seconds = await exclude(url, EXCLUDED_CASES, 0)
            print(f"  exclude  {EXCLUDED_CASES:,} verified deletion requests in {seconds:.1f} s")

            client.headers["Authorization"] = f"Bearer {reader}"
            for label, as_of in (("now", None), ("as_of", before_withdrawals)):
                questions = question_bodies(n, batches, as_of, seed=len(label))
                warm = await post_all(client, "/api/v1/training/eligibility", questions[:2], 1)
                assert warm
                server_cpu, client_cpu = server.cpu_seconds(), time.process_time()
                t0 = time.perf_counter()
                timed = await post_all(
                    client, "/api/v1/training/eligibility", questions, concurrency
                )
                wall = time.perf_counter() - t0
                cpu = (server.cpu_seconds() - server_cpu, time.process_time() - client_cpu)
                summarise(label, timed, wall, cpu)
        rss, hwm = server.memory_mb()
        print(f"  server   at the end: RSS {rss:.0f} MB, peak {hwm:.0f} MB")
    finally:
        server.stop()
        if keep:
            print(f"  kept: {url} (server log {server.log_path})")
        else:
            if pg_name:
                await drop_pg_database(pg_name)
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    p.add_argument("--subjects", type=int, default=1_000_000, help="PostgreSQL subjects")
    p.add_argument("--sqlite-subjects", type=int, default=100_000)
    p.add_argument("--batches", type=int, default=60, help="question batches of 10,000 per mode")
    p.add_argument("--concurrency", type=int, default=2, help="requests in flight")
    p.add_argument("--keep", action="store_true", help="keep the databases and logs")
    args = p.parse_args()
    print(f"machine: {machine()}; client, server and database share it")
    if args.backend in ("postgresql", "both"):
        asyncio.run(
            run_backend("postgresql", args.subjects, args.batches, args.concurrency, args.keep)
        )
    if args.backend in ("sqlite", "both"):
        asyncio.run(
            run_backend("sqlite", args.sqlite_subjects, args.batches, args.concurrency, args.keep)
        )


if __name__ == "__main__":
    main()
