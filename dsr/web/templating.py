"""The pages' Jinja environment, shared by the public pages and the console. Translations are
chosen per request: the i18n extension's gettext reads the language of the request being served
(dsr.i18n.catalogues, set by dsr.web.language); the console never sets one, so it renders English."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode

from babel.dates import format_date as babel_format_date
from fastapi import Request
from fastapi.templating import Jinja2Templates

from dsr.i18n import LANGUAGES, NATIVE_NAMES, locale
from dsr.i18n.catalogues import (
    current_language,
    format_date,
    gettext_current,
    ngettext_current,
)
from dsr.resources import TEMPLATES

templates = Jinja2Templates(directory=str(TEMPLATES))
_env = templates.env
_env.add_extension("jinja2.ext.i18n")
_env.policies["ext.i18n.trimmed"] = True
_env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext_current, ngettext_current, newstyle=True
)


def _local_date(value: date | datetime | str | None) -> str:
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, current_language())


def _language_href(request: Request, code: str) -> str:
    """This page in another language. Only the capability a page needs travels with it: other
    query parameters (a DRP agent's `redirect_to`, say) are not echoed into the page."""
    kept = {k: v for k, v in request.query_params.items() if k in _KEPT_PARAMS}
    return f"{request.url.path}?{urlencode({**kept, 'lang': code})}"


_KEPT_PARAMS = ("token", "request_id")

_env.globals["language_href"] = _language_href


def _keep_language(separator: str = "?") -> str:
    """A form's action keeps the page's language, so the page after the POST speaks it too
    (the browser's Accept-Language may say otherwise); nothing for English."""
    lang = current_language()
    return "" if lang == "en" else f"{separator}lang={lang}"


_env.globals["keep_language"] = _keep_language


def _month_name(value: date | datetime) -> str:
    """The month as the page's language names it within a date ("janvier", "Januar", "enero"),
    for a sentence that places day, month and year itself (strftime would write English)."""
    return babel_format_date(value, "MMMM", locale=locale(current_language()))


_env.filters["local_date"] = _local_date
_env.filters["month_name"] = _month_name
_env.globals["current_language"] = current_language
_env.globals["languages"] = [(code, NATIVE_NAMES[code]) for code in LANGUAGES]
# Text that comes from Python (an error's title), translated when its msgid is in a catalogue
# and shown as it is otherwise; no %-formatting, unlike _(), so any message is safe.
_env.globals["translate"] = gettext_current
