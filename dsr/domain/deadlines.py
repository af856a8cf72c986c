"""Deadline engine: jurisdiction policies as data; calendar-month and business-day arithmetic.

Pure: standard library plus ``dateutil.relativedelta``. Dates come in as arguments and holiday
calendars are injected (``dsr.calendars.calendar`` builds them). The legal facts and their
confidence are in ``../shared/legal/research.md`` ("research §n" below). A policy field that rests
on a fact research marks [U] (unconfirmed) is named in that policy's ``unconfirmed`` tuple so the
docs and the staff console can list it; every such field can be overridden by configuration.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Literal, Protocol, get_args

from dateutil.relativedelta import relativedelta

Unit = Literal["months", "days", "business_days"]
ClockRule = Literal["none", "pause", "restart", "wait"]


class HolidayCalendar(Protocol):
    name: str

    def is_holiday(self, d: date) -> bool: ...  # public holiday (weekends handled by the engine)


class WeekendsOnly:
    """No public holidays: only Saturdays and Sundays are non-working days."""

    name = "weekends-only"

    def is_holiday(self, d: date) -> bool:
        return False


WEEKENDS_ONLY = WeekendsOnly()

_UNIT_WORDS: dict[str, Unit] = {"month": "months", "day": "days", "business_day": "business_days"}


@dataclass(frozen=True)
class Period:
    """A span counted from a start date; ``str()`` gives the "45 days" form :meth:`parse` reads."""

    unit: Unit
    n: int

    def __post_init__(self) -> None:
        if self.unit not in get_args(Unit):
            raise ValueError(f"unknown period unit {self.unit!r}; expected one of {get_args(Unit)}")
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 0:
            raise ValueError(f"period length must be a non-negative integer, got {self.n!r}")

    def __str__(self) -> str:
        return f"{self.n} {self.unit}"

    @classmethod
    def parse(cls, value: Period | str | Mapping[str, Any]) -> Period:
        """Accept a Period, ``{"unit": "days", "n": 45}``, ``"45 days"``, ``"10 business_days"``."""
        if isinstance(value, Period):
            return value
        if isinstance(value, Mapping):
            if set(value) != {"unit", "n"}:
                raise ValueError(f"a period mapping needs exactly the keys unit and n: {value!r}")
            return cls(value["unit"], value["n"])
        if isinstance(value, str):
            m = re.fullmatch(r"\s*(\d+)\s+([A-Za-z_ ]+?)\s*", value)
            word = re.sub(r"[ _]+", "_", m.group(2).lower()).removesuffix("s") if m else ""
            if m and word in _UNIT_WORDS:
                return cls(_UNIT_WORDS[word], int(m.group(1)))
        raise ValueError(f"not a period: {value!r} (expected e.g. '45 days', '1 months')")


def _check_date(d: object, what: str) -> date:
    # A datetime would silently carry a time zone question the caller must settle first
    # (design §3.2: dates are calendar dates in the controller's time zone).
    if not isinstance(d, date) or isinstance(d, datetime):
        raise TypeError(f"{what} must be a datetime.date, got {type(d).__name__}")
    return d


def is_working_day(d: date, cal: HolidayCalendar) -> bool:
    return d.weekday() < 5 and not cal.is_holiday(d)


def next_working_day(d: date, cal: HolidayCalendar) -> date:
    """``d`` itself if it is a working day, else the following working day.

    Reg 1182/71 Art 3(4); EDPB GL 01/2022 §161; ICO "next working day" (research §2.1-2.2).
    """
    for _ in range(366):
        if is_working_day(d, cal):
            return d
        d += timedelta(days=1)
    raise ValueError(f"calendar {cal.name!r} has no working day in the year after {d}")


def add_business_days(start: date, n: int, cal: HolidayCalendar) -> date:
    """The n-th working day after ``start``; the start day itself is never counted.

    Cal. Gov. Code 6800 / Civ. Code 10: exclude the first day (research §2.3).
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    d = start
    for _ in range(n):
        d = next_working_day(d + timedelta(days=1), cal)
    return d


