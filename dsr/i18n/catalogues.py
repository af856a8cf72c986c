"""The compiled Babel catalogues (dsr/locale/<locale>/LC_MESSAGES/messages.mo) and the
translations chosen for what is being rendered now.

`.mo` files are built, not committed: `dsr serve` and scripts/test compile them (README,
"Languages"). Should one be missing anyway (a read-only install), its `.po` is compiled in memory
and a warning is logged once, so requesters still read their language."""

from __future__ import annotations

import contextlib
import gettext
import io
import logging
import os
import tempfile
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date as babel_format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from dsr.i18n import DEFAULT, babel_locale, locale, normalise

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
log = logging.getLogger(__name__)


def _po(loc: str) -> Path:
    return LOCALE_DIR / loc / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalogues(directory: Path = LOCALE_DIR) -> list[Path]:
    """Write each `.mo` that is missing or older than its `.po`; returns those written. Atomic
    (a temporary file renamed), so processes compiling at once never read half a file."""
    written = []
    for po in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh)
        fd, tmp = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as out:
            write_mo(out, catalog)  # fuzzy entries are left out, as pybabel compile does
        os.replace(tmp, mo)
        written.append(mo)
    return written


def _load_one(loc: str) -> gettext.NullTranslations | None:
    mo = _po(loc).with_suffix(".mo")
    # A .mo older than its .po (a catalogue edited since the last compile) is not trusted: the
    # .po is read instead, so an edited translation never silently goes unused.
    po = _po(loc)
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return Translations(fp=fh, domain=DOMAIN)
    if not _po(loc).exists():
        return None
    _warn_missing_once()
    with _po(loc).open("rb") as fh:
        catalog = read_po(fh)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


@lru_cache(maxsize=1)
def _warn_missing_once() -> None:
    log.warning(
        "compiled catalogues missing or older than their .po files: reading the .po files "
        "(run `dsr serve` or scripts/test)"
    )


@lru_cache(maxsize=8)
def translations(lang: str) -> gettext.NullTranslations:
    """`fr-CA` reads fr_CA first and falls back to fr (only Quebec's differences are in fr_CA);
    English, the msgids' language, translates nothing."""
    loc = babel_locale(normalise(lang) or DEFAULT)
    base = loc.split("_")[0]
    if base == "en":
        return gettext.NullTranslations()
    general = _load_one(base)
    if loc == base or (regional := _load_one(loc)) is None:
        return general or gettext.NullTranslations()
    if general is not None:
        regional.add_fallback(general)
    return regional


def format_date(value: date | str | None, lang: str) -> str:
    """A date the way the language writes it, long form: 15 January 2027, 15 janvier 2027.
    English uses the day-month-year order too: unambiguous to readers on both sides of the
    Atlantic."""
    if value is None or value == "":
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    lang = normalise(lang) or DEFAULT
    loc = "en_GB" if lang == "en" else str(locale(lang))
    text = babel_format_date(day, format="long", locale=loc)
    if day.day == 1 and loc.startswith("fr") and text.startswith("1 "):
        # French writes the first of the month as an ordinal ("1er janvier"); CLDR's long
        # pattern has the plain number.
        text = "1er" + text[1:]
    return text


# The language of what is being rendered now: a public page sets it per request; anything that
# does not (the console, staff e-mails) renders English.
_current: ContextVar[str] = ContextVar("dsr_language", default=DEFAULT)


def current_language() -> str:
    return _current.get()


def set_language(lang: str) -> None:
    _current.set(normalise(lang) or DEFAULT)


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    token = _current.set(normalise(lang) or DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def gettext_current(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext_current(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)
