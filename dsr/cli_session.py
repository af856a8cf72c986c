"""Running a CLI command's work: one event loop, one transaction the command owns."""

from __future__ import annotations

import asyncio
from typing import Any

from dsr.settings import Settings


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def with_session(settings: Settings, fn: Any) -> Any:
    from dsr.db.engine import make_engine, make_sessionmaker

    engine = make_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            return await fn(session)
    finally:
        await engine.dispose()
