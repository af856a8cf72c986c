"""The queue's filters and order as they travel in the URL: codes, ids and dates only, never
personal data. A bad value in a link is dropped with a message, so a bad link still shows a
queue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime

from dsr.cases.overview import week_end
from dsr.cases.sorting import SORTS
from dsr.domain.vocabulary import ACTIVE_STATUSES, CaseStatus, RequestType
from dsr.queues import CaseQuery, parse_assignee
from dsr.web.console.links import QueryLinks

PAGE_SIZE = 50
DUE = ("overdue", "week")
# The console shows dates as "5 Dec 2026" (render.fmt_date); the filter takes them so, or as
# the date field of some browsers sends them (2026-12-05).
DATE_FORMATS = ("%d %b %Y", "%d %B %Y", "%Y-%m-%d")


def parse_date(raw: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            # A calendar date, no time of day: the zone does not come into it.
            return datetime.strptime(raw.strip(), fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class QueueQuery(QueryLinks):
    status: str = ""  # "" = open work, "all", or one status
    type: str = ""
    jurisdiction: str = ""
    assignee: str = ""  # "", "me", "none" or a staff user id
    due: str = ""  # "", "overdue" or "week" (the overview's links)
    delivery: str = ""  # "" or "problem"
    due_before: str = ""  # ISO once parsed
    sort: str = ""  # "" = by deadline, or one of sorting.ORDERS
    cursor: str = ""

    @classmethod
    def parse(cls, params: Mapping[str, str], codes: set[str]) -> tuple[QueueQuery, list[str]]:
        errors: list[str] = []
        values = {f.name: str(params.get(f.name, "")).strip()[:200] for f in fields(cls)}
        if values["status"] not in ("", "all", *CaseStatus):
            errors.append("Unknown status filter; showing open work.")
            values["status"] = ""
        values["jurisdiction"] = values["jurisdiction"].upper()
        if values["jurisdiction"] not in ("", *codes):
            errors.append("Unknown jurisdiction filter; showing all jurisdictions.")
            values["jurisdiction"] = ""
        cls._parse_more(values, errors)
        return cls(**values), errors

    @staticmethod
    def _parse_more(values: dict[str, str], errors: list[str]) -> None:
        if values["type"] and values["type"] not in frozenset(RequestType):
            errors.append("Unknown request type filter; showing all types.")
            values["type"] = ""
        try:
            parse_assignee(values["assignee"])
        except ValueError:
            errors.append("Unknown assignee filter; showing everyone's cases.")
            values["assignee"] = ""
        if values["due"] not in ("", *DUE):
            errors.append("Unknown deadline filter; it was ignored.")
            values["due"] = ""
        if values["delivery"] not in ("", "problem"):
            values["delivery"] = ""
        if values["sort"] not in ("", *SORTS) or values["sort"] == "deadline":
            if values["sort"] != "deadline":
                errors.append("Unknown order; sorted by deadline.")
            values["sort"] = ""
        if values["due_before"]:
            parsed = parse_date(values["due_before"])
            if parsed is None:
                errors.append(
                    "The 'due before' date is not a date like 5 Dec 2026; it was ignored."
                )
            values["due_before"] = parsed.isoformat() if parsed else ""

    @property
    def due_before_date(self) -> date | None:
        return date.fromisoformat(self.due_before) if self.due_before else None

    def case_query(self) -> CaseQuery:
        """The shared query model (dsr.queues), as the JSON API builds it; parse() has made
        every value valid. No status means open work, "all" every status."""
        statuses: tuple[CaseStatus, ...] = tuple(sorted(ACTIVE_STATUSES))
        if self.status == "all":
            statuses = ()
        elif self.status:
            statuses = (CaseStatus(self.status),)
        return CaseQuery(
            statuses=statuses,
            types=(RequestType(self.type),) if self.type else (),
            jurisdictions=(self.jurisdiction,) if self.jurisdiction else (),
            assignee=parse_assignee(self.assignee),
            due_before=self.due_before_date,
            cursor=self.cursor or None,
            limit=PAGE_SIZE,
        )

    def deadline_range(self, today: date) -> tuple[date | None, date | None]:
        """(on or after, before) for respond_by from the overview's deadline filters."""
        before = self.due_before_date
        if self.due == "overdue":
            return None, min(today, before) if before else today
        if self.due == "week":
            end = week_end(today)
            return today, min(end, before) if before else end
        return None, before
