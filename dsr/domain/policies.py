"""A jurisdiction's deadline policy: the data the deadline engine computes with. A field that
rests on a fact docs/legal.md marks [U] (unconfirmed) is named in the policy's ``unconfirmed``
tuple so the docs and the staff console can list it; every field can be overridden by
configuration (DSR_DEADLINE_OVERRIDES)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal, get_args

from dsr.domain.periods import Period

ClockRule = Literal["none", "pause", "restart", "wait"]


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
    unconfirmed: tuple[str, ...] = ()  # fields resting on [U] facts in docs/legal.md
    known: bool = True  # False: unknown jurisdiction, flagged for staff
    sources: tuple[str, ...] = ()
    refusal_notice: Period | None = None  # None: the refusal notice is due with the response
    # Opt-out requests (RequestType.OPT_OUT) have their own clock in some laws (docs/legal.md,
    # "Opt-outs"): None = the general `respond` period; whether the general extension and
    # acknowledgement deadlines apply to them.
    opt_out_respond: Period | None = None
    opt_out_extension: bool = True
    opt_out_acknowledge: bool = True

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
        self._check_simple_fields()
        if self.appeal_extended_total is not None and self.appeal is None:
            raise ValueError(f"{self.code}: appeal_extended_total needs an appeal period")
        unknown = set(self.unconfirmed) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ValueError(f"{self.code}: unconfirmed names unknown fields {sorted(unknown)}")

    def _check_simple_fields(self) -> None:
        for name in _BOOL_FIELDS:
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{self.code}: {name} must be true or false")
        if not isinstance(self.holiday_calendar, str | None):
            raise ValueError(f"{self.code}: holiday_calendar must be a calendar name or None")


_OPTIONAL_PERIODS = (
    "extended_total",
    "acknowledge",
    "appeal",
    "appeal_extended_total",
    "refusal_notice",
    "opt_out_respond",
)
_BOOL_FIELDS = (
    "roll_forward",
    "extension_notice_within_first_period",
    "known",
    "opt_out_extension",
    "opt_out_acknowledge",
)


def for_request_type(policy: JurisdictionPolicy, request_type: str) -> JurisdictionPolicy:
    """The policy a request of `request_type` runs under: an opt-out takes the jurisdiction's
    opt-out clock. The result is what a case records, so its dates stay reproducible."""
    if request_type != "opt_out":
        return policy
    return dataclasses.replace(
        policy,
        respond=policy.opt_out_respond or policy.respond,
        extended_total=policy.extended_total if policy.opt_out_extension else None,
        acknowledge=policy.acknowledge if policy.opt_out_acknowledge else None,
    )


# EU-27 + Iceland, Liechtenstein, Norway: every EU/EEA member-state code maps to "EU".
_EEA = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO"
EEA_MEMBER_CODES: frozenset[str] = frozenset(_EEA.split())
