"""Apply Alembic migrations programmatically (dsr db upgrade, dsr serve, tests)."""

from __future__ import annotations

from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from alembic import command
from dsr.resources import ROOT


def alembic_config() -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "heads") -> None:
    cfg = alembic_config()

    def _upgrade(connection: object) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)
