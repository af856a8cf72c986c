"""Deadline engine: a request's and an appeal's dates from the jurisdiction's policy, the receipt
date and the case's clock stops.

Pure: standard library only; holiday calendars are injected. The arithmetic is in
dsr.domain.periods, the policies in dsr.domain.policies and dsr.domain.policy_table (legal facts
and their confidence: docs/legal.md, "legal §n" below); the names are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from dsr.domain.periods import (
    WEEKENDS_ONLY,
    HolidayCalendar,
    Period,
    WeekendsOnly,
    add_business_days,
    add_months_clamped,
    add_period,
    check_date,
    days_beginning_with,
    is_working_day,
    next_working_day,
)
from dsr.domain.policies import EEA_MEMBER_CODES, ClockRule, JurisdictionPolicy
from dsr.domain.policy_table import DEFAULT_POLICIES, build_policies, normalise_jurisdiction

__all__ = [
    "DEFAULT_POLICIES",
    "EEA_MEMBER_CODES",
    "WEEKENDS_ONLY",
    "AppealDeadlines",
    "ClockRule",
    "ClockStop",
    "HolidayCalendar",
    "JurisdictionPolicy",
    "Period",
    "RequestDeadlines",
    "WeekendsOnly",
    "add_business_days",
    "add_months_clamped",
    "add_period",
    "appeal_deadlines",
    "build_policies",
    "days_beginning_with",
    "is_working_day",
    "next_working_day",
    "normalise_jurisdiction",
    "request_deadlines",
]


@dataclass(frozen=True)
class ClockStop:
    requested: date  # day the controller asked (e.g. for identity information)
    received: date | None  # day the information arrived; None = still waiting


@dataclass(frozen=True)
class RequestDeadlines:
    acknowledge_by: date | None
    respond_by: date
    extended_respond_by: date | None
    extension_notice_by: date | None
    refusal_notice_by: date
    paused: bool


def _stopped_days(stops: Sequence[ClockStop]) -> int:
    """Whole days between asking and receiving, overlapping stops counted once."""
    total, span_start, span_end = 0, None, None
    for a, b in sorted((s.requested, s.received) for s in stops if s.received is not None):
        if span_end is None or a > span_end:
            if span_start is not None and span_end is not None:
                total += (span_end - span_start).days
            span_start, span_end = a, b
        else:
            span_end = max(span_end, b)
    if span_start is not None and span_end is not None:
        total += (span_end - span_start).days
    return total


def request_deadlines(
    policy: JurisdictionPolicy,
    received: date,
    calendars: Callable[[str], HolidayCalendar],
    clock_stops: Sequence[ClockStop] = (),
) -> RequestDeadlines:
    """Deadlines of a request received on ``received``, with clock stops per ``clock_rule``.

    "pause"/"wait": the whole stopped days are added to the unrolled due dates, then rolled;
    "restart": the periods run from the latest day requested information arrived;
    "none": stops are ignored. An open stop sets ``paused`` and does not move the dates.
    """
    check_date(received, "received")
    for stop in clock_stops:
        if check_date(stop.requested, "clock stop requested") < received:
            raise ValueError("a clock stop cannot start before the request was received")
        if stop.received is not None and (
            check_date(stop.received, "clock stop received") < stop.requested
        ):
            raise ValueError("a clock stop cannot end before it started")
    cal = calendars(policy.holiday_calendar) if policy.holiday_calendar else WEEKENDS_ONLY
    stops = clock_stops if policy.clock_rule != "none" else ()
    # An open stop is ignored in the dates (no "today" here) but reported as paused.
    paused = any(s.received is None for s in stops)
    start, shift = received, 0
    if policy.clock_rule == "restart":  # ICO: the period runs from receipt of the ID/fee/info
        start = max([received, *(s.received for s in stops if s.received is not None)])
    elif policy.clock_rule in ("pause", "wait"):  # EDPB §159; ORS 646A.576(5)(d) [U arithmetic]
        shift = _stopped_days(stops)

    def due(period: Period, begin: date = start, extra: int = shift) -> date:
        end = add_period(begin, period, cal) + timedelta(days=extra)
        return next_working_day(end, cal) if policy.roll_forward else end

    respond_by = due(policy.respond)
    extended = due(policy.extended_total) if policy.extended_total else None
    notice_first = extended is not None and policy.extension_notice_within_first_period
    return RequestDeadlines(
        # The acknowledgement clock never stops (11 CCR 7021(a) counts from receipt).
        acknowledge_by=due(policy.acknowledge, received, 0) if policy.acknowledge else None,
        respond_by=respond_by,
        extended_respond_by=extended,
        extension_notice_by=respond_by if notice_first else None,
        refusal_notice_by=due(policy.refusal_notice) if policy.refusal_notice else respond_by,
        paused=paused,
    )


@dataclass(frozen=True)
class AppealDeadlines:
    respond_by: date | None
    extended_respond_by: date | None


def appeal_deadlines(
    policy: JurisdictionPolicy, received: date, *, internal_review: Period | None = None
) -> AppealDeadlines:
    """Statutory appeal where the policy has one, else the configured internal review period.

    Appeal periods count from receipt of the appeal, in calendar days, no roll-forward
    (e.g. ORS 646A.576(6)(d); legal §2.4).
    """
    check_date(received, "received")
    if policy.appeal is not None:
        ext = policy.appeal_extended_total
        return AppealDeadlines(
            add_period(received, policy.appeal), add_period(received, ext) if ext else None
        )
    if internal_review is not None:  # non-statutory, a product choice
        return AppealDeadlines(add_period(received, internal_review), None)
    return AppealDeadlines(None, None)
