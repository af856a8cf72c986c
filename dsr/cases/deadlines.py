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
from dsr.domain.policies import for_request_type
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


def policy_for(
    settings: Settings, jurisdiction: str, request_type: str | None = None
) -> tuple[JurisdictionPolicy, bool]:
    """The jurisdiction's policy, as the request type runs under it (an opt-out has its own
    clock in some laws: docs/legal.md, "Opt-outs")."""
    code, known = normalise_jurisdiction(jurisdiction)
    policy = policies(settings)[code]
    return (for_request_type(policy, request_type) if request_type else policy), known


def policy_snapshot(policy: JurisdictionPolicy) -> dict[str, Any]:
    snapshot: dict[str, Any] = _jsonable(dataclasses.asdict(policy))
    return snapshot


def policy_from_snapshot(data: dict[str, Any]) -> JurisdictionPolicy:
    """The policy recorded on a case, back as the engine's dataclass (periods are the only
    nested values; lists were tuples)."""
    known = {f.name for f in dataclasses.fields(JurisdictionPolicy)}
    fields: dict[str, Any] = {}
    for name, value in data.items():
        if name not in known:
            continue
        if isinstance(value, dict) and set(value) == {"unit", "n"}:
            value = Period(unit=value["unit"], n=value["n"])
        elif isinstance(value, list):
            value = tuple(value)
        fields[name] = value
    return JurisdictionPolicy(**fields)


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


def refresh(case: Any) -> RequestDeadlines:
    """Recompute a case's dates from its recorded policy, receipt date and clock stops.
    `respond_by` is the deadline in force: the extended one once an extension is taken."""
    d = compute(policy_from_snapshot(case.policy), case.received_date, case.clock_stops)
    case.acknowledge_by = d.acknowledge_by
    case.original_respond_by = d.respond_by
    case.extended_respond_by = d.extended_respond_by
    case.extension_notice_by = d.extension_notice_by
    case.clock_paused = d.paused
    case.respond_by = (
        d.extended_respond_by if case.extended and d.extended_respond_by else d.respond_by
    )
    if case.respond_by_override is not None:
        case.respond_by = case.respond_by_override
    return d
