"""Staff queue and deadline sweep at 1,000,000 cases on PostgreSQL (issue 3, "Measured").

    .venv/bin/python -m bench.case_queue [--cases 1000000] [--requests 200] [--keep] [--explain]

1. Creates a throw-away database next to DSR_BENCH_POSTGRES_URL (default the machine's `test`
   database), migrates it with dsr.db.migrate.upgrade and bulk-loads the cases with COPY
   (asyncpg copy_records_to_table): a realistic spread of statuses, types, jurisdictions,
   deadlines (computed by the deadline engine for each jurisdiction) and assignees.
2. Starts `dsr serve --no-worker` on a free port, logs in a handler through
   POST /api/v1/auth/token, and times GET /api/v1/cases: first pages and deep cursor pages
   (found by following next_cursor 500 pages in, or crafted inside a filtered set), with the
   filters the console offers. One client, keep-alive, sequential requests.
3. Runs dsr.cases.sweep.sweep directly, twice: once as in steady state (a few hundred cases
   newly due, everything older already reminded) and once in the worst case (no case was ever
   reminded: every due-soon and overdue active case gets its notices at once).

Aim (issue 3): p95 under 20 ms per page and a sweep under 5 s. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench._common import (
    SECRET,
    Server,
    asyncpg_dsn,
    create_pg_database,
    database_url,
    drop_pg_database,
    pct,
)
from dsr.cases.deadlines import compute, policy_for, policy_snapshot
from dsr.cases.overview import overview
from dsr.cases.sweep import sweep
from dsr.db.engine import make_engine, make_sessionmaker
from dsr.db.migrate import upgrade
from dsr.db.sealed_columns import email_lookup_key, lookup_hash, seal
from dsr.settings import Settings

PASSWORD = "bench-password-not-secret"
ACTIVE = ("open", "in_progress", "awaiting_info")
HANDLERS = 25
ADMINS = 3

TYPES = {"access": 40, "deletion": 35, "objection": 10, "correction": 8, "output_removal": 7}
JURISDICTIONS = {  # input code -> weight; the engine maps DE/FR/... to EU
    "DE": 12, "FR": 10, "IE": 6, "NL": 4, "ES": 3, "US-CA": 25, "GB": 10, "US-VA": 3,
    "US-CO": 3, "US-CT": 2, "US-TX": 3, "US-OR": 2, "US-NJ": 1, "BR": 6, "CA": 4, "CA-QC": 2,
    "JP": 2,
}  # fmt: skip
# Closed outcomes of cases past their first weeks.
CLOSED = {
    "fulfilled": 70, "partially_fulfilled": 5, "denied": 8, "withdrawn": 4, "unverified": 10,
    "duplicate": 2, "appeal_upheld": 1,
}  # fmt: skip
# Cases received in the last 45 days: mostly being worked.
RECENT = {
    "open": 25, "in_progress": 40, "awaiting_info": 5, "fulfilled": 15, "denied": 3,
    "withdrawn": 2, "duplicate": 2, "unverified": 3,
}  # fmt: skip
Weights = tuple[list[str], list[int]]


def cumulative(weights: dict[str, int]) -> Weights:
    keys, cum, total = [], [], 0
    for key, w in weights.items():
        total += w
        keys.append(key)
        cum.append(total)
    return keys, cum


_TYPES, _JURISDICTIONS = cumulative(TYPES), cumulative(JURISDICTIONS)
_CLOSED, _RECENT = cumulative(CLOSED), cumulative(RECENT)
LATE_ACTIVE = 0.003  # share of older cases still open: the overdue backlog
REALISTIC_DUE = 300  # due-soon cases not yet reminded in the steady-state sweep
REALISTIC_OVERDUE = 100  # overdue cases not yet escalated

COLUMNS = (
    "id", "reference", "type", "status", "channel", "jurisdiction", "jurisdiction_input",
    "jurisdiction_known", "email", "email_hash", "full_name", "account_id", "details",
    "type_data", "received_at", "received_date", "verified_at", "expires_at", "acknowledge_by",
    "respond_by", "original_respond_by", "extended_respond_by", "extension_notice_by",
    "extended", "clock_paused", "clock_stops", "policy", "acknowledged_at",
    "reminder_sent_for", "escalation_sent_for", "assignee_id", "decided_by_id", "decided_at",
    "decision_reason_code", "decision_explanation", "closed_at", "version", "created_at",
    "updated_at", "timeline_seq",
)  # fmt: skip
_B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TYPE_DATA = {
    "correction": '{"inaccurate_data": "old address", "corrected_data": "new address"}',
    "output_removal": '{"personal_data": "my name", "examples": [], "models": ["m-1"]}',
}


def pick(rng: random.Random, weights: Weights) -> str:
    return rng.choices(weights[0], cum_weights=weights[1])[0]


def reference(i: int) -> str:
    chars = "".join(_B32[(i >> (5 * k)) & 31] for k in range(8))
    return f"DSR-{chars[:4]}-{chars[4:]}"


# --- seeding ----------------------------------------------------------------------------------


@dataclass
class Seeded:
    handler_ids: list[uuid.UUID]
    today: date


class Generator:
    def __init__(self, settings: Settings, today: date, handler_ids: list[uuid.UUID]) -> None:
        self.settings = settings
        self.today = today
        self.handlers = handler_ids
        self.rng = random.Random(20261122)
        self._policies: dict[str, tuple[Any, bool, str]] = {}
        self._deadlines: dict[tuple[str, date], Any] = {}

    def policy(self, code: str) -> tuple[Any, bool, str]:
        if code not in self._policies:
            policy, known = policy_for(self.settings, code)
            self._policies[code] = (policy, known, json.dumps(policy_snapshot(policy)))
        return self._policies[code]

    def deadlines(self, code: str, received: date) -> Any:
        key = (code, received)
        if key not in self._deadlines:
            self._deadlines[key] = compute(self.policy(code)[0], received)
        return self._deadlines[key]

    def status(self, age: int) -> str:
        """A status for a case received `age` days ago: new work is open, old work closed."""
        rng = self.rng
        if age <= 3:
            return "pending_verification" if rng.random() < 0.3 else pick(rng, _RECENT)
        if age <= 4 and rng.random() < 0.05:
            return "pending_verification"  # expired: the sweep closes these
        if age <= 45:
            return pick(rng, _RECENT)
        if rng.random() < LATE_ACTIVE:
            return rng.choice(ACTIVE)
        return pick(rng, _CLOSED)

    def rows(self, start: int, stop: int, now: datetime) -> Iterator[tuple[Any, ...]]:
        rng, today = self.rng, self.today
        horizon = today + timedelta(days=self.settings.reminder_days_ahead)
        for i in range(start, stop):
            age = int(rng.random() ** 1.15 * 1095)  # a little more recent work than old
            received_date = today - timedelta(days=age)
            received_at = datetime.combine(received_date, dtime(rng.randrange(24), 0), UTC)
            code = pick(rng, _JURISDICTIONS)
            policy, known, snapshot = self.policy(code)
            dl = self.deadlines(code, received_date)
            kind = pick(rng, _TYPES)
            status = self.status(age)
            extended = (
                status in ACTIVE and dl.extended_respond_by is not None and rng.random() < 0.05
            )
            respond_by = dl.extended_respond_by if extended else dl.respond_by
            assignee = None
            if status != "open" and status not in ("pending_verification", "unverified"):
                assignee = rng.choice(self.handlers)
            closed = status not in (*ACTIVE, "pending_verification")
            verified = status not in ("pending_verification", "unverified")
            reminded = escalated = None
            if status in ACTIVE:  # steady state: every due case was told already
                if today <= respond_by <= horizon:
                    reminded = respond_by
                if respond_by < today:
                    escalated = respond_by
            email = f"subject{i}@example.org"
            type_data = TYPE_DATA.get(kind)
            # Personal data is sealed at rest (dsr.db.sealed_columns), as the service stores it.
            keyring = self.settings.keyring
            account = f"acct-{i}" if rng.random() < 0.6 else None
            decided = received_at + timedelta(days=rng.randrange(1, 40)) if closed else None
            yield (
                uuid.UUID(int=rng.getrandbits(128), version=4),
                reference(i),
                kind,
                status,
                "web" if rng.random() < 0.93 else rng.choice(("email", "post", "phone", "agent")),
                policy.code,
                code,
                known,
                seal(keyring, "case_record.email", email.encode()),
                lookup_hash(keyring, email_lookup_key(email)),
                seal(keyring, "case_record.full_name", f"Subject {i}".encode()),
                None
                if account is None
                else seal(keyring, "case_record.account_id", account.encode()),
                None,
                None
                if type_data is None
                else seal(keyring, "case_record.type_data", type_data.encode()),
                received_at,
                received_date,
                received_at + timedelta(hours=2) if verified else None,
                received_at + timedelta(hours=72),
                dl.acknowledge_by,
                respond_by,
                dl.respond_by,
                dl.extended_respond_by,
                dl.extension_notice_by,
                extended,
                status == "awaiting_info" and policy.code == "EU",
                "[]",
                snapshot,
                received_at + timedelta(hours=3) if verified else None,
                reminded,
                escalated,
                assignee,
                rng.choice(self.handlers) if closed and verified else None,
                decided if verified else None,
                "exception_applies" if status == "denied" else None,
                seal(keyring, "case_record.decision_explanation", b"An exception applies.")
                if status == "denied"
                else None,
                decided,
                1 + (rng.randrange(6) if verified else 0),
                received_at,
                decided or now,
                0,  # timeline_seq: the bench writes no timelines (the queue does not read them)
            )


async def create_staff(settings: Settings) -> list[uuid.UUID]:
    from dsr.auth import service

    engine = make_engine(settings)
    ids = []
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            # Keyword arguments: service functions take them keyword-only (CONTRIBUTING.md).
            for n in range(ADMINS):
                await service.create_user(
                    session=session, email=f"admin{n}@example.com", role="admin", password=PASSWORD
                )
            for n in range(HANDLERS):
                user = await service.create_user(
                    session=session,
                    email=f"handler{n}@example.com",
                    role="handler",
                    password=PASSWORD,
                )
                ids.append(user.id)
    finally:
        await engine.dispose()
    return ids


async def prepare(url: str, settings: Settings) -> tuple[list[uuid.UUID], list[str]]:
    """Migrate, create staff, and take off case_record's secondary indexes and foreign keys for
    the load (as pg_restore does: building an index once is far cheaper than growing it row by
    row). Returns the handlers and the DDL that puts the indexes and keys back."""
    engine = make_engine(settings)
    t0 = time.perf_counter()
    await upgrade(engine)
    await engine.dispose()
    print(f"migrated in {time.perf_counter() - t0:.1f} s")
    handler_ids = await create_staff(settings)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        live = {
            r["column_name"]: r["is_nullable"] == "YES"
            for r in await conn.fetch(
                "SELECT column_name, is_nullable FROM information_schema.columns "
                "WHERE table_name = 'case_record'"
            )
        }
        missing = [c for c, nullable in live.items() if not nullable and c not in COLUMNS]
        if missing:
            raise SystemExit(f"case_record has NOT NULL columns the bench does not fill: {missing}")
        indexes = await conn.fetch(
            "SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS ddl "
            "FROM pg_index WHERE indrelid = 'case_record'::regclass AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint WHERE conindid = indexrelid)"
        )
        fkeys = await conn.fetch(
            "SELECT conname, pg_get_constraintdef(oid) AS ddl FROM pg_constraint "
            "WHERE conrelid = 'case_record'::regclass AND contype = 'f'"
        )
        restore = [r["ddl"] for r in indexes] + [
            f'ALTER TABLE case_record ADD CONSTRAINT "{r["conname"]}" {r["ddl"]}' for r in fkeys
        ]
        for r in fkeys:
            await conn.execute(f'ALTER TABLE case_record DROP CONSTRAINT "{r["conname"]}"')
        for r in indexes:
            await conn.execute(f"DROP INDEX {r['name']}")
    finally:
        await conn.close()
    return handler_ids, restore


_WORKER: dict[str, Any] = {}


def _init_loader(url: str, settings: Settings, today: date, handlers: list[uuid.UUID]) -> None:
    _WORKER.update(url=url, gen=Generator(settings, today, handlers))


def _load_chunk(start: int, stop: int, now: datetime) -> int:
    """In a loader process: generate rows [start, stop) and COPY them."""
    gen: Generator = _WORKER["gen"]
    gen.rng.seed(20261122 + start)  # the same data whatever the number of processes

    async def copy() -> None:
        conn = await asyncpg.connect(asyncpg_dsn(_WORKER["url"]))
        try:
            rows = list(gen.rows(start, stop, now))
            await conn.copy_records_to_table("case_record", records=rows, columns=COLUMNS)
        finally:
            await conn.close()

    asyncio.run(copy())
    return stop - start


def load(url: str, settings: Settings, n: int, handlers: list[uuid.UUID], now: datetime) -> float:
    """COPY in parallel processes (one per core): Python makes rows while PostgreSQL stores
    the previous chunk. Forked from plain (non-async) code, so no event loop is inherited."""
    chunk = 25_000
    t0 = time.perf_counter()
    ctx = multiprocessing.get_context("fork")
    workers = max(2, os.cpu_count() or 2)
    init = (url, settings, now.date(), handlers)
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_init_loader, initargs=init
    ) as pool:
        jobs = [pool.submit(_load_chunk, a, min(n, a + chunk), now) for a in range(0, n, chunk)]
        loaded = sum(j.result() for j in jobs)
    assert loaded == n
    return time.perf_counter() - t0


async def finish(url: str, restore: list[str]) -> float:
    """Rebuild the indexes and keys (two at a time) and ANALYZE."""
    t0 = time.perf_counter()
    conns = [await asyncpg.connect(asyncpg_dsn(url)) for _ in range(2)]
    try:
        indexes = [d for d in restore if d.startswith("CREATE")]
        keys = [d for d in restore if not d.startswith("CREATE")]

        async def run(conn: Any, ddl: list[str]) -> None:
            for statement in ddl:
                await conn.execute(statement)

        await asyncio.gather(run(conns[0], indexes[0::2]), run(conns[1], indexes[1::2]))
        await run(conns[0], keys)
        await conns[0].execute("ANALYZE case_record")
        counts = await conns[0].fetch(
            "SELECT status, count(*) AS n FROM case_record GROUP BY status ORDER BY n DESC"
        )
        print("statuses: " + ", ".join(f"{r['status']} {r['n']:,}" for r in counts))
    finally:
        for conn in conns:
            await conn.close()
    return time.perf_counter() - t0


def seed(url: str, settings: Settings, n: int) -> Seeded:
    handlers, restore = asyncio.run(prepare(url, settings))
    now = datetime.now(UTC)
    took = load(url, settings, n, handlers, now)
    print(f"loaded {n:,} cases with COPY in {took:.1f} s ({n / took:,.0f} rows/s)")
    rebuilt = asyncio.run(finish(url, restore))
    print(
        f"rebuilt {len(restore)} indexes and foreign keys and analyzed in {rebuilt:.1f} s; "
        f"total {took + rebuilt:.1f} s"
    )
    return Seeded(handlers, now.date())


# --- the queue over HTTP ----------------------------------------------------------------------


BUDGET_MS = 30_000  # a scenario stops early (after at least 20 samples) once it took this long


def timed(client: httpx.Client, params: Any, n: int) -> list[float]:
    out: list[float] = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get("/api/v1/cases", params=params)
        out.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
        if len(out) >= 20 and sum(out) > BUDGET_MS:
            break
    return out


def report(label: str, ms: list[float], rows: int | None = None) -> dict[str, Any]:
    p50, p95 = statistics.median(ms), pct(ms, 0.95)
    extra = f", {rows} rows/page" if rows is not None else ""
    flag = "ok" if p95 < 20 else "OVER 20 ms"
    print(f"  {label:<58} n={len(ms):<4} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  [{flag}]{extra}")
    return {"label": label, "n": len(ms), "p50_ms": round(p50, 2), "p95_ms": round(p95, 2)}


def walk(
    client: httpx.Client, params: list[tuple[str, str]], pages: int
) -> tuple[str, list[float]]:
    """Follow next_cursor `pages` deep (or as deep as the queue goes) and return the cursor."""
    cursor: str | None = None
    last, ms = "", []
    for _ in range(pages):
        t0 = time.perf_counter()
        r = client.get("/api/v1/cases", params=[*params, *([("cursor", cursor)] if cursor else [])])
        ms.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
        cursor = r.json()["next_cursor"]
        if cursor is None:
            print(f"  (the queue ended after {len(ms)} pages)")
            break
        last = cursor
    return last, ms


def craft_cursor(due: date, case_id: uuid.UUID) -> str:
    raw = json.dumps([due.isoformat(), str(case_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def middle_of(url: str, where: str, args: list[Any]) -> tuple[date, uuid.UUID, int] | None:
    """The (respond_by, id) halfway through the rows `where` selects, and their number; None
    when it selects none (a small --cases run may have no case for a narrow filter)."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        total = await conn.fetchval(f"SELECT count(*) FROM case_record WHERE {where}", *args)
        row = await conn.fetchrow(
            f"SELECT respond_by, id FROM case_record WHERE {where} "
            f"ORDER BY respond_by, id OFFSET {total // 2} LIMIT 1",
            *args,
        )
    finally:
        await conn.close()
    return (row["respond_by"], row["id"], total) if row else None


