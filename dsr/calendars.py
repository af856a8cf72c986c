"""Holiday calendars for the deadline engine, built with the maintained ``holidays`` library.

Names (see ``dsr.domain.deadlines.JurisdictionPolicy.holiday_calendar``):

* ``"weekends-only"`` — no public holidays (the most conservative business-day calendar).
* ``"US"`` — US federal legal public holidays, 5 U.S.C. 6103, with the observed rule (Saturday
  holiday -> preceding Friday, Sunday -> following Monday; docs/legal.md §2.3, SRC-OKWB-6103). Only the
  library's ``public`` category: one-off executive-order closings (its ``government`` category)
  are not legal public holidays under 6103.
* ``"GB-ENG"`` (also ``GB-WLS``, ``GB-SCT``, ``GB-NIR``) — UK bank holidays of that nation,
  including the substitute days, which are bank holidays in their own right (docs/legal.md §3 lists
  28 Dec 2026 as an E&W bank holiday).
* any other ISO 3166-1 alpha-2 code the library supports (e.g. ``"IE"``, ``"DE"``) — that country's
  nationwide public holidays on their own dates, *without* the library's "observed"/substitute
  days. Used for the EU roll-forward (Reg 1182/71 Art 3(4)), whose "public holidays" are the days
  the Member State designates (Art 2(1)). Whether a weekend holiday's substitute weekday counts is
  not confirmed for any Member State [U]; leaving substitutes out can only make a rolled deadline
  earlier, never later, so it is the conservative reading. The library marks no substitute days
  for Ireland (0.109: St Stephen's Day, Sat 26 Dec 2026, has no Monday substitute), matching the
  research vector EU 2026-11-25 -> 2026-12-28; for e.g. BG, LV and GR it does, and they are
  dropped here.
"""

from __future__ import annotations

import re
import threading
from datetime import date
from functools import lru_cache

import holidays
from holidays.constants import PUBLIC

from dsr.domain.deadlines import WEEKENDS_ONLY, HolidayCalendar

_GB_NATIONS = frozenset({"ENG", "WLS", "SCT", "NIR"})


class LibraryCalendar:
    """Public holidays from ``holidays``; one immutable set per year, built once under a lock."""

    def __init__(self, name: str, country: str, *, subdiv: str | None, observed: bool) -> None:
        self.name = name
        self._country, self._subdiv, self._observed = country, subdiv, observed
        self._years: dict[int, frozenset[date]] = {}
        self._lock = threading.Lock()

    def _year(self, year: int) -> frozenset[date]:
        days = self._years.get(year)
        if days is None:
            with self._lock:
                days = self._years.get(year)
                if days is None:
                    table = holidays.country_holidays(
                        self._country,
                        subdiv=self._subdiv,
                        years=year,
                        observed=self._observed,
                        categories=PUBLIC,
                    )
                    days = self._years[year] = frozenset(table)
        return days

    def is_holiday(self, d: date) -> bool:
        return d in self._year(d.year)

    def __repr__(self) -> str:
        return f"LibraryCalendar({self.name!r})"


def calendar(name: str) -> HolidayCalendar:
    """The holiday calendar called ``name`` (case-insensitive); one shared instance per name."""
    if not isinstance(name, str):
        raise ValueError(f"holiday calendar name must be a string, got {name!r}")
    return _calendar(name.strip().upper().replace("_", "-"))


@lru_cache(maxsize=64)
def _calendar(key: str) -> HolidayCalendar:
    if key == "WEEKENDS-ONLY":
        return WEEKENDS_ONLY
    if key == "US":  # 5 U.S.C. 6103, observed rule included
        return LibraryCalendar("US", "US", subdiv=None, observed=True)
    country, _, nation = key.partition("-")
    if country == "GB" and nation in _GB_NATIONS:
        return LibraryCalendar(key, "GB", subdiv=nation, observed=True)
    if (
        re.fullmatch(r"[A-Z]{2}", key)
        and key not in ("GB", "UK")
        and key in holidays.list_supported_countries()
    ):
        return LibraryCalendar(key, key, subdiv=None, observed=False)
    raise ValueError(
        f"unknown holiday calendar {key!r}: expected 'weekends-only', 'US', "
        "'GB-ENG' (or GB-WLS, GB-SCT, GB-NIR) or an ISO 3166-1 alpha-2 country code "
        "supported by the holidays library (e.g. 'IE', 'DE')"
    )
