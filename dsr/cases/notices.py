"""What a notice to the requester must say, by jurisdiction family. Each rule cites its source
(docs/legal.md §1B); contacts of regulators and Attorneys General are
configuration (config/regulators.toml), never code."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

from dsr.domain.vocabulary import APPEALABLE_STATUSES
from dsr.notifications.catalogue import N_
from dsr.resources import ROOT

DEFAULT_REGULATORS = ROOT / "config" / "regulators.toml"


@lru_cache(maxsize=4)
def regulators(path: str | None = None) -> dict[str, Any]:
    file = Path(path) if path else DEFAULT_REGULATORS
    with file.open("rb") as fh:
        return tomllib.load(fh)


def regulator_for(jurisdiction: str, path: str | None = None) -> dict[str, Any] | None:
    return regulators(path).get(jurisdiction)


def refusal_rights(family: str) -> list[str]:
    """Statements a refusal (in whole or part) must carry, beyond the reasons themselves. In
    English, marked for the catalogues: the e-mail translates them when it is rendered."""
    if family in ("eu_gdpr", "uk_gdpr"):
        # GDPR Art 12(4): reasons, right to complain to a supervisory authority, judicial remedy
        # (also for partial refusals, EDPB GL 01/2022 para 193). UK: ICO guidance adds the right
        # to complain to the controller (DPA 2018 s.164A).
        rights = [
            N_(
                "You have the right to lodge a complaint with a data protection supervisory authority."
            ),
            N_("You have the right to seek a judicial remedy before the courts."),
        ]
        if family == "uk_gdpr":
            rights.insert(0, N_("You may first complain to us about how we handled your request."))
        return rights
    if family == "ca_pipeda":
        # PIPEDA s.8(7): reasons and any recourse under Part 1 (complaint to the Commissioner).
        return [N_("You may complain to the Office of the Privacy Commissioner of Canada.")]
    if family == "ca_qc":
        return [N_("You may ask the Commission d'accès à l'information to review this decision.")]
    if family == "br_lgpd":
        # LGPD Art 18 §1: petition to the ANPD.
        return [N_("You may petition the national data protection authority (ANPD).")]
    return []


def decision_context(
    *,
    family: str,
    jurisdiction: str,
    outcome: str,
    appeal_available: bool,
    regulators_file: str | None,
) -> dict[str, Any]:
    refused = outcome in APPEALABLE_STATUSES  # a refusal in whole or in part
    return {
        "outcome": outcome,
        "refused": refused,
        "rights": refusal_rights(family) if refused else [],
        "appeal_available": refused and appeal_available,
        "regulator": regulator_for(jurisdiction, regulators_file) if refused else None,
    }
