"""Issue 14, item 8: the queue's overview counts (each a link to the filtered queue), search by
reference, the received date, sorting with keyset pages, jurisdictions by name, dates in the
console's format, and reviewers landing on their appeals."""

from __future__ import annotations

import html as html_lib
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dsr.cases.models import Case
from dsr.notifications.outbox import enqueue
from tests.helpers import PASSWORD, Console, auth, csrf_in, make_staff

CASES: sa.Table = Case.__table__  # type: ignore[attr-defined]
ROW = re.compile(r'<th scope="row"><a href="/console/cases/([0-9a-f-]{36})">')
NEXT = re.compile(r'href="/console\?([^"]+)" rel="next"')
COUNT = re.compile(r'<span class="n">(\d+)</span> ([a-z ]+)</a>')


async def _new_case(client: httpx.AsyncClient, token: str, n: int, received: date) -> str:
    body = {
        "type": "access",
        "jurisdiction": "US-CA" if n % 2 else "GB",
        "email": f"person{n}@example.org",
        "full_name": f"Person {n}",
        "received_at": received.isoformat(),
        "channel": "post",
        "identity_verified": True,
    }
    r = await client.post("/api/v1/cases", json=body, headers=auth(token))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _set(app: FastAPI, case_id: str, **values: Any) -> None:
    async with app.state.engine.begin() as conn:
        await conn.execute(
            sa.update(CASES).where(CASES.c.id == uuid.UUID(case_id)).values(**values)
        )


def _ids(html: str) -> list[str]:
    return ROW.findall(html)


def _counts(html: str) -> dict[str, int]:
    section = html.split('id="overview"')[1].split("</ul>")[0]
    return {label.strip(): int(n) for n, label in COUNT.findall(section)}


@pytest.fixture
async def handler(console: Console) -> httpx.AsyncClient:
    """The console of handler@example.com, to whom the built cases are assigned."""
    return await console("handler")


@pytest.fixture
async def api_token(app: FastAPI) -> str:
    return await make_staff(app, "api@example.com", "handler")


@pytest.fixture
async def built(
    app: FastAPI,
    client: httpx.AsyncClient,
    api_token: str,
    handler: httpx.AsyncClient,  # noqa: ARG001 (the assignee must exist first)
) -> dict[str, str]:
    """Hand-built cases, one per situation the overview counts (today is the service's)."""
    token = api_token
    async with app.state.sessionmaker() as s:
        from dsr.auth import repository as auth_repo

        user = await auth_repo.user_by_email(s, "handler@example.com")
        assert user is not None
    today = datetime.now(UTC).date()
    cases: dict[str, str] = {}
    plan: dict[str, dict[str, Any]] = {
        "overdue": {"respond_by": today - timedelta(days=2), "assignee_id": user.id},
        "overdue_unassigned": {"respond_by": today - timedelta(days=1)},
        "today": {"respond_by": today, "assignee_id": user.id, "status": "in_progress"},
        "in_six_days": {"respond_by": today + timedelta(days=6), "assignee_id": user.id},
        "in_seven_days": {"respond_by": today + timedelta(days=7), "assignee_id": user.id},
        "waiting": {
            "respond_by": today + timedelta(days=20),
            "status": "awaiting_info",
            "assignee_id": user.id,
        },
        "denied_overdue": {"respond_by": today - timedelta(days=9), "status": "denied"},
        "later_unassigned": {"respond_by": today + timedelta(days=30)},
    }
    for n, (name, values) in enumerate(plan.items()):
        cases[name] = await _new_case(client, token, n, today - timedelta(days=10 + n))
        await _set(app, cases[name], **values)
    # A failed decision e-mail on the denied case and one being retried on the waiting case.
    async with app.state.sessionmaker() as s, s.begin():
        for name, status, attempts in (("denied_overdue", "failed", 8), ("waiting", "pending", 2)):
            await enqueue(
                s,
                kind="decision",
                recipient="x@example.org",
                dedup_key=f"test:{name}",
                context={},
                case_id=uuid.UUID(cases[name]),
            )
    async with app.state.engine.begin() as conn:
        await conn.execute(
            sa.text(
                "UPDATE outbox_message SET status = 'failed', attempts = 8 WHERE dedup_key = :k"
            ),
            {"k": "test:denied_overdue"},
        )
        await conn.execute(
            sa.text("UPDATE outbox_message SET attempts = 2 WHERE dedup_key = :k"),
            {"k": "test:waiting"},
        )
    return cases


async def test_overview_counts_and_their_links(
    handler: httpx.AsyncClient, built: dict[str, str]
) -> None:
    c = handler
    page = await c.get("/console")
    assert page.status_code == 200
    counts = _counts(page.text)
    assert counts == {
        "overdue": 2,  # the denied one is not open work
        "due this week": 2,  # today and in six days; not in seven
        "waiting for information": 1,
        "unassigned": 2,
        "with a delivery problem": 2,  # failed and being retried, any status
    }
    links = {
        label.strip(): href.replace("&amp;", "&")
        for href, label in re.findall(
            r'<a href="(/console\?[^"]+)"[^>]*><span class="n">\d+</span> ([a-z ]+)</a>', page.text
        )
    }
    want = {
        "overdue": {"overdue", "overdue_unassigned"},
        "due this week": {"today", "in_six_days"},
        "waiting for information": {"waiting"},
        "unassigned": {"overdue_unassigned", "later_unassigned"},
        "with a delivery problem": {"denied_overdue", "waiting"},
    }
    for label, names in want.items():
        shown = set(_ids((await c.get(links[label])).text))
        assert shown == {built[n] for n in names}, label
    # The navigation counts the same cases with a delivery problem, and so does each row.
    assert re.search(r'Delivery problems <span class="count warn">2</span>', page.text)
    problems = (await c.get(links["with a delivery problem"])).text
    assert problems.count('<span class="badge warn">delivery problem</span>') == 2
    # "My cases" is one click.
    mine = (await c.get("/console?assignee=me")).text
    assert set(_ids(mine)) == {
        built[n] for n in ("overdue", "today", "in_six_days", "in_seven_days", "waiting")
    }