def add_months_clamped(start: date, n: int) -> date:
    """Same date n months later, or that month's last day if it has no such date.

    Reg 1182/71 Art 3(2)(c); EDPB GL 01/2022 ex. 32-33; ICO (research §2.1-2.2).
    """
    result: date = start + relativedelta(months=n)
    return result


def days_beginning_with(start: date, n: int) -> date:
    """Last day of a period of n days *beginning with* ``start`` (``start`` is day 1).

    DPA 2018 s.164A(3) complaint acknowledgement; counting convention [U] (research §2.2(9)).
    """
    if n < 1:
        raise ValueError("n must be >= 1")
    return start + timedelta(days=n - 1)


def add_period(start: date, period: Period, cal: HolidayCalendar = WEEKENDS_ONLY) -> date:
    """``start`` + ``period``, without any roll-forward (the start day is never counted)."""
    if period.unit == "months":
        return add_months_clamped(start, period.n)
    if period.unit == "business_days":
        return add_business_days(start, period.n, cal)
    return start + timedelta(days=period.n)


@dataclass(frozen=True)
class JurisdictionPolicy:
    code: str
    family: str
    respond: Period
    extended_total: Period | None  # total from receipt when extended; None = no extension
    roll_forward: bool  # last day on Sat/Sun/public holiday -> next working day
    holiday_calendar: str | None  # calendar for roll-forward and business days (None: weekends)
    acknowledge: Period | None
    clock_rule: ClockRule
    appeal: Period | None  # from receipt of the appeal; None = no statutory appeal
    appeal_extended_total: Period | None
    extension_notice_within_first_period: bool = True
    unconfirmed: tuple[str, ...] = ()  # fields resting on [U] facts in research.md
    known: bool = True  # False: unknown jurisdiction, flagged for staff
    sources: tuple[str, ...] = ()
    refusal_notice: Period | None = None  # None: the refusal notice is due with the response

    def __post_init__(self) -> None:
        if not self.code or not isinstance(self.code, str):
            raise ValueError("policy code must be a non-empty string")
        if not isinstance(self.respond, Period):
            raise ValueError(f"{self.code}: respond must be a Period")
        for name in _OPTIONAL_PERIODS:
            if not isinstance(getattr(self, name), Period | None):
                raise ValueError(f"{self.code}: {name} must be a Period or None")
        if self.clock_rule not in get_args(ClockRule):
            raise ValueError(f"{self.code}: clock_rule must be one of {get_args(ClockRule)}")
        for name in _BOOL_FIELDS:
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{self.code}: {name} must be true or false")
        if not isinstance(self.holiday_calendar, str | None):
            raise ValueError(f"{self.code}: holiday_calendar must be a calendar name or None")
        if self.appeal_extended_total is not None and self.appeal is None:
            raise ValueError(f"{self.code}: appeal_extended_total needs an appeal period")
        unknown = set(self.unconfirmed) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"{self.code}: unconfirmed names unknown fields {sorted(unknown)}")


_OPTIONAL_PERIODS = (
    "extended_total",
    "acknowledge",
    "appeal",
    "appeal_extended_total",
    "refusal_notice",
)
_BOOL_FIELDS = ("roll_forward", "extension_notice_within_first_period", "known")

# EU-27 + Iceland, Liechtenstein, Norway: every EU/EEA member-state code maps to "EU" (design §3.2).
EEA_MEMBER_CODES: frozenset[str] = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO".split()
)

_US_COMMON_U = ("roll_forward", "acknowledge")  # no roll-forward, no acknowledgement: [U] §1A, §2.4