def crafted_page(
    client: httpx.Client,
    url: str,
    name: str,
    query: tuple[str, list[Any]],
    params: list[tuple[str, str]],
    n: int,
) -> list[dict[str, Any]]:
    """Time the page in the middle of a filtered set, reached with a crafted cursor."""
    middle = asyncio.run(middle_of(url, *query))
    if middle is None:
        print(f"  middle of the {name} filter: no case matches it, skipped")
        return []
    due, cid, total = middle
    label = f"middle of the {name} filter ({total:,} rows), crafted cursor"
    return [report(label, timed(client, [*params, ("cursor", craft_cursor(due, cid))], n))]


def measure_queue(url: str, seeded: Seeded, n: int, var_dir: Path) -> list[dict[str, Any]]:
    server = Server(url, var_dir, env={"DSR_RATE_LIMIT_IP": "100000/minute"})
    results = []
    try:
        server.start()
        r = httpx.post(
            server.base + "/api/v1/auth/token",
            data={"username": "handler0@example.com", "password": PASSWORD},
        )
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        with httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:
            timed(client, {}, 20)  # warm up connections and caches
            active = [("status", s) for s in ACTIVE]
            assignee = str(seeded.handler_ids[0])
            due_before = (seeded.today + timedelta(days=30)).isoformat()
            narrow = [
                ("status", "in_progress"),
                ("type", "deletion"),
                ("jurisdiction", "EU"),
                ("assignee", assignee),
                ("due_before", due_before),
            ]
            wide = [*active, ("type", "access"), ("type", "deletion"), ("due_before", due_before)]

            print("queue: GET /api/v1/cases, 50 per page, one client, keep-alive")
            results.append(report("first page, no filter (all statuses)", timed(client, [], n)))
            results.append(
                report(
                    "first page, status=open,in_progress,awaiting_info", timed(client, active, n)
                )
            )
            results.append(
                report(
                    "first page, status+type+jurisdiction+assignee+due_before",
                    timed(client, narrow, n),
                )
            )
            results.append(
                report("first page, 3 statuses + 2 types + due_before", timed(client, wide, n))
            )
            mine = [*active, ("assignee", "me")]
            results.append(
                report("first page, 3 active statuses + assignee=me", timed(client, mine, n))
            )

            cursor, walk_ms = walk(client, [], 500)
            results.append(report("walking next_cursor 500 pages, no filter", walk_ms))
            results.append(report("page 501, no filter", timed(client, [("cursor", cursor)], n)))
            cursor, walk_ms = walk(client, active, 500)
            results.append(
                report(f"walking next_cursor {len(walk_ms)} pages, 3 active statuses", walk_ms)
            )
            results.append(
                report(
                    f"page {len(walk_ms) + 1}, 3 active statuses",
                    timed(client, [*active, ("cursor", cursor)], n),
                )
            )

            narrow_where = (
                "status = 'in_progress' AND type = 'deletion' AND jurisdiction = 'EU' "
                "AND assignee_id = $1 AND respond_by < $2"
            )
            narrow_args = [uuid.UUID(assignee), date.fromisoformat(due_before)]
            results += crafted_page(client, url, "narrow", (narrow_where, narrow_args), narrow, n)
            wide_where = "status = ANY($1) AND type = ANY($2) AND respond_by < $3"
            wide_args = [list(ACTIVE), ["access", "deletion"], date.fromisoformat(due_before)]
            results += crafted_page(client, url, "wide", (wide_where, wide_args), wide, n)
    finally:
        server.stop()
    return results


