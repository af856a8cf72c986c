"""The staff console over HTTP (httpx against the app): login and logout, redirects, CSRF on
every form and on API calls made with the session cookie, stale forms, role checks, and that
personal data never travels in a URL."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dsr.auth import service
from tests.helpers import (
    HREF,
    PASSWORD,
    Mailbox,
    NewBrowser,
    act,
    auth,
    confirm_form,
    csrf_in,
    deliver,
    events,
    found,
    login,
    make_staff,
    open_case,
    token_of_page,
)


async def add_staff(app: FastAPI, email: str, role: str) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await service.create_user(session, email, role, PASSWORD)


async def case_page(c: httpx.AsyncClient, case_id: str) -> tuple[str, int, str]:
    """(html, the version the forms carry, csrf token)."""
    r = await c.get(f"/console/cases/{case_id}")
    assert r.status_code == 200, r.text
    version = int(found(r'name="expected_version" value="(\d+)"', r.text))
    return r.text, version, csrf_in(r.text)


async def post_action(
    c: httpx.AsyncClient, case_id: str, action: str, **fields: Any
) -> httpx.Response:
    _, version, token = await case_page(c, case_id)
    data = {"action": action, "expected_version": str(version), "csrf_token": token, **fields}
    r = await c.post(f"/console/cases/{case_id}/actions", data=data)
    if r.status_code == 200 and 'class="check-confirm"' in r.text:
        # A decision that e-mails the requester shows the notice first: confirm it, as a handler
        # would (tests/api/test_console_check_step.py tests the step itself).
        url, confirm = confirm_form(r.text)
        r = await c.post(url, data=confirm)
    return r


async def case_json(client: httpx.AsyncClient, token: str, case_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(token))
    assert r.status_code == 200
    return dict(r.json())


@pytest.fixture
async def admin_token(app: FastAPI) -> str:
    return await make_staff(app, "admin@example.com", "admin", PASSWORD)


@pytest.fixture
async def team(app: FastAPI, admin_token: str) -> str:
    for email, role in [
        ("handler@example.com", "handler"),
        ("handler2@example.com", "handler"),
        ("reviewer@example.com", "reviewer"),
        ("auditor@example.com", "auditor"),
    ]:
        await add_staff(app, email, role)
    return admin_token


# --- login, logout, redirects -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/console",
        "/console/cases",
        "/console/cases/00000000-0000-4000-8000-000000000001",  # fixed: xdist workers collect alike
        "/console/data-systems",
        "/console/notifications",
        "/console/access",
        "/console/new",
    ],
)
async def test_pages_redirect_to_login_when_logged_out(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path)
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login"


async def test_posts_redirect_to_login_when_logged_out(client: httpx.AsyncClient) -> None:
    r = await client.post(f"/console/cases/{uuid.uuid4()}/actions", data={"action": "note"})
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login"


@pytest.mark.usefixtures("team")
async def test_login_regenerates_the_session_and_logout_ends_it(browser_for: NewBrowser) -> None:
    c = await browser_for()
    page = await c.get("/console/login")
    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.text
    before_session = c.cookies.get("dsr_session")
    before_csrf = csrf_in(page.text)

    r = await login(c, "handler@example.com", "wrong password!")
    assert r.status_code == 401
    assert "not right" in r.text
    assert (await c.get("/console")).status_code == 303

    r = await login(c, "handler@example.com")
    assert r.status_code == 303
    assert r.headers["location"] == "/console"
    assert c.cookies.get("dsr_session") != before_session
    queue = await c.get("/console")
    assert queue.status_code == 200
    assert "handler@example.com" in queue.text
    token = csrf_in(queue.text)
    assert token != before_csrf  # a new token at login
    assert queue.headers["cache-control"] == "no-store"
    assert (await c.get("/console/login")).headers["location"] == "/console"

    r = await c.post("/console/logout", data={})
    assert r.status_code == 403  # logging out is a form like any other
    assert (await c.get("/console")).status_code == 200
    r = await c.post("/console/logout", data={"csrf_token": token})
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login"
    assert (await c.get("/console")).status_code == 303
    assert "logged out" in (await c.get("/console/login")).text


@pytest.mark.usefixtures("team")
async def test_login_returns_to_the_page_asked_for(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, browser_for: NewBrowser
) -> None:
    case_id = await open_case(client, app, mailbox)
    c = await browser_for()
    r = await c.get(f"/console/cases/{case_id}")  # a link in an e-mail, before logging in
    assert r.headers["location"] == "/console/login"
    r = await login(c, "handler@example.com")
    assert r.status_code == 303
    assert r.headers["location"] == f"/console/cases/{case_id}"
    other = await browser_for()
    await other.get("/console?status=all&type=access")
    r = await login(other, "handler@example.com")
    assert r.headers["location"] == "/console?status=all&type=access"


@pytest.mark.usefixtures("team")
async def test_login_needs_csrf_and_is_rate_limited(app: FastAPI, browser_for: NewBrowser) -> None:
    c = await browser_for()
    await c.get("/console/login")
    r = await c.post("/console/login", data={"email": "handler@example.com", "password": PASSWORD})
    assert r.status_code == 403
    assert (await c.get("/console")).status_code == 303
    from dsr.ratelimit import RateLimiter

    app.state.rate_limiter = RateLimiter("100/minute", "100/minute", "2/minute")
    assert (await login(c, "handler@example.com", "wrong password!")).status_code == 401
    assert (await login(c, "handler@example.com", "wrong password!")).status_code == 401
    r = await login(c, "handler@example.com")
    assert r.status_code == 429
    assert "too many" in r.text.lower()


@pytest.mark.usefixtures("team")
async def test_inactive_user_is_logged_out(app: FastAPI, browser_for: NewBrowser) -> None:
    c = await browser_for("handler@example.com")
    assert (await c.get("/console")).status_code == 200
    async with app.state.engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE staff_user SET is_active = false WHERE email = 'handler@example.com'")
        )
    assert (await c.get("/console")).status_code == 303


# --- CSRF ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("team")
async def test_forms_without_or_with_a_wrong_csrf_token_are_refused(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, browser_for: NewBrowser
) -> None:
    case_id = await open_case(client, app, mailbox)
    c = await browser_for("handler@example.com")
    _, version, token = await case_page(c, case_id)
    before = await events(app, case_id)
    form = {"action": "note", "text": "hello", "expected_version": str(version)}
    url = f"/console/cases/{case_id}/actions"
    assert (await c.post(url, data=form)).status_code == 403
    r = await c.post(url, data={**form, "csrf_token": "0" * 40})
    assert r.status_code == 403
    assert "nothing was changed" in r.text
    # Another user's valid token does not work in this session either.
    other = await browser_for("handler2@example.com")
    r = await c.post(url, data={**form, "csrf_token": await token_of_page(other)})
    assert r.status_code == 403
    # The token in the body but no cookie (a forged cross-site form cannot send it either).
    c.cookies.delete("dsr_csrf")
    assert (await c.post(url, data={**form, "csrf_token": token})).status_code == 403
    assert await events(app, case_id) == before
    for path in [
        "/console/cases/bulk",
        "/console/search",
        "/console/new",
        "/console/data-systems",
        f"/console/data-systems/{uuid.uuid4()}/deactivate",
        "/console/notifications/1/retry",
        f"/console/access/users/{uuid.uuid4()}/deactivate",
        f"/console/access/tokens/{uuid.uuid4()}/revoke",
        f"/console/cases/{case_id}/tasks/{uuid.uuid4()}",
    ]:
        assert (await c.post(path, data={"x": "y"})).status_code == 403, path
    assert await events(app, case_id) == before


async def test_api_calls_with_the_session_cookie_need_the_csrf_header(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, browser_for: NewBrowser, team: str
) -> None:
    case_id = await open_case(client, app, mailbox)
    c = await browser_for("handler@example.com")
    token = await token_of_page(c)
    # Reading with the cookie is fine; writing needs the header.
    assert (await c.get(f"/api/v1/cases/{case_id}")).status_code == 200
    body = {"action": "note", "text": "from the console"}
    r = await c.post(f"/api/v1/cases/{case_id}/actions", json=body)
    assert r.status_code == 403
    assert "X-CSRF-Token" in r.json()["detail"]
    r = await c.post(
        f"/api/v1/cases/{case_id}/actions", json=body, headers={"X-CSRF-Token": "f" * 40}
    )
    assert r.status_code == 403
    assert "note" not in await events(app, case_id)
    r = await c.post(f"/api/v1/cases/{case_id}/actions", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text
    # Bearer tokens are not cookies: no CSRF header needed.
    r = await act(client, team, case_id, "note", text="by token")
    assert r.status_code == 200


# --- queue -----------------------------------------------------------------------------------


async def test_queue_sorted_by_deadline_with_filters_and_no_personal_data_in_urls(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, browser_for: NewBrowser, team: str
) -> None:
    ca = await open_case(client, app, mailbox, jurisdiction="US-CA", email="ca@example.org")
    br = await open_case(client, app, mailbox, jurisdiction="BR", email="br@example.org")
    de = await open_case(
        client, app, mailbox, jurisdiction="DE", email="de@example.org", type="deletion"
    )
    ref = {cid: (await case_json(client, team, cid))["reference"] for cid in (ca, br, de)}
    # An overdue case: its deadline moved into the past.
    async with app.state.engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE case_record SET respond_by = '2020-01-10' WHERE reference = :r"),
            {"r": ref[ca]},
        )
    c = await browser_for("handler@example.com")
    r = await c.get("/console")
    html = r.text
    order = [html.index(ref[x]) for x in (ca, br, de)]
    assert order == sorted(order), "soonest deadline first"
    assert "Overdue" in html
    assert 'class="is-overdue"' in html

    r = await c.get("/console", params={"jurisdiction": "BR"})
    assert ref[br] in r.text
    assert ref[ca] not in r.text
    assert ref[de] not in r.text
    r = await c.get("/console", params={"type": "deletion"})
    assert ref[de] in r.text
    assert ref[br] not in r.text
    r = await c.get("/console", params={"due_before": "2021-01-01"})
    assert ref[ca] in r.text
    assert ref[br] not in r.text
    r = await c.get("/console", params={"status": "in_progress"})
    assert "No cases match" in r.text

    await post_action(c, br, "assign", assignee="handler@example.com")
    r = await c.get("/console", params={"assignee": "me"})
    assert ref[br] in r.text
    assert ref[ca] not in r.text
    r = await c.get("/console", params={"assignee": "none"})
    assert ref[br] not in r.text
    assert ref[ca] in r.text
    r = await c.get("/console", params={"status": "nonsense", "assignee": "x", "due_before": "y"})
    assert r.status_code == 200
    assert "Unknown status filter" in r.text

    # Search by e-mail is a POST; the address is in the body of the page only.
    token = csrf_in(html)
    r = await c.post("/console/search", data={"email": "BR@example.org ", "csrf_token": token})
    assert r.status_code == 200
    assert ref[br] in r.text
    assert ref[ca] not in r.text
    assert (await c.get("/console/search")).status_code == 405
    for page in (html, r.text, (await case_page(c, br))[0]):
        for url in HREF.findall(page):
            assert "@" not in url, url
            assert "example.org" not in url, url


async def test_queue_pages_with_a_cursor(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
    team: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dsr.web.console import queue

    monkeypatch.setattr(queue, "PAGE_SIZE", 2)
    refs = []
    for i in range(3):
        cid = await open_case(client, app, mailbox, email=f"p{i}@example.org")
        refs.append((await case_json(client, team, cid))["reference"])
    c = await browser_for("handler@example.com")
    first = (await c.get("/console", params={"jurisdiction": "EU"})).text
    match = re.search(r'href="/console\?([^"]+)" rel="next"', first)
    assert match
    assert "jurisdiction=EU" in match.group(1)
    second = (await c.get("/console?" + match.group(1).replace("&amp;", "&"))).text
    shown = [r for r in refs if r in first] + [r for r in refs if r in second]
    assert sorted(shown) == sorted(refs)
    assert 'rel="next"' not in second
    assert "First page" in second
    r = await c.get("/console", params={"cursor": "garbage"})
    assert r.status_code == 200
    assert "not valid" in r.text


async def test_bulk_assign_and_deny_report_each_case(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, browser_for: NewBrowser, team: str
) -> None:
    ids = [await open_case(client, app, mailbox, email=f"b{i}@example.org") for i in range(3)]
    await act(client, team, ids[2], "withdraw")
    c = await browser_for("handler@example.com")
    token = await token_of_page(c)
    r = await c.post(
        "/console/cases/bulk?status=all",
        data={
            "csrf_token": token,
            "action": "assign",
            "assignee": "handler2@example.com",
            "case_id": ids,
        },
    )
    assert r.status_code == 200, r.text
    assert "2 done, 1 not done" in r.text
    # In the console's words, not the API's ("assign is not allowed while …").
    assert "is not possible while the case is withdrawn" in r.text
    assert "not allowed while" not in r.text
    for cid in ids[:2]:
        case = await case_json(client, team, cid)
        assert case["assignee"] == "handler2@example.com"
        assert case["status"] == "in_progress"

    r = await c.post(
        "/console/cases/bulk",
        data={"csrf_token": token, "action": "deny", "reason_code": "other", "case_id": ids[:2]},
    )
    assert r.status_code == 422
    assert "explanation" in r.text
    assert (await case_json(client, team, ids[0]))["status"] == "in_progress"
    r = await c.post(
        "/console/cases/bulk", data={"csrf_token": token, "action": "assign", "assignee": "x"}
    )
    assert r.status_code == 422
    assert "Select at least one case" in r.text
    r = await c.post(
        "/console/cases/bulk",
        data={
            "csrf_token": token,
            "action": "deny",
            "reason_code": "outside_jurisdiction",
            "explanation": "We do not operate there.",
            "case_id": ids,
        },
    )
    # The check step first: the withdrawn case is left out, the other two are refused.
    assert "You are about to refuse 2 requests and e-mail 2 people." in r.text
    assert (await case_json(client, team, ids[1]))["status"] == "in_progress"
    url, confirm = confirm_form(r.text)
    r = await c.post(url, data=confirm)
    assert "2 done, 0 not done" in r.text
    assert (await case_json(client, team, ids[1]))["status"] == "denied"


# --- case page and actions ----------------------------------------------------------------------


@pytest.mark.usefixtures("team")
async def test_case_page_shows_the_request_escaped_and_the_allowed_forms(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, browser_for: NewBrowser
) -> None:
    case_id = await open_case(
        client,
        app,
        mailbox,
        type="correction",
        full_name="<script>alert(1)</script> Ada",
        correction={"inaccurate_data": "born 1816", "corrected_data": "born 1815"},
        jurisdiction="US-CA",
    )
    c = await browser_for("handler@example.com")
    html, _, _ = await case_page(c, case_id)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Ada" in html
    assert "<script>alert(1)" not in html
    assert "born 1816" in html
    assert "born 1815" in html
    assert "requester@example.org" in html
    assert "Acknowledge by" in html
    assert "Extended respond by" in html
    forms = set(re.findall(r'name="action" value="([a-z_]+)"', html))
    assert forms == {"assign", "extend", "deny", "withdraw", "confirm_identity", "note"}
    r = await post_action(c, case_id, "assign", assignee="handler@example.com")
    assert r.status_code == 303
    html, _, _ = await case_page(c, case_id)
    assert "The case was assigned." in html
    forms = set(re.findall(r'name="action" value="([a-z_]+)"', html))
    assert {"request_info", "fulfil", "partially_fulfil"} <= forms


async def test_stale_form_is_refused_with_409_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, browser_for: NewBrowser, team: str
) -> None:
    case_id = await open_case(client, app, mailbox)
    c = await browser_for("handler@example.com")
    _, version, token = await case_page(c, case_id)
    assert (await act(client, team, case_id, "note", text="someone else")).status_code == 200
    before = await events(app, case_id)
    r = await c.post(
        f"/console/cases/{case_id}/actions",
        data={
            "action": "assign",
            "assignee": "handler@example.com",
            "expected_version": str(version),
            "csrf_token": token,
        },
    )
    assert r.status_code == 409
    assert "changed by someone else" in r.text
    assert "Reload" in r.text
    assert 'id="error-summary" role="alert"' in r.text
    assert await events(app, case_id) == before
    assert (await case_json(client, team, case_id))["status"] == "open"


@pytest.mark.usefixtures("team")
async def test_state_machine_refusals_are_shown_in_plain_words(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, browser_for: NewBrowser
) -> None:
    case_id = await open_case(client, app, mailbox, jurisdiction="BR")
    c = await browser_for("handler@example.com")
    r = await post_action(c, case_id, "fulfil")
    assert r.status_code == 409
    assert "“Fulfil” is not possible while the case is open" in r.text
    assert "fulfil is not allowed" not in r.text  # no codes in the console's words
    r = await post_action(c, case_id, "extend", reason="")
    assert r.status_code == 422
    assert "Reason is required" in r.text
    r = await post_action(c, case_id, "extend", reason="Busy")
    assert r.status_code == 409
    assert "The rules for this case&#39;s jurisdiction allow no extension" in r.text
    r = await post_action(c, case_id, "deny", reason_code="other", explanation="  ")
    assert r.status_code == 422
    assert "explanation" in r.text
    assert '<details class="action" id="action-deny" open>' in r.text  # reopened, as typed
    assert '<option value="other" selected>' in r.text
    r = await post_action(c, case_id, "assign", assignee="auditor@example.com")
    assert r.status_code == 422
    assert "admin or handler" in r.text
    r = await post_action(c, case_id, "note", text="bad \x00 byte")
    assert r.status_code == 422
    r = await c.post(
        f"/console/cases/{case_id}/actions",
        data={"action": "note", "text": "x", "csrf_token": await token_of_page(c)},
    )
    assert r.status_code == 422
    assert "version" in r.text
    assert await events(app, case_id) == ["submit", "verify"]
    r = await c.get(f"/console/cases/{uuid.uuid4()}")
    assert r.status_code == 404
    assert "Back to the queue" in r.text


@pytest.mark.usefixtures("team")
async def test_a_case_worked_through_the_console_to_denial(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, browser_for: NewBrowser
) -> None:
    case_id = await open_case(client, app, mailbox, jurisdiction="US-CA")
    c = await browser_for("handler@example.com")
    for action, fields in [
        ("assign", {"assignee": "handler2@example.com"}),
        ("request_info", {"reason": "Please send the account id."}),
        ("info_received", {"reason": "Arrived by e-mail."}),
        ("note", {"text": "Checked the CRM."}),
        ("extend", {"reason": "Many systems to search."}),
        ("deny", {"reason_code": "exception_applies", "explanation": "Legal hold."}),
    ]:
        r = await post_action(c, case_id, action, **fields)
        assert r.status_code == 303, (action, r.text)
    assert await events(app, case_id) == [
        "submit",
        "verify",
        "assign",
        "request_info",
        "info_received",
        "note",
        "extend",
        "deny",
    ]
    html, _, _ = await case_page(c, case_id)
    for text in ("Please send the account id.", "Many systems to search.", "Legal hold."):
        assert text in html
    assert "to handler2@example.com" in html
    assert "In progress → Awaiting information" in html
    assert "A legal exception applies" in html
    await deliver(app)
    assert mailbox.to("requester@example.org")


@pytest.mark.usefixtures("team")
async def test_tasks_are_closed_from_the_case_page(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, browser_for: NewBrowser
) -> None:
    admin = await browser_for("admin@example.com")
    token = await token_of_page(admin, "/console/data-systems")
    r = await admin.post(
        "/console/data-systems",
        data={
            "csrf_token": token,
            "name": "CRM",
            "owner_email": "crm-owner@example.com",
            "categories": "prompts, outputs",
            "request_types": ["access", "deletion"],
            "identities": ["email", "account_id"],
        },
    )
    assert r.status_code == 303
    r = await admin.post(
        "/console/data-systems", data={"csrf_token": token, "name": "", "owner_email": "x"}
    )
    assert r.status_code == 422
    assert "like name@example.com" in r.text
    r = await admin.post(
        "/console/data-systems",
        data={
            "csrf_token": token,
            "name": "Warehouse",
            "owner_email": "wh@example.com",
            "request_types": ["access"],
            "identities": ["email"],
        },
    )
    assert r.status_code == 303
    case_id = await open_case(client, app, mailbox)
    c = await browser_for("handler@example.com")
    await post_action(c, case_id, "assign", assignee="handler@example.com")
    html, _, token = await case_page(c, case_id)
    assert "fulfil" in html
    assert "2 data-system tasks are still open" in html
    task_ids = re.findall(rf"/console/cases/{case_id}/tasks/([0-9a-f-]+)", html)
    crm, warehouse = sorted(set(task_ids), key=task_ids.index)
    url = f"/console/cases/{case_id}/tasks/"
    r = await c.post(url + crm, data={"csrf_token": token, "status": "waived", "reason": ""})
    assert r.status_code == 422
    assert "needs a reason" in r.text
    r = await c.post(url + crm, data={"csrf_token": token, "status": "waived", "reason": "No data"})
    assert r.status_code == 303
    r = await c.post(url + warehouse, data={"csrf_token": token, "status": "done"})
    assert r.status_code == 303
    r = await c.post(url + warehouse, data={"csrf_token": token, "status": "done"})
    assert r.status_code == 409
    assert "already done" in r.text
    html, _, _ = await case_page(c, case_id)
    assert 'name="action" value="fulfil"' in html
    assert "No data" in html
    assert (await post_action(c, case_id, "fulfil")).status_code == 303

    reviewer = await browser_for("reviewer@example.com")
    systems = await reviewer.get("/console/data-systems")
    assert "CRM" in systems.text
    assert "Add a data system" not in systems.text
    admin_page = (await admin.get("/console/data-systems")).text
    system_id = found(r"/console/data-systems/([0-9a-f-]+)/deactivate", admin_page)
    url = f"/console/data-systems/{system_id}/deactivate"
    r = await reviewer.post(url, data={"csrf_token": csrf_in(systems.text)})
    assert r.status_code == 403
    r = await admin.post(url, data={"csrf_token": csrf_in(admin_page)})
    assert r.status_code == 303
    assert "Inactive" in (await admin.get("/console/data-systems")).text


# --- roles -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("team")
async def test_auditor_sees_everything_but_cannot_act(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, browser_for: NewBrowser
) -> None:
    case_id = await open_case(client, app, mailbox)
    c = await browser_for("auditor@example.com")
    queue = await c.get("/console")
    assert queue.status_code == 200
    assert 'name="case_id"' not in queue.text
    html, token = (await c.get(f"/console/cases/{case_id}")).text, csrf_in(queue.text)
    assert "requester@example.org" in html
    assert 'name="expected_version"' not in html
    assert "can see this case but not act" in html
    r = await c.post(
        f"/console/cases/{case_id}/actions",
        data={"action": "note", "text": "x", "expected_version": "3", "csrf_token": token},
    )
    assert r.status_code == 403
    r = await c.post(
        "/console/cases/bulk",
        data={"csrf_token": token, "action": "assign", "assignee": "handler@example.com",
              "case_id": [case_id]},
    )  # fmt: skip
    assert r.status_code == 403
    assert (await c.get("/console/new")).status_code == 403
    assert (await c.post("/console/new", data={"csrf_token": token})).status_code == 403
    assert (await c.get("/console/notifications")).status_code == 403
    assert (await c.get("/console/data-systems")).status_code == 200
    assert await events(app, case_id) == ["submit", "verify"]


@pytest.mark.usefixtures("team")
async def test_reviewer_can_only_add_notes(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, browser_for: NewBrowser
) -> None:
    case_id = await open_case(client, app, mailbox)
    c = await browser_for("reviewer@example.com")
    html, _, _ = await case_page(c, case_id)
    assert set(re.findall(r'name="action" value="([a-z_]+)"', html)) == {"note"}
    r = await post_action(c, case_id, "deny", reason_code="other", explanation="no")
    assert r.status_code == 403
    assert "may only be done by" in r.text
    r = await post_action(c, case_id, "note", text="A reviewer's note")
    assert r.status_code == 303
    assert "A reviewer&#39;s note" in (await c.get(f"/console/cases/{case_id}")).text
    assert await events(app, case_id) == ["submit", "verify", "note"]


# --- admin pages, staff-entered requests, duplicates ----------------------------------------


@pytest.mark.usefixtures("team")
async def test_failed_notifications_are_listed_and_retried_by_admins(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, browser_for: NewBrowser
) -> None:
    case_id = await open_case(client, app, mailbox, email="lost@example.org")
    async with app.state.engine.begin() as conn:
        await conn.execute(
            sa.text(
                "UPDATE outbox_message SET status = 'failed', attempts = 12, "
                "last_error = '451 try again later' WHERE kind = 'acknowledgement'"
            )
        )
    handler = await browser_for("handler@example.com")
    assert (await handler.get("/console/notifications")).status_code == 403
    admin = await browser_for("admin@example.com")
    page = await admin.get("/console/notifications")
    assert page.status_code == 200
    assert "Acknowledgement" in page.text
    assert "451" in page.text
    assert "lost@example.org" not in page.text
    assert f"/console/cases/{case_id}" in page.text
    message_id = found(r"/console/notifications/(\d+)/retry", page.text)
    r = await handler.post(
        f"/console/notifications/{message_id}/retry",
        data={"csrf_token": await token_of_page(handler)},
    )
    assert r.status_code == 403
    r = await admin.post(
        f"/console/notifications/{message_id}/retry", data={"csrf_token": csrf_in(page.text)}
    )
    assert r.status_code == 303
    assert "will be sent again" in (await admin.get("/console/notifications")).text
    mailbox.clear()
    await deliver(app)
    assert len(mailbox.to("lost@example.org")) == 1


async def test_staff_record_a_request_received_by_post(
    client: httpx.AsyncClient, browser_for: NewBrowser, team: str
) -> None:
    c = await browser_for("handler@example.com")
    page = await c.get("/console/new")
    token = csrf_in(page.text)
    form = {
        "csrf_token": token,
        "type": "output_removal",
        "jurisdiction": "US-CA",
        "email": "post@example.org",
        "full_name": "Paula Post",
        "received_at": "2099-01-01",
        "channel": "post",
        "personal_data": "My phone number",
        "examples": "What is Paula's number?",
        "models": "chat-1, chat-2",
    }
    r = await c.post("/console/new", data=form)
    assert r.status_code == 422
    assert "not in the future" in r.text
    assert 'value="Paula Post"' in r.text
    r = await c.post("/console/new", data={**form, "received_at": "", "email": "nope"})
    assert r.status_code == 422
    assert "valid e-mail" in r.text
    assert "date the request arrived" in r.text
    r = await c.post(
        "/console/new", data={**form, "received_at": "2026-01-05", "identity_verified": "yes"}
    )
    assert r.status_code == 303, r.text
    case_id = r.headers["location"].rsplit("/", 1)[1]
    assert "@" not in r.headers["location"]
    case = await case_json(client, team, case_id)
    assert case["status"] == "open"
    assert case["channel"] == "post"
    assert case["received_at"].startswith("2026-01-05")
    assert case["type_data"]["models"] == ["chat-1", "chat-2"]
    html = (await c.get(r.headers["location"])).text
    assert "was recorded" in html
    assert "My phone number" in html
    assert "via Post" in html
    reviewer = await browser_for("reviewer@example.com")
    assert (await reviewer.get("/console/new")).status_code == 403


async def test_duplicates_are_linked_both_ways(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, browser_for: NewBrowser, team: str
) -> None:
    first = await open_case(client, app, mailbox)
    second = await open_case(client, app, mailbox)
    c = await browser_for("handler@example.com")
    first_ref = (await case_json(client, team, first))["reference"]
    second_ref = (await case_json(client, team, second))["reference"]
    html = (await c.get(f"/console/cases/{second}")).text
    assert f'href="/console/cases/{first}">{first_ref}' in html
    assert "duplicates case" in html
    html = (await c.get(f"/console/cases/{first}")).text
    assert f'href="/console/cases/{second}">{second_ref}' in html
    queue = (await c.get("/console", params={"status": "all"})).text
    assert "duplicate" in queue


# --- the matrix of roles by console routes ---------------------------------------------------

STAFF = frozenset({"admin", "handler", "reviewer", "auditor"})
WORKERS = frozenset({"admin", "handler", "reviewer"})  # as POST /api/v1/cases/{id}/actions
HANDLERS = frozenset({"admin", "handler"})
REVIEWERS = frozenset({"admin", "reviewer"})  # as POST /api/v1/appeals/{id}/actions
ADMIN = frozenset({"admin"})
PUBLIC_ROUTES = {
    "GET /console/login",
    "POST /console/login",
    "GET /console/login/code",
    "POST /console/login/code",
}
CONSOLE_EXPECTED: dict[str, frozenset[str]] = {
    "GET /console": STAFF,
    "GET /console/cases": STAFF,
    "GET /console/cases/{case_id}": STAFF,
    "GET /console/cases/{case_id}/access-log": frozenset({"admin", "auditor"}),
    "GET /console/cases/{case_id}/agent-proofs/{proof_id}": STAFF,
    "POST /console/search": STAFF,
    "GET /console/subjects": STAFF,
    "POST /console/subjects": STAFF,
    "POST /console/cases/bulk": WORKERS,
    "POST /console/cases/{case_id}/actions": WORKERS,
    "POST /console/cases/{case_id}/tasks/{task_id}": HANDLERS,
    "POST /console/tasks/{task_id}/results": HANDLERS,
    "GET /console/appeals": STAFF,
    "GET /console/appeals/{appeal_id}": STAFF,
    "POST /console/appeals/{appeal_id}/actions": REVIEWERS,
    "GET /console/new": HANDLERS,
    "POST /console/new": HANDLERS,
    "GET /console/data-systems": STAFF,
    "POST /console/data-systems": ADMIN,
    "POST /console/data-systems/{system_id}/deactivate": ADMIN,
    "GET /console/data-systems/{system_id}": STAFF,
    "POST /console/data-systems/{system_id}": ADMIN,
    "POST /console/data-systems/{system_id}/rotate-secret": ADMIN,
    "GET /console/notifications": ADMIN,
    "POST /console/notifications/{message_id}/retry": ADMIN,
    "GET /console/access": ADMIN,
    "POST /console/access/users/{user_id}/deactivate": ADMIN,
    "POST /console/access/users/{user_id}/reactivate": ADMIN,
    "POST /console/access/tokens/{token_id}/revoke": ADMIN,
    "POST /console/access/users/{user_id}/end-sessions": ADMIN,
    "POST /console/access/users/{user_id}/reset-mfa": ADMIN,
    "POST /console/access/users/{user_id}/unlock": ADMIN,
    "GET /console/agents": ADMIN,
    "POST /console/agents": ADMIN,
    "POST /console/agents/{agent_id}/disable": ADMIN,
    "POST /console/agents/{agent_id}/enable": ADMIN,
    "GET /console/account/mfa": STAFF,
    "POST /console/account/mfa/start": STAFF,
    "POST /console/account/mfa/confirm": STAFF,
    "POST /console/sessions/end-all": STAFF,  # with logout, last: they end the session
    "GET /console/dashboard": STAFF,
    "GET /console/dashboard/charts/{name}.svg": STAFF,
    "POST /console/logout": STAFF,  # called last: it ends the session
}


def console_routes(app: FastAPI) -> list[str]:
    try:  # as tests/api/test_access_matrix.py walks the routes
        from fastapi.routing import iter_route_contexts

        routes: Any = iter_route_contexts(app.routes)
    except ImportError:
        routes = app.routes
    keys = []
    for route in routes:
        path = getattr(route, "path", "") or ""
        if path == "/console" or path.startswith("/console/"):
            keys += [f"{m} {path}" for m in sorted(route.methods or ()) if m != "HEAD"]
    return keys


def test_every_console_route_has_an_expectation(app: FastAPI) -> None:
    served = set(console_routes(app))
    assert served == set(CONSOLE_EXPECTED) | PUBLIC_ROUTES


@pytest.mark.parametrize("role", ["anonymous", "admin", "handler", "reviewer", "auditor"])
async def test_console_role_matrix(app: FastAPI, browser_for: NewBrowser, role: str) -> None:
    if role != "anonymous":
        await add_staff(app, f"{role}@example.com", role)
    c = await browser_for(None if role == "anonymous" else f"{role}@example.com")
    token = csrf_in((await c.get("/console/login")).text) if role == "anonymous" else ""
    if role != "anonymous":
        token = await token_of_page(c, "/console/data-systems")
    wrong = []
    for key, allowed in CONSOLE_EXPECTED.items():
        method, path = key.split(" ", 1)
        url = re.sub(r"\{message_id\}", "987654321", path)
        url = re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), url)
        data = {"csrf_token": token, "action": "note", "text": "m", "expected_version": "1"}
        r = await c.request(method, url, data=data if method == "POST" else None)
        if role == "anonymous":
            ok, want = r.status_code == 303 and r.headers["location"] == "/console/login", "303"
        elif role in allowed:
            ok, want = r.status_code not in (401, 403) and r.status_code < 500, "allowed"
        else:
            ok, want = r.status_code == 403, "403"
        if not ok:
            wrong.append(f"{key} as {role}: got {r.status_code}, want {want}")
    assert not wrong, "\n".join(wrong)
