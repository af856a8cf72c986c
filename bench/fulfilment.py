"""Webhook deliveries per second: one worker on PostgreSQL sending signed task webhooks to a local
receiver.

The bench creates a throw-away PostgreSQL database, migrates it, loads `--cases` cases with COPY
(bench.case_queue's generator), registers one webhook data system and gives every case a task
and its outbox delivery the way opening a case does (dsr.fulfilment.webhooks.delivery_message
through dsr.notifications.outbox.enqueue_many). A receiver runs in a process of its own (uvicorn,
verifying every delivery with standardwebhooks' Webhook.verify, as a data system would); this
process is the one worker, calling the dispatcher (dsr.notifications.dispatcher.dispatch_once)
with one long-lived httpx client until the outbox is empty. Prints figures; asserts nothing.

    .venv/bin/python -m bench.fulfilment --cases 2000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench._common import (
    SECRET,
    asyncpg_dsn,
    create_pg_database,
    drop_pg_database,
    free_port,
    machine,
    proc_stat,
)

# --- the receiver (a process of its own) -----------------------------------------------------


def receiver_app(secret: str) -> Any:
    from standardwebhooks import Webhook
    from standardwebhooks.webhooks import WebhookVerificationError
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    webhook = Webhook(secret)
    seen: dict[str, int] = {}
    refused = 0

    async def receive(request: Request) -> Response:
        nonlocal refused
        body = await request.body()
        try:
            webhook.verify(body, dict(request.headers))
        except WebhookVerificationError:
            refused += 1
            return Response(status_code=401)
        key = request.headers["webhook-id"]
        seen[key] = seen.get(key, 0) + 1
        return Response(status_code=204)

    async def stats(_request: Request) -> Response:
        received = sum(seen.values())
        return JSONResponse({"received": received, "unique": len(seen), "refused": refused})

    return Starlette(routes=[Route("/hooks", receive, methods=["POST"]), Route("/stats", stats)])


def serve_receiver(port: int, secret: str) -> None:
    import uvicorn

    uvicorn.run(receiver_app(secret), host="127.0.0.1", port=port, log_level="warning")


def start_receiver(port: int, secret: str) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "bench.fulfilment", "--receiver", str(port)]
    proc = subprocess.Popen(cmd, env={**os.environ, "BENCH_WEBHOOK_SECRET": secret})
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/stats", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.terminate()
    raise SystemExit("the receiver did not start")


# --- seeding ----------------------------------------------------------------------------------


async def seed(url: str, settings: Any, n: int, hook_url: str) -> str:
    """n cases, a webhook system, a task and an outbox delivery per case. Returns the secret."""
    from sqlmodel import select

    from bench.case_queue import COLUMNS, Generator, create_staff
    from dsr.cases.action_schemas import DataSystemIn
    from dsr.cases.data_system_models import CaseTask
    from dsr.cases.data_systems import create_system
    from dsr.cases.models import Case
    from dsr.db.engine import make_engine, make_sessionmaker
    from dsr.db.migrate import upgrade
    from dsr.fulfilment.webhooks import delivery_message
    from dsr.notifications.outbox import enqueue_many

    engine = make_engine(settings)
    await upgrade(engine)
    handlers = await create_staff(settings)
    now = datetime.now(UTC)
    rows = list(Generator(settings, now.date(), handlers).rows(0, n, now))
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.copy_records_to_table("case_record", records=rows, columns=COLUMNS)
    finally:
        await conn.close()
    t0 = time.perf_counter()
    async with make_sessionmaker(engine)() as session, session.begin():
        system, secret, _ = await create_system(
            session,
            settings=settings,
            data=DataSystemIn(
                name="bench-receiver",
                owner_email="owner@example.com",
                request_types=["access"],
                integration="webhook",
                webhook_url=hook_url,
            ),
        )
        messages = []
        for case in (await session.exec(select(Case))).all():
            task = CaseTask(case_id=case.id, data_system_id=system.id, created_at=now)
            session.add(task)
            messages.append(delivery_message(task, system, case))
        await session.flush()
        await enqueue_many(session, messages)
    await engine.dispose()
    print(f"seeded {n:,} tasks and their deliveries in {time.perf_counter() - t0:.1f} s")
    assert secret is not None
    return secret


# --- the worker -------------------------------------------------------------------------------


async def drain(settings: Any, batch: int) -> dict[str, Any]:
    from dsr.db.engine import make_engine, make_sessionmaker
    from dsr.notifications.dispatcher import dispatch_once

    engine = make_engine(settings)
    factory = make_sessionmaker(engine)
    sent = failed = rounds = 0
    cpu0 = proc_stat(os.getpid())
    t0 = time.perf_counter()
    async with httpx.AsyncClient() as http:
        while True:
            s, f = await dispatch_once(factory, settings, batch=batch, http=http)
            if not (s or f):
                break
            sent, failed, rounds = sent + s, failed + f, rounds + 1
    took = time.perf_counter() - t0
    cpu1 = proc_stat(os.getpid())
    await engine.dispose()
    cpu = (cpu1[1] - cpu0[1]) if cpu0 and cpu1 else float("nan")
    return {"sent": sent, "failed": failed, "rounds": rounds, "seconds": took, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=5000, help="tasks (one per case) to deliver")
    parser.add_argument("--batch", type=int, default=50, help="outbox rows claimed at a time")
    parser.add_argument("--receiver", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        serve_receiver(args.receiver, os.environ["BENCH_WEBHOOK_SECRET"])
        return

    from dsr.settings import Settings

    print(machine())
    # Figures are only comparable on a quiet machine: say how busy it was.
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    name = f"dsr_bench_fulfilment_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = asyncio.run(create_pg_database(name))
    var_dir = Path(tempfile.mkdtemp(prefix="dsr-bench-fulfilment-"))
    settings = Settings(database_url=url, secret_key=SECRET, var_dir=var_dir)
    port = free_port()
    receiver = None
    try:
        secret = asyncio.run(seed(url, settings, args.cases, f"http://127.0.0.1:{port}/hooks"))
        receiver = start_receiver(port, secret)
        figures = asyncio.run(drain(settings, args.batch))
        stats = httpx.get(f"http://127.0.0.1:{port}/stats", timeout=5).json()
        receiver_cpu = proc_stat(receiver.pid)
    finally:
        if receiver is not None:
            receiver.terminate()
            receiver.wait()
        asyncio.run(drop_pg_database(name))
    rate = figures["sent"] / figures["seconds"] if figures["seconds"] else float("nan")
    print(
        f"webhook deliveries, one worker, PostgreSQL, batch {args.batch}: "
        f"{figures['sent']:,} sent, {figures['failed']:,} failed in {figures['seconds']:.2f} s "
        f"= {rate:,.0f} deliveries/s"
    )
    print(
        f"worker CPU {figures['cpu']:.2f} s "
        f"({1000 * figures['cpu'] / max(figures['sent'], 1):.2f} ms a delivery); "
        f"receiver CPU {receiver_cpu[1] if receiver_cpu else float('nan'):.2f} s"
    )
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(
        f"receiver: {stats['received']:,} received, {stats['unique']:,} distinct webhook-ids, "
        f"{stats['refused']} refused signatures"
    )


if __name__ == "__main__":
    main()
