"""What the dashboard shows (issue 13), for every staff role: the period's volume by week and
type, the on-time rate by month, open work by status, what is overdue or due this week, days to
close (median and spread) and appeals by outcome, for one jurisdiction or all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.domain.vocabulary import AppealStatus, RequestType
from dsr.reports import dashboard_repository as repo
from dsr.reports.dashboard_repository import PERCENTILES, Filter
from dsr.settings import Settings

DEFAULT_WEEKS = 12
MAX_DAYS = 366 * 2  # a longer period is a report, not a glance: the metrics and the log


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    jurisdiction: str | None


@dataclass(frozen=True)
class Closing:
    type: str
    decisions: int
    mean_days: float | None
    percentiles: dict[int, int]  # 25, 50 (the median), 75, 90


@dataclass(frozen=True)
class Dashboard:
    period: Period
    today: date
    weeks: list[str]
    volume: dict[str, dict[str, int]]  # type -> week -> requests received
    on_time: list[tuple[str, int, int, float]]  # month, decisions, on time, rate (%)
    open_work: dict[str, int]
    overdue: int
    due_this_week: int
    closing: list[Closing]
    appeals: dict[str, int]


def default_period(today: date) -> tuple[date, date]:
    return today - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1), today


def _filter(settings: Settings, period: Period) -> Filter:
    tz = settings.tz
    return Filter(
        start=period.start,
        end=period.end,
        jurisdiction=period.jurisdiction,
        start_at=datetime.combine(period.start, time.min, tz),
        end_at=datetime.combine(period.end + timedelta(days=1), time.min, tz),
        zone=settings.timezone,
    )


PARTS = frozenset({"volume", "on_time", "open_work", "due", "closing", "appeals"})


async def build(
    session: AsyncSession,
    *,
    settings: Settings,
    period: Period,
    today: date,
    parts: frozenset[str] = PARTS,
) -> Dashboard:
    """The parts asked for (each chart's image asks for its own; the page for all)."""
    f = _filter(settings, period)
    weekly = await repo.weekly_volume(session, f) if "volume" in parts else []
    weeks = sorted({w for w, _, _ in weekly})
    types = [t.value for t in RequestType] + sorted({t for _, t, _ in weekly} - set(RequestType))
    volume = {t: dict.fromkeys(weeks, 0) for t in types}
    for week, kind, n in weekly:
        volume[kind][week] = n
    by_month = await repo.on_time_by_month(session, f) if "on_time" in parts else []
    on_time = [(month, n, ok, round(100 * ok / n, 1)) for month, n, ok in by_month]
    overdue, soon = 0, 0
    if "due" in parts:
        overdue, soon = await repo.due(
            session,
            today=today,
            week_end=today + timedelta(days=6),
            jurisdiction=period.jurisdiction,
        )
    closed = await repo.days_to_close(session, f) if "closing" in parts else []
    closing = [Closing(kind, n, mean, pct) for kind, n, mean, pct in closed]
    found = await repo.appeals_by_status(session, f) if "appeals" in parts else {}
    open_work = (
        await repo.open_by_status(session, period.jurisdiction) if "open_work" in parts else {}
    )
    return Dashboard(
        period=period,
        today=today,
        weeks=weeks,
        volume={t: v for t, v in volume.items() if any(v.values())},
        on_time=on_time,
        open_work=open_work,
        overdue=overdue,
        due_this_week=soon,
        closing=closing,
        appeals={s.value: found.get(s.value, 0) for s in AppealStatus},
    )


__all__ = ["PARTS", "PERCENTILES", "Dashboard", "Period", "build", "default_period"]