# --- the console queue's overview -------------------------------------------------------------


async def measure_overview(settings: Settings, today: date, n: int) -> list[dict[str, Any]]:
    """The five counts at the top of the console queue (dsr.cases.overview), run as the page
    runs them: each an aggregate over an index range, so they cost the same at any size."""
    engine = make_engine(settings)
    factory = make_sessionmaker(engine)
    ms: list[float] = []
    try:
        for i in range(n + 5):
            async with factory() as session:
                t0 = time.perf_counter()
                counts = await overview(session, today)
                if i >= 5:  # the first runs warm the caches
                    ms.append((time.perf_counter() - t0) * 1000)
    finally:
        await engine.dispose()
    print(f"overview: {counts}")
    return [report("console queue overview (5 counts)", ms)]


# --- the sweep --------------------------------------------------------------------------------


async def run_sweeps(url: str, settings: Settings) -> list[dict[str, Any]]:
    engine = make_engine(settings)
    factory = make_sessionmaker(engine)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    out = []
    today = datetime.now(settings.tz).date()  # the controller's date, as the sweep's
    horizon = today + timedelta(days=settings.reminder_days_ahead)
    try:
        due = await conn.fetchval(
            "SELECT count(*) FROM case_record WHERE status = ANY($1) AND respond_by <= $2",
            list(ACTIVE),
            horizon,
        )
        overdue = await conn.fetchval(
            "SELECT count(*) FROM case_record WHERE status = ANY($1) AND respond_by < $2",
            list(ACTIVE),
            today,
        )
        print(
            f"sweep: {due:,} active cases due within {settings.reminder_days_ahead} days "
            f"or overdue ({overdue:,} overdue), {ADMINS} admins"
        )
        # Steady state: a few hundred cases became due since the last run.
        await conn.execute(
            "UPDATE case_record SET reminder_sent_for = NULL WHERE id IN (SELECT id FROM case_record "
            "WHERE status = ANY($1) AND respond_by BETWEEN $2 AND $3 ORDER BY id LIMIT $4)",
            list(ACTIVE), today, horizon, REALISTIC_DUE,
        )  # fmt: skip
        await conn.execute(
            "UPDATE case_record SET escalation_sent_for = NULL WHERE id IN (SELECT id FROM "
            "case_record WHERE status = ANY($1) AND respond_by < $2 ORDER BY id LIMIT $3)",
            list(ACTIVE), today, REALISTIC_OVERDUE,
        )  # fmt: skip
        await conn.execute("VACUUM ANALYZE case_record")
        for label in ("realistic, first run", "realistic, second run (nothing new)"):
            out.append(await _sweep_once(factory, settings, conn, label))
        # Worst case: nobody was ever reminded (the sweep just enabled, or weeks of outage).
        await conn.execute(
            "UPDATE case_record SET reminder_sent_for = NULL, escalation_sent_for = NULL "
            "WHERE status = ANY($1)",
            list(ACTIVE),
        )
        await conn.execute("VACUUM ANALYZE case_record")
        for label in ("worst case, first run", "worst case, second run (nothing new)"):
            out.append(await _sweep_once(factory, settings, conn, label))
    finally:
        await conn.close()
        await engine.dispose()
    return out


