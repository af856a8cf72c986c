"""The jurisdiction policies as data, each rule citing docs/legal.md ("legal §n"), with
per-code overrides from configuration, and the mapping of user-given codes to policy codes.
Just over 300 lines: the table is data, one cited entry per jurisdiction, best read whole."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dsr.domain.periods import Period
from dsr.domain.policies import _OPTIONAL_PERIODS, EEA_MEMBER_CODES, JurisdictionPolicy

# No roll-forward, no acknowledgement: [U] §1A, §2.4. Opt-outs: 45 days like other requests
# [S: legal §1B], but whether the +45 extension also applies to them is not stated [U].
_US_COMMON_U = ("roll_forward", "acknowledge", "opt_out_extension")


def _us_state(
    code: str,
    days: int,
    appeal: int | None,
    *sources: str,
    unconfirmed: tuple[str, ...] = (),
    **extra: Any,
) -> JurisdictionPolicy:
    # "45 days after receipt" -> receipt + 45, extension +45 once, no roll-forward (legal §2.4).
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
        # Art 12(4): refusal notice within one month. Reg 1182/71 Art 3(2)(c), 3(4) (legal §2.1).
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
            # Objection to direct marketing (Art 21(3)) has no deadline of its own [U].
            unconfirmed=("extended_total", "holiday_calendar", "clock_rule", "opt_out_respond"),
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
            unconfirmed=("holiday_calendar", "acknowledge", "opt_out_respond"),
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
            # 11 CCR 7026(f): opt-out of sale/sharing within 15 business days of receipt [S],
            # no extension [S: SRC-CLARIP], no acknowledgement deadline [S: SRC-CCPAFREE]
            # (legal §1A, §1B); business days on the US federal calendar [U], as above.
            opt_out_respond=Period("business_days", 15),
            opt_out_extension=False,
            opt_out_acknowledge=False,
            unconfirmed=("respond", "roll_forward", "holiday_calendar"),
            sources=(
                "Cal. Civ. Code 1798.130(a)(2)(A)",
                "11 CCR 7021(a)-(b)",
                "11 CCR 7026(f)",
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
        # Product default, not a legal rule (docs/architecture.md): 30 days, flagged for staff.
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
            sources=("docs/legal.md §1: product default",),
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
        return "EU", True  # a member state or one of its subdivisions (docs/architecture.md)
    if country == "GB":
        return "GB", True  # UK GDPR applies UK-wide
    norm = country + sep + sub
    return (norm, True) if norm in _KNOWN_CODES else ("DEFAULT", False)
