"""Requester languages (README, "Languages"): which ones dsr speaks, how one is chosen, and the
Babel catalogues that translate the public pages and the e-mails to requesters and agents.
Staff e-mails and the console stay English: they never ask for a language."""

from __future__ import annotations

from collections.abc import Iterable

from babel import Locale, negotiate_locale
from babel.core import UnknownLocaleError

# BCP 47 tags, as requests carry them (design §4.3). The msgids are English: "en" has no catalogue.
LANGUAGES: tuple[str, ...] = ("en", "fr", "fr-CA", "de", "es")
DEFAULT = "en"
# Quebec's Charter of the French language: French unless the requester chose another language.
JURISDICTION_DEFAULTS: dict[str, str] = {"CA-QC": "fr-CA"}
# The names a language selector shows: each in its own language.
NATIVE_NAMES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "fr-CA": "Français (Canada)",
    "de": "Deutsch",
    "es": "Español",
}


def normalise(tag: str | None) -> str | None:
    """The supported tag for `tag` (case and `_` forgiven: `FR_ca` is `fr-CA`), else None."""
    if not tag:
        return None
    wanted = tag.strip().replace("_", "-").lower()
    for lang in LANGUAGES:
        if lang.lower() == wanted:
            return lang
    return None


def babel_locale(lang: str) -> str:
    """`fr-CA` -> `fr_CA`: Babel's and gettext's spelling, also the catalogue's directory."""
    return lang.replace("-", "_")


def parse_accept_language(header: str | None) -> list[str]:
    """The header's tags, most wanted first (q=0 dropped); malformed parts are skipped."""
    weighted: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and q > 0:
            weighted.append((-q, i, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(preferred: Iterable[str]) -> str | None:
    """Babel's negotiation over our languages: `fr-BE` finds `fr`, `fr-CA` finds `fr-CA`."""
    available = [babel_locale(lang) for lang in LANGUAGES]
    found = negotiate_locale([babel_locale(p) for p in preferred], available, sep="_")
    return normalise(found) if found else None


def choose(
    *,
    explicit: str | None = None,
    accept_language: str | None = None,
    jurisdiction: str | None = None,
) -> str:
    """An explicit choice (form, ?lang=, API) wins; then the jurisdiction's default (Quebec:
    French, whatever the browser says); then the browser's Accept-Language; then English."""
    if lang := normalise(explicit):
        return lang
    if jurisdiction and jurisdiction.upper() in JURISDICTION_DEFAULTS:
        return JURISDICTION_DEFAULTS[jurisdiction.upper()]
    if lang := negotiate(parse_accept_language(accept_language)):
        return lang
    return DEFAULT


def locale(lang: str) -> Locale:
    try:
        return Locale.parse(babel_locale(lang))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")