async def _sweep_once(factory: Any, settings: Settings, conn: Any, label: str) -> dict[str, Any]:
    before = await conn.fetchval("SELECT count(*) FROM outbox_message")
    t0 = time.perf_counter()
    result = await sweep(factory=factory, settings=settings, now=datetime.now(UTC))
    took = time.perf_counter() - t0
    added = await conn.fetchval("SELECT count(*) FROM outbox_message") - before
    flag = "ok" if took < 5 else "OVER 5 s"
    print(f"  {label:<40} {took:7.2f} s  [{flag}]  {result}, {added:,} outbox rows")
    return {"label": label, "seconds": round(took, 2), **result, "outbox_rows": added}


# --- EXPLAIN --------------------------------------------------------------------------------


EXPLAIN = {
    "3 active statuses, first page": (
        "SELECT * FROM case_record WHERE status IN ('open', 'in_progress', 'awaiting_info') "
        "ORDER BY respond_by, id LIMIT 51"
    ),
    "narrow filter, first page": (
        "SELECT * FROM case_record WHERE status = 'in_progress' AND type = 'deletion' "
        "AND jurisdiction = 'EU' AND assignee_id = '{assignee}' AND respond_by < '{due_before}' "
        "ORDER BY respond_by, id LIMIT 51"
    ),
    "overview: overdue": (
        "SELECT count(*) FROM case_record WHERE status IN ('open', 'in_progress', 'awaiting_info') "
        "AND respond_by < '{today}'"
    ),
    "overview: unassigned": (
        "SELECT count(*) FROM case_record WHERE assignee_id IS NULL "
        "AND status IN ('open', 'in_progress', 'awaiting_info')"
    ),
    "sweep: due soon": (
        "SELECT * FROM case_record WHERE status IN ('open', 'in_progress', 'awaiting_info') "
        "AND respond_by <= '{horizon}' AND respond_by >= '{today}' AND (reminder_sent_for IS NULL "
        "OR reminder_sent_for != respond_by) LIMIT 500"
    ),
    "sweep: overdue": (
        "SELECT * FROM case_record WHERE status IN ('open', 'in_progress', 'awaiting_info') "
        "AND respond_by < '{today}' AND (escalation_sent_for IS NULL "
        "OR escalation_sent_for != respond_by) LIMIT 500"
    ),
    "sweep: expire": (
        "SELECT * FROM case_record WHERE status = 'pending_verification' AND expires_at <= now() "
        "ORDER BY expires_at LIMIT 500 FOR UPDATE SKIP LOCKED"
    ),
}


