"""Deadline engine: the legal worked examples, policy configuration, clock stops, properties."""

from __future__ import annotations

import ast
import calendar as stdlib_calendar
import csv
import re
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr.calendars import calendar
from dsr.domain.deadlines import (
    DEFAULT_POLICIES,
    EEA_MEMBER_CODES,
    WEEKENDS_ONLY,
    ClockStop,
    Period,
    add_business_days,
    add_months_clamped,
    appeal_deadlines,
    build_policies,
    days_beginning_with,
    is_working_day,
    next_working_day,
    normalise_jurisdiction,
    request_deadlines,
)
from dsr.domain.policies import for_request_type

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "data" / "deadline-vectors.csv"
HEADER = [
    "jurisdiction",
    "request_type",
    "received_date",
    "event",
    "expected_date",
    "calendar",
    "source",
    "rule",
    "confidence",
]


def _load_rows() -> list[dict[str, str]]:
    with VECTORS.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


ROWS = _load_rows()

# Request types outside the product whose arithmetic the engine still provides.
OPT_OUT_BUSINESS_DAYS = {"limit_spi": 15}  # 11 CCR 7027(g)
# The vectors' names for the product's request types that run under their own policy.
PRODUCT_TYPES = {"opt_out_sale_share": "opt_out"}  # 11 CCR 7026(f)
COMPLAINT_ACK_DAYS = 30  # DPA 2018 s.164A(3): 30 days beginning when received
REQUEST_EVENTS = {
    "respond_by",
    "extended_respond_by",
    "acknowledge_by",
    "extension_notice_by",
    "refusal_notice_by",
}
AFTER_ID = re.compile(r"respond_by_after_id\((\d{4}-\d{2}-\d{2})\)")


def _row_id(row: dict[str, str]) -> str:
    base = f"{row['jurisdiction']}/{row['request_type']}/{row['received_date']}/{row['event']}"
    return f"{base}@{row['calendar']}" if row["calendar"] else base


def _compute(row: dict[str, str]) -> date:
    received = date.fromisoformat(row["received_date"])
    code, known = normalise_jurisdiction(row["jurisdiction"])
    assert (code, known) == (row["jurisdiction"], True)
    rtype, event, cal_name = row["request_type"], row["event"], row["calendar"]
    if rtype in OPT_OUT_BUSINESS_DAYS:
        assert event == "respond_by"
        return add_business_days(received, OPT_OUT_BUSINESS_DAYS[rtype], calendar(cal_name))
    if rtype == "complaint":
        assert (code, event) == ("GB", "acknowledge_by")
        return days_beginning_with(received, COMPLAINT_ACK_DAYS)
    # The row's calendar goes through the policy, as configuration would set it.
    policy = build_policies({code: {"holiday_calendar": cal_name}} if cal_name else None)[code]
    if rtype in PRODUCT_TYPES:
        policy = for_request_type(policy, PRODUCT_TYPES[rtype])
    if rtype == "appeal":
        assert event == "appeal_respond_by"
        result = appeal_deadlines(policy, received).respond_by
    elif m := AFTER_ID.fullmatch(event):
        stop = ClockStop(requested=received, received=date.fromisoformat(m[1]))
        result = request_deadlines(policy, received, calendar, [stop]).respond_by
    elif event in REQUEST_EVENTS:
        result = getattr(request_deadlines(policy, received, calendar), event)
    else:
        pytest.fail(f"unmapped event {event!r}")
    assert result is not None
    return result


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_deadline_vector(row: dict[str, str]) -> None:
    assert _compute(row) == date.fromisoformat(row["expected_date"])


def test_vector_file_shape() -> None:
    with VECTORS.open(newline="", encoding="utf-8") as f:
        assert next(csv.reader(f)) == HEADER
    assert len(ROWS) == 48  # docs/legal.md §3: 48 vectors
    assert len({(_row_id(r), r["expected_date"]) for r in ROWS}) == len(ROWS)


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r["calendar"] and r["calendar"] != "weekends-only"], ids=_row_id
)
def test_vector_calendar_is_the_default(row: dict[str, str]) -> None:
    assert DEFAULT_POLICIES[row["jurisdiction"]].holiday_calendar == row["calendar"]


