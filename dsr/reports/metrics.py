"""The yearly request metrics (issue 13; design §4.3): per request type, how many requests were
received in the calendar year, what became of them and how many days the answers took. The
counting rules are the README's ("Reports and dashboard"); dsr/reports/sql.py applies them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.domain.reporting import ANSWERED, COUNTED, Outcome
from dsr.domain.vocabulary import DenialReason, RequestType
from dsr.reports import metrics_repository as repo
from dsr.settings import Settings

FIRST_YEAR, LAST_YEAR = 2000, 2100


class TypeMetrics(BaseModel):
    received: int = 0
    complied_in_whole: int = 0
    complied_in_part: int = 0
    denied: int = 0
    denied_by_reason: dict[str, int] = Field(default_factory=dict)
    withdrawn: int = 0
    unverified: int = 0
    pending: int = 0
    median_days: float | None = None  # from receipt to the answer; null when none was answered
    mean_days: float | None = None


class Metrics(BaseModel):
    year: int
    time_zone: str
    types: dict[str, TypeMetrics]


async def yearly(session: AsyncSession, *, settings: Settings, year: int) -> Metrics:
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    zone = settings.timezone
    groups = await repo.groups(session, zone=zone, start=start, end=end)
    medians = await repo.medians(session, zone=zone, start=start, end=end)
    # Every type appears, with zeros when none was received (a regulator reads a full table);
    # the denial reasons likewise.
    types = {
        t.value: TypeMetrics(denied_by_reason={r.value: 0 for r in DenialReason})
        for t in RequestType
    }
    answered: dict[str, int] = defaultdict(int)
    day_sums: dict[str, int] = defaultdict(int)
    for g in groups:  # one row per (type, outcome, reason): a handful, not one per case
        m = types.get(g.type)
        if m is None or g.outcome not in set(COUNTED):
            continue
        m.received += g.count
        setattr(m, g.outcome, getattr(m, g.outcome) + g.count)
        if g.outcome == Outcome.DENIED:
            code = g.reason_code or DenialReason.OTHER.value
            m.denied_by_reason[code] = m.denied_by_reason.get(code, 0) + g.count
        if g.outcome in ANSWERED:
            answered[g.type] += g.count
            day_sums[g.type] += g.days_sum
    for name, m in types.items():
        if answered[name]:
            m.mean_days = round(day_sums[name] / answered[name], 1)
            m.median_days = round(medians[name], 1)
    return Metrics(year=year, time_zone=zone, types=types)
