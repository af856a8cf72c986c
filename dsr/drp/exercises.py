"""What a DRP exercise and regime mean here (spec §3.01): pure mappings, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from dsr.domain.vocabulary import RequestType

# Both spellings of each right: the spec moved from `_` to `-` in 1.0 and agents send either.
EXERCISES: dict[str, RequestType] = {
    "sale:opt-out": RequestType.OPT_OUT,
    "sale:opt_out": RequestType.OPT_OUT,
    "deletion": RequestType.DELETION,
    "access": RequestType.ACCESS,
    "access:categories": RequestType.ACCESS,
    "access:specific": RequestType.ACCESS,
}
# Rights of the spec we do not take on (re-consent to sale): denied as not covered.
KNOWN_UNSUPPORTED = frozenset({"sale:opt-in", "sale:opt_in"})
VOLUNTARY = frozenset({"", "voluntary"})
REGIMES = {"ccpa": "US-CA"}


@dataclass(frozen=True)
class Mapped:
    exercise: str
    regime: str | None
    request_type: RequestType | None = None
    jurisdiction: str | None = None
    denial: str | None = None  # the spec's denied reason when we cannot serve it


def map_exercise(exercise: str, regime: str | None, voluntary_jurisdiction: str) -> Mapped:
    name = exercise.strip().lower()
    reg = (regime or "").strip().lower()
    if reg not in VOLUNTARY and reg not in REGIMES:
        return Mapped(name, reg, denial="outside_jurisdiction")
    request_type = EXERCISES.get(name)
    if request_type is None:
        return Mapped(name, reg or None, denial="claim_not_covered")
    jurisdiction = REGIMES.get(reg, voluntary_jurisdiction)
    return Mapped(name, reg or None, request_type, jurisdiction)