# --- jurisdictions -------------------------------------------------------------------------

DESIGN_CODES = {
    "EU",
    "GB",
    "US-CA",
    "US-VA",
    "US-CO",
    "US-CT",
    "US-UT",
    "US-TX",
    "US-OR",
    "US-MT",
    "US-IA",
    "US-DE",
    "US-NJ",
    "BR",
    "CA",
    "CA-QC",
}


def test_default_policies_cover_design() -> None:
    assert set(DEFAULT_POLICIES) == DESIGN_CODES | {"DEFAULT"}
    for code, policy in DEFAULT_POLICIES.items():
        assert policy.code == code
        assert policy.sources
        assert policy.known is (code != "DEFAULT")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("de", ("EU", True)),
        (" DE ", ("EU", True)),
        ("de-by", ("EU", True)),
        ("EL", ("EU", True)),
        ("no", ("EU", True)),
        ("eu", ("EU", True)),
        ("UK", ("GB", True)),
        ("gb", ("GB", True)),
        ("GB-SCT", ("GB", True)),
        ("US-CA", ("US-CA", True)),
        ("us_ca", ("US-CA", True)),
        (" us-ia ", ("US-IA", True)),
        ("CA", ("CA", True)),
        ("ca_qc", ("CA-QC", True)),
        ("br", ("BR", True)),
        ("ZZ", ("DEFAULT", False)),
        ("US", ("DEFAULT", False)),
        ("US-FL", ("DEFAULT", False)),
        ("CA-ON", ("DEFAULT", False)),
        ("CH", ("DEFAULT", False)),
        ("", ("DEFAULT", False)),
        ("DEFAULT", ("DEFAULT", False)),
    ],
)
def test_normalise_jurisdiction(raw: str, expected: tuple[str, bool]) -> None:
    assert normalise_jurisdiction(raw) == expected


def test_every_eea_member_and_policy_code_normalises() -> None:
    assert len(EEA_MEMBER_CODES) == 30
    assert {"IS", "LI", "NO"} <= EEA_MEMBER_CODES
    for code in EEA_MEMBER_CODES:
        assert normalise_jurisdiction(code.lower()) == ("EU", True)
    for code in DESIGN_CODES:
        assert normalise_jurisdiction(code) == (code, True)


def test_normalise_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        normalise_jurisdiction(None)  # type: ignore[arg-type]


def test_unconfirmed_facts_are_flagged() -> None:
    p = DEFAULT_POLICIES
    assert {"clock_rule", "extended_total", "holiday_calendar"} <= set(p["EU"].unconfirmed)
    assert {"holiday_calendar", "roll_forward"} <= set(p["US-CA"].unconfirmed)
    assert {"appeal", "appeal_extended_total"} <= set(p["US-CO"].unconfirmed)
    assert "clock_rule" in p["US-OR"].unconfirmed
    assert "extended_total" in p["CA-QC"].unconfirmed
    assert "respond" in p["DEFAULT"].unconfirmed


# --- policy configuration --------------------------------------------------------------------


def test_build_policies_overrides_one_field() -> None:
    policies = build_policies({"US-CO": {"appeal_extended_total": None}})
    assert policies["US-CO"].appeal_extended_total is None
    assert policies["US-CO"].appeal == Period("days", 45)
    assert policies["US-VA"] == DEFAULT_POLICIES["US-VA"]
    assert DEFAULT_POLICIES["US-CO"].appeal_extended_total == Period("days", 105)