def _us_state(
    code: str,
    days: int,
    appeal: int | None,
    *sources: str,
    unconfirmed: tuple[str, ...] = (),
    **extra: Any,
) -> JurisdictionPolicy:
    # "45 days after receipt" -> receipt + 45, extension +45 once, no roll-forward (research §2.4).
    return JurisdictionPolicy(
        code=code,
        family="us_state",
        respond=Period("days", days),
        extended_total=Period("days", days + 45),
        roll_forward=False,
        holiday_calendar=None,
        acknowledge=None,
        clock_rule=extra.pop("clock_rule", "none"),
        appeal=Period("days", appeal) if appeal else None,
        appeal_extended_total=extra.pop("appeal_extended_total", None),
        unconfirmed=_US_COMMON_U + unconfirmed,
        sources=sources,
        **extra,
    )


def _default_policies(eu_holiday_country: str) -> dict[str, JurisdictionPolicy]:
    month, three_months = Period("months", 1), Period("months", 3)
    policies = [
        # GDPR Art 12(3): one month, +2 months with notice and reasons within the first month;
        # Art 12(4): refusal notice within one month. Reg 1182/71 Art 3(2)(c), 3(4) (research §2.1).
        # Extension = 3 months from receipt (ICO method; EDPB silent) [U]. Pause for ID info
        # (EDPB §159) with whole stopped days added before the roll [U: policy choice]. Which
        # Member State's holidays apply is not settled [U]; default DSR_EU_HOLIDAY_COUNTRY.
        JurisdictionPolicy(
            code="EU",
            family="eu_gdpr",
            respond=month,
            extended_total=three_months,
            roll_forward=True,
            holiday_calendar=eu_holiday_country,
            acknowledge=None,
            clock_rule="pause",
            appeal=None,
            appeal_extended_total=None,
            refusal_notice=month,
            unconfirmed=("extended_total", "holiday_calendar", "clock_rule"),
            sources=(
                "GDPR Art 12(3)-(4)",
                "Reg 1182/71 Art 3(2)(c), 3(4)",
                "EDPB GL 01/2022 §§159-161",
            ),
        ),
        # ICO: corresponding date, clamp, next working day; extension = 3 months from start;
        # clock restarts on receipt of requested ID/fee/clarification [P: SRC-ICO-1]. Which UK
        # nation's bank holidays [U] (default England & Wales); no DSR acknowledgement [U].
        JurisdictionPolicy(
            code="GB",
            family="uk_gdpr",
            respond=month,
            extended_total=three_months,
            roll_forward=True,
            holiday_calendar="GB-ENG",
            acknowledge=None,
            clock_rule="restart",
            appeal=None,
            appeal_extended_total=None,
            refusal_notice=month,
            unconfirmed=("holiday_calendar", "acknowledge"),
            sources=("UK GDPR Art 12(3)-(4)", "ICO right of access guidance (SRC-ICO-1, -2)"),
        ),
        # 11 CCR 7021(a): acknowledge within 10 business days, receipt day excluded (Cal. Gov.
        # Code 6800); "business day" undefined -> US federal calendar [U]. 11 CCR 7021(b): 45
        # calendar days from receipt regardless of verification (+44 reading [U]), max 90; no
        # roll-forward [U]; no statutory appeal [S].
        JurisdictionPolicy(
            code="US-CA",
            family="us_ca",
            respond=Period("days", 45),
            extended_total=Period("days", 90),
            roll_forward=False,
            holiday_calendar="US",
            acknowledge=Period("business_days", 10),
            clock_rule="none",
            appeal=None,
            appeal_extended_total=None,
            unconfirmed=("respond", "roll_forward", "holiday_calendar"),
            sources=(
                "Cal. Civ. Code 1798.130(a)(2)(A)",
                "11 CCR 7021(a)-(b)",
                "Cal. Gov. Code 6800",
                "5 U.S.C. 6103",
            ),
        ),
        _us_state("US-VA", 45, 60, "Va. Code 59.1-577", unconfirmed=("clock_rule",)),
        # CO appeal 45 days, +60 with notice (C.R.S. 6-1-1306(3)) [U]; extension notice [U].
        _us_state(
            "US-CO",
            45,
            45,
            "C.R.S. 6-1-1306",
            appeal_extended_total=Period("days", 105),
            unconfirmed=("appeal", "appeal_extended_total", "extension_notice_within_first_period"),
        ),
        _us_state("US-CT", 45, 60, "Conn. Gen. Stat. 42-520"),
        # Utah: no appeal right [S: SRC-MAYER].
        _us_state("US-UT", 45, None, "Utah Code 13-61-203"),
        _us_state(
            "US-TX",
            45,
            60,
            "Tex. Bus. & Com. Code ch. 541",
            unconfirmed=("appeal", "clock_rule", "extension_notice_within_first_period"),
        ),
        # ORS 646A.576(5)(d): need not comply until the consumer provides authentication
        # information -> treated as a pause [U]; appeal 45 days (646A.576(6)(d)), no extension
        # seen in the text [U].
        _us_state(
            "US-OR",
            45,
            45,
            "ORS 646A.576",
            clock_rule="wait",
            unconfirmed=(
                "clock_rule",
                "appeal_extended_total",
                "extension_notice_within_first_period",
            ),
        ),
        _us_state("US-MT", 45, 60, "Mont. Code 30-14-2808, 30-14-2809", unconfirmed=("appeal",)),
        _us_state(
            "US-IA",
            90,
            60,
            "Iowa Code ch. 715D",
            unconfirmed=("appeal", "extension_notice_within_first_period"),
        ),
        _us_state(
            "US-DE",
            45,
            60,
            "6 Del. C. ch. 12D",
            unconfirmed=("appeal", "extension_notice_within_first_period"),
        ),
        # NJ appeal 45 days [S]; whether it can be extended is [U].
        _us_state("US-NJ", 45, 45, "N.J.S.A. 56:8-166.7", unconfirmed=("appeal_extended_total",)),
        # LGPD Art 19 II: 15 days from the request (confirmation/access); other rights per ANPD
        # regulation [U]; no extension in the Act (Art 19 §4); no roll-forward [U].
        JurisdictionPolicy(
            code="BR",
            family="br_lgpd",
            respond=Period("days", 15),
            extended_total=None,
            roll_forward=False,
            holiday_calendar=None,
            acknowledge=None,
            clock_rule="none",
            appeal=None,
            appeal_extended_total=None,
            unconfirmed=("respond", "roll_forward", "acknowledge"),
            sources=("LGPD Art 19 II, §4",),
        ),
        # PIPEDA s.8(3): 30 days after receipt; s.8(4)(a): max +30 with notice within 30 days
        # (s.8(4)(b) alternative-format case not modelled); Interpretation Act roll [U].
        JurisdictionPolicy(
            code="CA",
            family="ca_pipeda",
            respond=Period("days", 30),
            extended_total=Period("days", 60),
            roll_forward=False,
            holiday_calendar=None,
            acknowledge=None,
            clock_rule="none",
            appeal=None,
            appeal_extended_total=None,
            unconfirmed=("roll_forward", "acknowledge"),
            sources=("PIPEDA s.8(3)-(5)",),
        ),
        # Quebec P-39.1 s.32: 30 days [S]; no private-sector extension [U].
        JurisdictionPolicy(
            code="CA-QC",
            family="ca_qc",
            respond=Period("days", 30),
            extended_total=None,
            roll_forward=False,
            holiday_calendar=None,
            acknowledge=None,
            clock_rule="none",
            appeal=None,
            appeal_extended_total=None,
            unconfirmed=("extended_total", "roll_forward", "acknowledge"),
            sources=("Quebec P-39.1 s.32",),
        ),
        # Product default, not a legal rule (design §3.2): 30 days, flagged for staff.
        JurisdictionPolicy(
            code="DEFAULT",
            family="default",
            respond=Period("days", 30),
            extended_total=None,
            roll_forward=False,
            holiday_calendar=None,
            acknowledge=None,
            clock_rule="none",
            appeal=None,
            appeal_extended_total=None,
            known=False,
            unconfirmed=("respond",),
            sources=("design §3.2 product default",),
        ),
    ]
    return {p.code: p for p in policies}


