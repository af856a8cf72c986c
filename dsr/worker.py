"""Background work: the outbox dispatcher and the periodic sweep (expiry, reminders)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.sweep import sweep
from dsr.db.types import utcnow
from dsr.notifications.dispatcher import run_forever
from dsr.settings import Settings

log = logging.getLogger("dsr.worker")


async def sweep_forever(
    factory: async_sessionmaker[AsyncSession], settings: Settings, wakeup: asyncio.Event
) -> None:
    while True:
        try:
            result = await sweep(factory, settings, utcnow())
            if any(result.values()):
                log.info("sweep: %s", ", ".join(f"{k}={v}" for k, v in result.items()))
                wakeup.set()
        except Exception:
            log.exception("sweep failed; will run again")
        await asyncio.sleep(settings.sweep_interval_seconds)


def background_tasks(
    factory: async_sessionmaker[AsyncSession], settings: Settings, wakeup: asyncio.Event
) -> list[asyncio.Task[None]]:
    return [
        asyncio.create_task(run_forever(factory, settings, wakeup), name="dsr-outbox"),
        asyncio.create_task(sweep_forever(factory, settings, wakeup), name="dsr-sweep"),
    ]


async def run_worker(settings: Settings) -> None:
    from dsr.db.engine import make_engine, make_sessionmaker

    engine = make_engine(settings)
    factory = make_sessionmaker(engine)
    wakeup = asyncio.Event()
    tasks = background_tasks(factory, settings, wakeup)
    log.info("worker started")
    try:
        await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
        await engine.dispose()
