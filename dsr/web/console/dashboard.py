"""The dashboard (issue 13) for every staff role: /console/dashboard with a table for each
chart, and each chart as an SVG image under /console/dashboard/charts/. Filters travel in the
query string (dates and a jurisdiction code, never personal data); a bad one is reported and
the default used instead, so a bad link still shows a dashboard."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.reports import dashboard
from dsr.reports.dashboard import MAX_DAYS, PERCENTILES, Period
from dsr.reports.metrics import FIRST_YEAR, LAST_YEAR
from dsr.settings import Settings
from dsr.web.console import charts
from dsr.web.console.queue import jurisdiction_codes
from dsr.web.console.render import page
from dsr.web.console.session import ConsoleUser

router = APIRouter()


def _date(raw: str) -> date | None:
    try:
        found = date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    # Years dsr can have records of; far dates would overflow the period's arithmetic.
    return found if found is None or FIRST_YEAR <= found.year <= LAST_YEAR else None


def parse(params: Mapping[str, str], settings: Settings, today: date) -> tuple[Period, list[str]]:
    errors: list[str] = []
    first, last = dashboard.default_period(today)
    raw_from, raw_to = params.get("from", "").strip(), params.get("to", "").strip()
    start, end = _date(raw_from[:10]), _date(raw_to[:10])
    if (raw_from and start is None) or (raw_to and end is None):
        errors.append("A date was not understood (use YYYY-MM-DD); the default is shown.")
    end = end or last
    start = start or min(first, end)
    if start > end:
        errors.append("The period started after it ended; showing the 12 weeks to its end.")
        start = end - (last - first)
    if (end - start).days >= MAX_DAYS:
        errors.append("The longest period shown is two years; the metrics report covers more.")
        start = end - timedelta(days=MAX_DAYS - 1)
    code = params.get("jurisdiction", "").strip()[:10]
    if code and code not in jurisdiction_codes(settings):
        errors.append("Unknown jurisdiction; showing all.")
        code = ""
    return Period(start, end, code or None), errors


def _query(period: Period) -> str:
    values = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    if period.jurisdiction:
        values["jurisdiction"] = period.jurisdiction
    return urlencode(values)


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard_page(
    request: Request, principal: ConsoleUser, session: SessionDep, settings: SettingsDep
) -> HTMLResponse:
    today = settings.today(utcnow())
    period, errors = parse(request.query_params, settings, today)
    data = await dashboard.build(session, settings=settings, period=period, today=today)
    context = {
        "nav": "dashboard",
        "d": data,
        "filter_errors": errors,
        "codes": jurisdiction_codes(settings),
        "query": _query(period),
        "percentiles": PERCENTILES,
        "charts": charts,
    }
    return page(request, "dashboard.html", context, principal)


@router.get("/dashboard/charts/{name}.svg", response_class=Response)
async def dashboard_chart(
    name: charts.Chart,
    request: Request,
    principal: ConsoleUser,  # noqa: ARG001 (the dependency is the check)
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    today = settings.today(utcnow())
    period, _ = parse(request.query_params, settings, today)
    part = charts.CHARTS[name][0]
    data = await dashboard.build(
        session, settings=settings, period=period, today=today, parts=frozenset({part})
    )
    return Response(
        charts.render(name, data),
        media_type="image/svg+xml",
        headers={"Cache-Control": "private, no-store"},
    )