def test_build_policies_weekends_only_acknowledgement() -> None:
    policy = build_policies({"us_ca": {"holiday_calendar": "weekends-only"}})["US-CA"]
    assert policy.holiday_calendar == "weekends-only"
    got = request_deadlines(policy, date(2026, 11, 23), calendar)
    assert got.acknowledge_by == date(2026, 12, 7)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("44 days", Period("days", 44)),
        ("1 months", Period("months", 1)),
        ("1 month", Period("months", 1)),
        ("10 business_days", Period("business_days", 10)),
        ("10 business days", Period("business_days", 10)),
        ({"unit": "days", "n": 89}, Period("days", 89)),
        (Period("days", 3), Period("days", 3)),
    ],
)
def test_period_parse(value: object, expected: Period) -> None:
    assert Period.parse(value) == expected  # type: ignore[arg-type]
    assert Period.parse(str(expected)) == expected


def test_build_policies_parses_periods() -> None:
    policy = build_policies(
        {"US-CA": {"respond": "44 days", "extended_total": {"unit": "days", "n": 89}}}
    )["US-CA"]
    assert (policy.respond, policy.extended_total) == (Period("days", 44), Period("days", 89))
    got = request_deadlines(policy, date(2026, 11, 22), calendar)
    assert (got.respond_by, got.extended_respond_by) == (date(2027, 1, 5), date(2027, 2, 19))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"US-ZZ": {"respond": "30 days"}}, "US-ZZ"),
        ({"US-CA": {"respond_in": "30 days"}}, "respond_in"),
        ({"US-CA": {"code": "US-NV"}}, "code"),
        ({"US-CA": {"respond": "45 weeks"}}, "respond"),
        ({"US-CA": {"respond": None}}, "respond"),
        ({"US-CA": {"acknowledge": {"unit": "days"}}}, "acknowledge"),
        ({"US-CA": {"clock_rule": "sometimes"}}, "clock_rule"),
        ({"US-CA": {"roll_forward": "yes"}}, "roll_forward"),
        ({"US-UT": {"appeal_extended_total": "60 days"}}, "appeal"),
        ({"EU": {"unconfirmed": ["no_such_field"]}}, "no_such_field"),
        ({"EU": {"sources": "GDPR"}}, "sources"),
        ({"EU": "1 months"}, "EU"),
    ],
)
def test_build_policies_rejects(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_policies(overrides)


def test_eu_holiday_country() -> None:
    assert build_policies(eu_holiday_country=" de ")["EU"].holiday_calendar == "DE"
    with pytest.raises(ValueError, match="US"):
        build_policies(eu_holiday_country="US")


def test_default_policies_are_read_only() -> None:
    with pytest.raises(TypeError):
        DEFAULT_POLICIES["EU"] = DEFAULT_POLICIES["GB"]  # type: ignore[index]
    built = build_policies()
    built["EU"] = DEFAULT_POLICIES["GB"]
    assert DEFAULT_POLICIES["EU"].code == "EU"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("weeks", 1), "unknown period unit 'weeks'"),
        (("days", -1), "period length must be a non-negative integer, got -1"),
        (("days", True), "period length must be a non-negative integer, got True"),
        (("days", 1.5), "period length must be a non-negative integer, got 1.5"),
    ],
)
def test_period_validation(args: tuple[Any, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Period(*args)


# --- clock stops ---------------------------------------------------------------------------

EU = DEFAULT_POLICIES["EU"]
GB = DEFAULT_POLICIES["GB"]


def test_eu_pause_adds_stopped_days_before_roll() -> None:
    # 5 Mar 2027 -> 5 Apr; stopped 6-11 Mar (5 days) -> Sat 10 Apr -> Mon 12 Apr.
    stop = ClockStop(date(2027, 3, 6), date(2027, 3, 11))
    got = request_deadlines(EU, date(2027, 3, 5), calendar, [stop])
    assert got.respond_by == date(2027, 4, 12)
    assert got.extended_respond_by == date(2027, 6, 10)
    assert got.extension_notice_by == got.refusal_notice_by == got.respond_by
    assert not got.paused


def test_eu_overlapping_stops_count_once() -> None:
    stops = [
        ClockStop(date(2027, 3, 6), date(2027, 3, 11)),
        ClockStop(date(2027, 3, 8), date(2027, 3, 13)),
        ClockStop(date(2027, 3, 20), date(2027, 3, 21)),
    ]
    # union 6-13 Mar (7 days) + 20-21 Mar (1 day): 5 Apr + 8 = Tue 13 Apr.
    assert request_deadlines(EU, date(2027, 3, 5), calendar, stops).respond_by == date(2027, 4, 13)


def test_open_stop_is_paused_and_dates_ignore_it() -> None:
    open_stop = ClockStop(date(2027, 3, 6), None)
    got = request_deadlines(EU, date(2027, 3, 5), calendar, [open_stop])
    assert got.paused
    assert got.respond_by == request_deadlines(EU, date(2027, 3, 5), calendar).respond_by
    assert request_deadlines(GB, date(2027, 3, 5), calendar, [open_stop]).paused


def test_gb_restart_runs_from_latest_receipt() -> None:
    stops = [
        ClockStop(date(2026, 3, 2), date(2026, 3, 10)),
        ClockStop(date(2026, 3, 12), date(2026, 3, 20)),
    ]
    got = request_deadlines(GB, date(2026, 3, 2), calendar, stops)
    assert got.respond_by == date(2026, 4, 20)
    assert got.extended_respond_by == date(2026, 6, 22)  # 20 Jun 2026 is a Saturday
    assert got.extension_notice_by == got.respond_by


def test_oregon_wait_is_a_pause() -> None:
    stop = ClockStop(date(2026, 7, 2), date(2026, 7, 12))
    got = request_deadlines(DEFAULT_POLICIES["US-OR"], date(2026, 7, 1), calendar, [stop])
    assert (got.respond_by, got.extended_respond_by) == (date(2026, 8, 25), date(2026, 10, 9))


def test_california_never_pauses() -> None:
    policy = DEFAULT_POLICIES["US-CA"]
    stops = [ClockStop(date(2026, 11, 23), date(2026, 12, 1)), ClockStop(date(2026, 12, 2), None)]
    got = request_deadlines(policy, date(2026, 11, 22), calendar, stops)
    assert got == request_deadlines(policy, date(2026, 11, 22), calendar)
    assert not got.paused


@pytest.mark.parametrize(
    "stop",
    [ClockStop(date(2026, 3, 1), date(2026, 3, 5)), ClockStop(date(2026, 3, 5), date(2026, 3, 4))],
)
def test_invalid_clock_stops(stop: ClockStop) -> None:
    with pytest.raises(ValueError, match=r"a clock stop cannot (start|end) before"):
        request_deadlines(EU, date(2026, 3, 2), calendar, [stop])


def test_datetimes_are_rejected() -> None:
    with pytest.raises(TypeError):
        request_deadlines(EU, datetime(2026, 3, 2, 12, tzinfo=UTC), calendar)
    with pytest.raises(TypeError):
        appeal_deadlines(EU, datetime(2026, 3, 2, 12, tzinfo=UTC))


def test_default_policy() -> None:
    code, known = normalise_jurisdiction("ZZ")
    policy = DEFAULT_POLICIES[code]
    assert not known
    assert not policy.known
    got = request_deadlines(policy, date(2026, 1, 30), calendar)
    assert got.respond_by == date(2026, 3, 1)
    assert got.extended_respond_by is got.extension_notice_by is got.acknowledge_by is None
    assert got.refusal_notice_by == got.respond_by


def test_no_extension_jurisdictions() -> None:
    for code in ("BR", "CA-QC"):
        got = request_deadlines(DEFAULT_POLICIES[code], date(2026, 2, 20), calendar)
        assert got.extended_respond_by is None
        assert got.extension_notice_by is None


def test_extension_notice_flag_off() -> None:
    policy = replace(DEFAULT_POLICIES["US-VA"], extension_notice_within_first_period=False)
    got = request_deadlines(policy, date(2026, 1, 15), calendar)
    assert got.extended_respond_by == date(2026, 4, 15)
    assert got.extension_notice_by is None


# --- appeals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "received", "respond_by", "extended"),
    [
        ("US-CO", date(2026, 10, 15), date(2026, 11, 29), date(2027, 1, 28)),
        ("US-OR", date(2026, 10, 15), date(2026, 11, 29), None),
        ("US-NJ", date(2026, 10, 15), date(2026, 11, 29), None),
        ("US-VA", date(2026, 5, 1), date(2026, 6, 30), None),
        ("US-IA", date(2026, 5, 1), date(2026, 6, 30), None),
        ("US-CA", date(2026, 5, 1), None, None),
        ("US-UT", date(2026, 5, 1), None, None),
        ("EU", date(2026, 5, 1), None, None),
    ],
)
def test_appeal_deadlines(
    code: str, received: date, respond_by: date | None, extended: date | None
) -> None:
    got = appeal_deadlines(DEFAULT_POLICIES[code], received)
    assert (got.respond_by, got.extended_respond_by) == (respond_by, extended)


def test_internal_review_where_no_statutory_appeal() -> None:
    review = Period("days", 30)
    got = appeal_deadlines(DEFAULT_POLICIES["EU"], date(2026, 5, 1), internal_review=review)
    assert (got.respond_by, got.extended_respond_by) == (date(2026, 5, 31), None)
    statutory = appeal_deadlines(
        DEFAULT_POLICIES["US-VA"], date(2026, 5, 1), internal_review=review
    )
    assert statutory.respond_by == date(2026, 6, 30)


def test_colorado_appeal_extension_can_be_configured_off() -> None:
    policy = build_policies({"US-CO": {"appeal_extended_total": None}})["US-CO"]
    assert appeal_deadlines(policy, date(2026, 10, 15)).extended_respond_by is None


# --- arithmetic ----------------------------------------------------------------------------


class _AlwaysHoliday:
    name = "always"

    def is_holiday(self, _d: date) -> bool:
        return True


def test_arithmetic_edges() -> None:
    assert add_months_clamped(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months_clamped(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months_clamped(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_business_days(date(2026, 11, 20), 1, WEEKENDS_ONLY) == date(2026, 11, 23)
    assert add_business_days(date(2026, 11, 21), 1, WEEKENDS_ONLY) == date(2026, 11, 23)
    assert add_business_days(date(2026, 11, 21), 0, WEEKENDS_ONLY) == date(2026, 11, 21)
    assert next_working_day(date(2026, 10, 3), WEEKENDS_ONLY) == date(2026, 10, 5)
    assert next_working_day(date(2026, 10, 5), WEEKENDS_ONLY) == date(2026, 10, 5)
    assert days_beginning_with(date(2026, 7, 1), 30) == date(2026, 7, 30)
    with pytest.raises(ValueError, match="n must be >= 0"):
        add_business_days(date(2026, 1, 1), -1, WEEKENDS_ONLY)
    with pytest.raises(ValueError, match="n must be >= 1"):
        days_beginning_with(date(2026, 1, 1), 0)
    with pytest.raises(ValueError, match="calendar 'always' has no working day"):
        next_working_day(date(2026, 1, 1), _AlwaysHoliday())


# --- calendars -----------------------------------------------------------------------------


def test_calendar_instances_are_cached() -> None:
    assert calendar("us") is calendar("US")
    assert calendar("gb_eng") is calendar("GB-ENG")
    assert calendar("weekends-only") is WEEKENDS_ONLY
    assert calendar("ie").name == "IE"


@pytest.mark.parametrize(
    ("name", "day", "holiday"),
    [
        ("US", date(2026, 7, 3), True),  # 4 Jul 2026 is a Saturday: observed Friday (6103(b))
        ("US", date(2026, 11, 26), True),
        ("US", date(2028, 6, 19), True),
        ("US", date(2024, 12, 24), False),  # executive-order closing, not a 6103 holiday
        ("US", date(2025, 1, 9), False),  # day of mourning, not a 6103 holiday
        ("GB-ENG", date(2026, 12, 28), True),  # substitute bank holiday
        ("GB-ENG", date(2028, 5, 1), True),
        ("GB-SCT", date(2026, 1, 2), True),
        ("GB-ENG", date(2026, 1, 2), False),
        ("IE", date(2026, 12, 26), True),
        ("IE", date(2026, 12, 28), False),  # no substitute for St Stephen's Day
        ("IE", date(2026, 2, 2), True),
        ("BG", date(2024, 3, 3), True),
        ("BG", date(2024, 3, 4), False),  # library "observed" substitute left out (EU rule)
    ],
)
def test_calendar_days(name: str, day: date, holiday: bool) -> None:
    assert calendar(name).is_holiday(day) is holiday


def test_england_wales_calendar_matches_research_list() -> None:
    # docs/legal.md §3 lists the E&W bank holidays its vectors assume (weekdays only).
    listed = {
        date.fromisoformat(d)
        for d in [
            "2026-01-01",
            "2026-04-03",
            "2026-04-06",
            "2026-05-04",
            "2026-05-25",
            "2026-08-31",
            "2026-12-25",
            "2026-12-28",
            "2027-01-01",
            "2027-03-26",
            "2027-03-29",
            "2027-05-03",
            "2027-05-31",
            "2027-08-30",
            "2027-12-27",
            "2027-12-28",
            "2028-01-03",
            "2028-04-14",
            "2028-04-17",
            "2028-05-01",
            "2028-05-29",
            "2028-08-28",
            "2028-12-25",
            "2028-12-26",
        ]
    }
    cal = calendar("GB-ENG")
    start = date(2026, 1, 1)
    days = (start + timedelta(i) for i in range((date(2028, 12, 31) - start).days + 1))
    assert {d for d in days if d.weekday() < 5 and cal.is_holiday(d)} == listed


@pytest.mark.parametrize("name", ["XX", "GB", "UK", "GB-XYZ", "USA", "Narnia", ""])
def test_unknown_calendar(name: str) -> None:
    with pytest.raises(ValueError, match="unknown holiday calendar"):
        calendar(name)


@pytest.mark.parametrize("module", ["deadlines", "periods", "policies", "policy_table"])
def test_domain_module_is_pure(module: str) -> None:
    source = (ROOT / "dsr" / "domain" / f"{module}.py").read_text(encoding="utf-8")
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    outside = {m for m in modules if not m.startswith("dsr.domain.")}
    assert {m.split(".")[0] for m in outside} - {"__future__"} <= set(sys.stdlib_module_names) | {
        "dateutil"
    }
    assert "today(" not in source


# --- properties ----------------------------------------------------------------------------

DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
CODES = st.sampled_from(sorted(DEFAULT_POLICIES))


@settings(max_examples=300, deadline=None)
@given(code=CODES, received=DATES)
def test_deadlines_are_ordered(code: str, received: date) -> None:
    got = request_deadlines(DEFAULT_POLICIES[code], received, calendar)
    assert got.respond_by > received
    assert got.refusal_notice_by == got.respond_by
    assert not got.paused
    if got.extended_respond_by is None:
        assert got.extension_notice_by is None
    else:
        assert got.extended_respond_by > got.respond_by == got.extension_notice_by
    if got.acknowledge_by is not None:
        assert received < got.acknowledge_by < got.respond_by


@settings(max_examples=300, deadline=None)
@given(
    code=st.sampled_from(["EU", "GB"]),
    received=DATES,
    country=st.sampled_from(sorted(EEA_MEMBER_CODES)),
)
def test_month_deadline_is_first_working_day_on_or_after_same_date(
    code: str, received: date, country: str
) -> None:
    policy = build_policies(eu_holiday_country=country)[code]
    assert policy.holiday_calendar is not None
    cal = calendar(policy.holiday_calendar)
    got = request_deadlines(policy, received, calendar)
    base = add_months_clamped(received, 1)
    assert is_working_day(got.respond_by, cal)
    assert got.respond_by >= base
    assert not any(
        is_working_day(base + timedelta(i), cal) for i in range((got.respond_by - base).days)
    )
    assert got.extended_respond_by is not None
    assert is_working_day(got.extended_respond_by, cal)


@settings(max_examples=200, deadline=None)
@given(
    code=st.sampled_from([c for c, p in DEFAULT_POLICIES.items() if p.respond.unit == "days"]),
    received=DATES,
)
def test_calendar_day_deadlines_do_not_roll(code: str, received: date) -> None:
    policy = DEFAULT_POLICIES[code]
    got = request_deadlines(policy, received, calendar)
    assert got.respond_by == received + timedelta(days=policy.respond.n)
    if policy.extended_total is not None:
        assert got.extended_respond_by == received + timedelta(days=policy.extended_total.n)


@settings(max_examples=300, deadline=None)
@given(start=DATES, n=st.integers(0, 40), name=st.sampled_from(["US", "GB-ENG", "IE", "DE"]))
def test_add_business_days_counts_working_days(start: date, n: int, name: str) -> None:
    cal = calendar(name)
    end = add_business_days(start, n, cal)
    assert end >= start
    if n:
        assert is_working_day(end, cal)
    assert (
        sum(is_working_day(start + timedelta(i), cal) for i in range(1, (end - start).days + 1))
        == n
    )


@given(start=DATES, n=st.integers(0, 36))
def test_add_months_clamped(start: date, n: int) -> None:
    got = add_months_clamped(start, n)
    months = start.year * 12 + start.month - 1 + n
    year, month0 = divmod(months, 12)
    assert (got.year, got.month) == (year, month0 + 1)
    last = stdlib_calendar.monthrange(got.year, got.month)[1]
    assert got.day == min(start.day, last)


@settings(max_examples=200, deadline=None)
@given(received=DATES, delay=st.integers(0, 20), length=st.integers(0, 40))
def test_eu_pause_and_gb_restart(received: date, delay: int, length: int) -> None:
    requested = received + timedelta(days=delay)
    stop = ClockStop(requested, requested + timedelta(days=length))
    cal = calendar("IE")
    eu = request_deadlines(EU, received, calendar, [stop]).respond_by
    assert eu == next_working_day(add_months_clamped(received, 1) + timedelta(length), cal)
    gb = request_deadlines(GB, received, calendar, [stop]).respond_by
    assert stop.received is not None
    assert gb == request_deadlines(GB, stop.received, calendar).respond_by
    assert gb >= request_deadlines(GB, received, calendar).respond_by


# --- opt-outs (docs/legal.md, "Opt-outs") ---------------------------------------------------


def test_california_opt_out_has_no_extension_and_no_acknowledgement() -> None:
    policy = for_request_type(DEFAULT_POLICIES["US-CA"], "opt_out")
    d = request_deadlines(policy, date(2028, 6, 16), calendar)
    assert (d.acknowledge_by, d.respond_by, d.extended_respond_by) == (
        None,
        date(2028, 7, 11),
        None,
    )


def test_other_types_in_california_keep_the_general_clock() -> None:
    policy = for_request_type(DEFAULT_POLICIES["US-CA"], "access")
    assert policy is DEFAULT_POLICIES["US-CA"]


@pytest.mark.parametrize(("code", "days"), [("US-VA", 45), ("US-CO", 45), ("US-IA", 90)])
def test_other_states_opt_out_runs_on_their_general_period(code: str, days: int) -> None:
    policy = for_request_type(DEFAULT_POLICIES[code], "opt_out")
    d = request_deadlines(policy, date(2026, 3, 2), calendar)
    assert d.respond_by == date(2026, 3, 2) + timedelta(days=days)
    # Whether the +45 applies to opt-outs is unconfirmed: on by default, and configurable.
    assert d.extended_respond_by == date(2026, 3, 2) + timedelta(days=days + 45)
    assert "opt_out_extension" in policy.unconfirmed
    off = build_policies({code: {"opt_out_extension": False}})[code]
    assert request_deadlines(for_request_type(off, "opt_out"), date(2026, 3, 2), calendar) == (
        replace(d, extended_respond_by=None, extension_notice_by=None)
    )


def test_opt_out_period_is_configurable() -> None:
    policy = build_policies({"US-CA": {"opt_out_respond": "10 business_days"}})["US-CA"]
    d = request_deadlines(for_request_type(policy, "opt_out"), date(2028, 6, 16), calendar)
    assert d.respond_by == date(2028, 7, 3)
