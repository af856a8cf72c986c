"""Glue between the pure deadline engine and a case row: which policy applies, the dates it
gives, and the policy snapshot recorded on the case so a later change of configuration does not
silently move an existing case's deadlines."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from functools import lru_cache
from typing import Any

from dsr.calendars import calendar
from dsr.domain.deadlines import (
    AppealDeadlines,
    ClockStop,
    JurisdictionPolicy,
    Period,
    RequestDeadlines,
    appeal_deadlines,
    build_policies,
    normalise_jurisdiction,
    request_deadlines,
)
from dsr.settings import Settings


@lru_cache(maxsize=8)
def _policies(overrides_json: str, eu_country: str) -> dict[str, JurisdictionPolicy]:
    built = build_policies(json.loads(overrides_json), eu_holiday_country=eu_country)
    for policy in built.values():  # fail at start-up on a mistyped calendar name, not on a request
        if policy.holiday_calendar:
            calendar(policy.holiday_calendar)
    return built


def policies(settings: Settings) -> dict[str, JurisdictionPolicy]:

    return _policies(
        json.dumps(settings.deadline_overrides, sort_keys=True), settings.eu_holiday_country
    )


def policy_for(settings: Settings, jurisdiction: str) -> tuple[JurisdictionPolicy, bool]:
    code, known = normalise_jurisdiction(jurisdiction)
    return policies(settings)[code], known


def policy_snapshot(policy: JurisdictionPolicy) -> dict[str, Any]:
    return _jsonable(dataclasses.asdict(policy))


def policy_from_snapshot(data: dict[str, Any]) -> JurisdictionPolicy:
    def period(v: Any) -> Period | None:
        return None if v is None else Period(unit=v["unit"], n=v["n"])

    fields = dict(data)
    for name in ("respond", "extended_total", "acknowledge", "appeal", "appeal_extended_total"):
        if name in fields:
            fields[name] = period(fields[name])
    for name in ("unconfirmed", "sources"):
        if name in fields:
            fields[name] = tuple(fields[name])
    known = {f.name for f in dataclasses.fields(JurisdictionPolicy)}
    return JurisdictionPolicy(**{k: v for k, v in fields.items() if k in known})


def compute(
    policy: JurisdictionPolicy, received: date, stops: list[dict[str, Any]] | None = None
) -> RequestDeadlines:
    clock = [
        ClockStop(
            requested=date.fromisoformat(s["requested"]),
            received=date.fromisoformat(s["received"]) if s.get("received") else None,
        )
        for s in stops or []
    ]
    return request_deadlines(policy, received, calendar, clock)


def compute_appeal(
    policy: JurisdictionPolicy, received: date, settings: Settings
) -> AppealDeadlines:
    internal = (
        Period("days", settings.internal_review_days) if settings.internal_review_days else None
    )
    return appeal_deadlines(policy, received, internal_review=internal)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
