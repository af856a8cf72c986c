"""SQL functions SQLite lacks, registered on each of its connections: reports count days in the
controller's time zone (DSR_TIMEZONE) in SQL, which PostgreSQL does with AT TIME ZONE and SQLite
cannot do alone (it has no time-zone database). dsr.reports.sql picks one or the other."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(stored: str | None, zone: str) -> str | None:
    """The calendar date (YYYY-MM-DD) in `zone` of a timestamp SQLite holds as naive UTC text
    (dsr.db.types.UTCDateTime)."""
    if stored is None:
        return None
    moment = datetime.fromisoformat(stored).replace(tzinfo=UTC)
    return moment.astimezone(_zone(zone)).date().isoformat()


def register(dbapi_conn: Any) -> None:
    dbapi_conn.create_function("dsr_local_date", 2, local_date, deterministic=True)