def _override_value(code: str, name: str, value: Any) -> Any:
    if name == "code":
        raise ValueError(f"policy override for {code}: field 'code' cannot be changed")
    if name not in _FIELD_NAMES:
        raise ValueError(f"policy override for {code}: unknown field {name!r}")
    try:
        if name == "respond" or (name in _OPTIONAL_PERIODS and value is not None):
            return Period.parse(value)
        if name in ("unconfirmed", "sources"):
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ValueError("expected a list of strings")
            return tuple(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"policy override for {code}: {name}: {exc}") from exc
    return value


_FIELD_NAMES = frozenset(f.name for f in dataclasses.fields(JurisdictionPolicy))


def build_policies(
    overrides: Mapping[str, Mapping[str, Any]] | None = None, *, eu_holiday_country: str = "IE"
) -> dict[str, JurisdictionPolicy]:
    """The default policies with per-code field overrides from configuration."""
    country = eu_holiday_country.strip().upper()
    if country not in EEA_MEMBER_CODES:
        # Reg 1182/71 Art 2(1): public holidays are those of the Member State concerned.
        raise ValueError(f"EU holiday country must be an EU/EEA member code, got {country!r}")
    policies = _default_policies(country)
    for raw_code, changes in (overrides or {}).items():
        code = str(raw_code).strip().upper().replace("_", "-")
        if code not in policies:
            raise ValueError(
                f"policy override for unknown jurisdiction code {raw_code!r}; "
                f"known: {', '.join(policies)}"
            )
        if not isinstance(changes, Mapping):
            raise ValueError(f"policy override for {code} must be a mapping of fields")
        values = {str(k): _override_value(code, str(k), v) for k, v in changes.items()}
        try:
            policies[code] = dataclasses.replace(policies[code], **values)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"policy override for {code}: {exc}") from exc
    return policies