async def explain(url: str, seeded: Seeded, settings: Settings) -> None:
    values = {
        "assignee": seeded.handler_ids[0],
        "due_before": seeded.today + timedelta(days=30),
        "today": seeded.today,
        "horizon": seeded.today + timedelta(days=settings.reminder_days_ahead),
    }
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        for label, sql in EXPLAIN.items():
            async with conn.transaction():  # FOR UPDATE needs one; nothing is changed
                plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql.format(**values))
            print(f"-- {label}")
            for row in plan:
                print("   " + row[0])
    finally:
        await conn.close()


# --- query forms (for proposals: what the repository could send instead) ---------------------

_BRANCH = "(SELECT * FROM case_record WHERE status = ${n} {extra} ORDER BY respond_by, id LIMIT 51)"


def _union(extra: str, first: int) -> str:
    branches = [_BRANCH.format(n=k, extra=extra) for k in range(1, 4)]
    return (
        ("SELECT * FROM (" + " UNION ALL ".join(branches) + ") q ORDER BY respond_by, id LIMIT 51")
        .replace("$X", f"${first}")
        .replace("$Y", f"${first + 1}")
    )


def query_forms(seeded: Seeded) -> dict[str, tuple[str, list[Any]]]:
    """The active-queue page as the repository sends it today (expanding IN parameters, as
    SQLAlchemy renders col.in_() for asyncpg) and two alternatives, each first and deep."""
    statuses = list(ACTIVE)
    deep_due, deep_id = seeded.today + timedelta(days=10), uuid.UUID(int=2**127)
    keyset = "AND (respond_by, id) > ($X, $Y)"
    inline = "status IN ('open', 'in_progress', 'awaiting_info')"
    return {
        "today: status IN ($1, $2, $3), first page": (
            "SELECT * FROM case_record WHERE status IN ($1, $2, $3) "
            "ORDER BY respond_by, id LIMIT 51",
            statuses,
        ),
        "today: status IN ($1, $2, $3), deep page": (
            "SELECT * FROM case_record WHERE status IN ($1, $2, $3) "
            "AND (respond_by, id) > ($4, $5) ORDER BY respond_by, id LIMIT 51",
            [*statuses, deep_due, deep_id],
        ),
        "statuses inlined as literals, first page": (
            f"SELECT * FROM case_record WHERE {inline} ORDER BY respond_by, id LIMIT 51",
            [],
        ),
        "statuses inlined as literals, deep page": (
            f"SELECT * FROM case_record WHERE {inline} AND (respond_by, id) > ($1, $2) "
            "ORDER BY respond_by, id LIMIT 51",
            [deep_due, deep_id],
        ),
        "UNION ALL of one ordered branch per status, first page": (_union("", 4), statuses),
        "UNION ALL of one ordered branch per status, deep page": (
            _union(keyset, 4),
            [*statuses, deep_due, deep_id],
        ),
        "today: in_progress + type + jurisdiction + assignee + due_before": (
            "SELECT * FROM case_record WHERE status IN ($1) AND type IN ($2) "
            "AND jurisdiction IN ($3) AND assignee_id = $4 AND respond_by < $5 "
            "ORDER BY respond_by, id LIMIT 51",
            ["in_progress", "deletion", "EU", seeded.handler_ids[0], seeded.today + timedelta(30)],
        ),
        "today: 3 statuses + assignee (my queue)": (
            "SELECT * FROM case_record WHERE status IN ($1, $2, $3) AND assignee_id = $4 "
            "ORDER BY respond_by, id LIMIT 51",
            [*statuses, seeded.handler_ids[0]],
        ),
        "UNION ALL per status + assignee (my queue)": (
            _union("AND assignee_id = $X", 4),
            [*statuses, seeded.handler_ids[0]],
        ),
    }