async def test_received_column_names_and_dates_in_the_consoles_format(
    handler: httpx.AsyncClient, built: dict[str, str]
) -> None:
    c = handler
    page = (await c.get("/console", params={"status": "all"})).text
    assert '<th scope="col">Received</th>' in page
    assert "US-CA — California" in page
    assert '<option value="US-CA">US-CA — California</option>' in page
    due = (datetime.now(UTC).date() + timedelta(days=7)).strftime("%-d %b %Y")
    r = await c.get("/console", params={"due_before": due})
    assert r.status_code == 200
    assert "not a date" not in r.text
    assert f'value="{due}"' in r.text
    assert set(_ids(r.text)) == {
        built[n] for n in ("overdue", "overdue_unassigned", "today", "in_six_days")
    }
    bad = await c.get("/console", params={"due_before": "31/31/2026"})
    assert "not a date like" in bad.text


async def test_search_by_reference_or_email_stays_a_post(
    handler: httpx.AsyncClient, built: dict[str, str], client: httpx.AsyncClient, api_token: str
) -> None:
    c = handler
    r = await client.get(f"/api/v1/cases/{built['waiting']}", headers=auth(api_token))
    reference = r.json()["reference"]
    page = await c.get("/console")
    for typed in (reference, reference.lower(), reference.replace("DSR-", "").replace("-", "")):
        found = await c.post("/console/search", data={"q": typed, "csrf_token": csrf_in(page.text)})
        assert found.status_code == 200
        assert _ids(found.text) == [built["waiting"]], typed
        assert "1 case with this reference" in found.text
    by_email = await c.post(
        "/console/search", data={"q": "person5@example.org", "csrf_token": csrf_in(page.text)}
    )
    assert _ids(by_email.text) == [built["waiting"]]
    for bad in ("DSR-0000", "<script>"):
        r = await c.post("/console/search", data={"q": bad, "csrf_token": csrf_in(page.text)})
        assert r.status_code == 422
        assert "Enter a case reference" in r.text
    nothing = await c.post(
        "/console/search", data={"q": "DSR-ZZZZ-ZZZZ", "csrf_token": csrf_in(page.text)}
    )
    assert _ids(nothing.text) == []
    assert (await c.get("/console/search", params={"q": reference})).status_code == 405


SORT_KEYS = {
    "": lambda c: (c["respond_by"], c["id"]),
    "reference": lambda c: (c["reference"], c["id"]),
    "status": lambda c: (c["status"], c["respond_by"], c["id"]),
}


@pytest.mark.parametrize("sort", ["", "received", "reference", "status"])
async def test_sorting_pages_through_every_case_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    handler: httpx.AsyncClient,
    api_token: str,
    built: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    sort: str,
) -> None:
    from dsr.web.console import queue

    monkeypatch.setattr(queue, "PAGE_SIZE", 3)
    every = []
    for case_id in built.values():
        r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(api_token))
        body = r.json()
        every.append(
            {
                **body,
                "received_date": body["received_at"][:10],
                "respond_by": body["deadlines"]["respond_by"],
            }
        )
    # Received dates tie on purpose: the id breaks ties, and no page repeats or skips a case.
    await _set(app, built["today"], received_date=date.fromisoformat(every[1]["received_date"]))
    every[2]["received_date"] = every[1]["received_date"]
    c = handler
    query: str | None = f"status=all&sort={sort}"
    shown: list[str] = []
    pages = 0
    while query is not None:
        html = (await c.get("/console?" + query)).text
        assert "not valid" not in html
        shown.extend(_ids(html))
        pages += 1
        match = NEXT.search(html)
        query = html_lib.unescape(match.group(1)) if match else None
        assert query is None or f"sort={sort}" in query or not sort
    assert pages == 3
    if sort == "received":
        expected = sorted(every, key=lambda c: (c["received_date"], c["id"]), reverse=True)
    else:
        expected = sorted(every, key=SORT_KEYS[sort])
    assert shown == [c["id"] for c in expected]


@pytest.mark.usefixtures("built")
async def test_a_cursor_of_another_order_is_refused_gently(
    handler: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsr.web.console import queue

    monkeypatch.setattr(queue, "PAGE_SIZE", 3)
    c = handler
    html = (await c.get("/console?status=all&sort=reference")).text
    match = NEXT.search(html)
    assert match
    cursor = re.search(r"cursor=([^&]+)", html_lib.unescape(match.group(1)))
    assert cursor
    r = await c.get("/console", params={"status": "all", "sort": "status", "cursor": cursor[1]})
    assert r.status_code == 200
    assert "That page link is not valid" in r.text
    r = await c.get("/console", params={"sort": "nonsense"})
    assert "Unknown order" in r.text


async def test_reviewers_land_on_their_appeals(app: FastAPI) -> None:
    await make_staff(app, "reviewer@example.com", "reviewer")
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50001))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        page = await c.get("/console/login")
        r = await c.post(
            "/console/login",
            data={
                "email": "reviewer@example.com",
                "password": PASSWORD,
                "csrf_token": csrf_in(page.text),
            },
        )
        assert r.status_code == 303
        assert r.headers["location"] == "/console/appeals"