DEFAULT_POLICIES: Mapping[str, JurisdictionPolicy] = MappingProxyType(build_policies())
_KNOWN_CODES = frozenset(DEFAULT_POLICIES) - {"DEFAULT"}
_COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}  # EL: the EU's own abbreviation for Greece


def normalise_jurisdiction(code: str) -> tuple[str, bool]:
    """Map a user-supplied code to a policy code; the flag is False for unknown jurisdictions."""
    if not isinstance(code, str):
        raise TypeError("jurisdiction code must be a string")
    norm = re.sub(r"\s+", "", code).upper().replace("_", "-")
    country, sep, sub = norm.partition("-")
    country = _COUNTRY_ALIASES.get(country, country)
    if country in EEA_MEMBER_CODES or country in ("EU", "EEA"):
        return "EU", True  # a member state or one of its subdivisions (design §3.2)
    if country == "GB":
        return "GB", True  # UK GDPR applies UK-wide
    norm = country + sep + sub
    return (norm, True) if norm in _KNOWN_CODES else ("DEFAULT", False)


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
    _check_date(received, "received")
    for stop in clock_stops:
        if _check_date(stop.requested, "clock stop requested") < received:
            raise ValueError("a clock stop cannot start before the request was received")
        if stop.received is not None:
            if _check_date(stop.received, "clock stop received") < stop.requested:
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
    (e.g. ORS 646A.576(6)(d); research §2.4).
    """
    _check_date(received, "received")
    if policy.appeal is not None:
        ext = policy.appeal_extended_total
        return AppealDeadlines(
            add_period(received, policy.appeal), add_period(received, ext) if ext else None
        )
    if internal_review is not None:  # non-statutory, a product choice
        return AppealDeadlines(add_period(received, internal_review), None)
    return AppealDeadlines(None, None)