async def compare_forms(url: str, seeded: Seeded, n: int) -> list[dict[str, Any]]:
    """Each form as a prepared statement run n times on one connection, as the server's pool
    does: after five runs PostgreSQL may switch to a generic plan, which cannot see the values
    (and so cannot use a partial index for them). Prints the generic plan's top lines."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    out = []
    print("query forms over asyncpg (prepared once, run repeatedly, like the server):")
    try:
        for label, (sql, args) in query_forms(seeded).items():
            stmt = await conn.prepare(sql)
            ms = []
            for _ in range(n):
                t0 = time.perf_counter()
                await stmt.fetch(*args)
                ms.append((time.perf_counter() - t0) * 1000)
                if len(ms) >= 20 and sum(ms) > BUDGET_MS:
                    break
            out.append(report(label, ms))
            # The plan the server ends up with: a generic one, planned without the values.
            await conn.execute(f"PREPARE bench_form AS {sql}")
            await conn.execute("SET plan_cache_mode = force_generic_plan")
            values = ", ".join("'" + str(a).replace("'", "''") + "'" for a in args)
            plan = await conn.fetch(
                f"EXPLAIN EXECUTE bench_form({values})" if args else "EXPLAIN EXECUTE bench_form"
            )
            await conn.execute("DEALLOCATE bench_form; RESET plan_cache_mode")
            nodes = [r[0].strip() for r in plan if "Scan" in r[0] or "Append" in r[0]]
            print("      generic plan: " + " | ".join(n.split("  (")[0] for n in nodes[:4]))
    finally:
        await conn.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--keep", metavar="DBNAME", help="keep the database under this name")
    parser.add_argument("--reuse", metavar="DBNAME", help="skip seeding: use a kept database")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE plans")
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--no-queue", action="store_true", help="skip the HTTP measurements")
    parser.add_argument(
        "--compare-queries", action="store_true", help="time alternative SQL for the queue"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="dsr-bench-queue-"))
    if args.reuse:
        name, url = args.reuse, database_url(args.reuse)
    else:
        name = args.keep or f"dsr_bench_queue_{os.getpid()}"
        url = asyncio.run(create_pg_database(name))
    settings = Settings(database_url=url, secret_key=SECRET, var_dir=var_dir)
    print(f"database {name}")
    try:
        if args.reuse:
            conn_ids = asyncio.run(_handler_ids(url))
            seeded = Seeded(conn_ids, datetime.now(UTC).date())
        else:
            seeded = seed(url, settings, args.cases)
        if args.explain:
            asyncio.run(explain(url, seeded, settings))
        figures: dict[str, Any] = {"cases": args.cases}
        if not args.no_queue:
            figures["queue"] = measure_queue(url, seeded, args.requests, var_dir)
            figures["overview"] = asyncio.run(
                measure_overview(settings, seeded.today, args.requests)
            )
        if args.compare_queries:
            figures["query_forms"] = asyncio.run(compare_forms(url, seeded, args.requests))
        if not args.no_sweep:
            figures["sweep"] = asyncio.run(run_sweeps(url, settings))
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    finally:
        if not (args.keep or args.reuse):
            asyncio.run(drop_pg_database(name))
        shutil.rmtree(var_dir, ignore_errors=True)


async def _handler_ids(url: str) -> list[uuid.UUID]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT id FROM staff_user WHERE role = 'handler' ORDER BY length(email), email"
        )
    finally:
        await conn.close()
    return [r["id"] for r in rows]


if __name__ == "__main__":
    main()
