"""Appeals in the staff console over HTTP (issue 4 item 4): the queue by appeal deadline with
filters, the appeal page beside the original case and its timeline, reviewer actions through the
appeals service with CSRF, 403 for handlers and for the original decider, 409 on a stale form,
and the link in the reviewers' e-mail."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from tests.helpers import (
    HREF,
    PASSWORD,
    Mailbox,
    NewBrowser,
    auth,
    body_text,
    confirm_form,
    csrf_in,
    deliver,
    events,
    file_appeal,
    link_in,
    login,
    make_staff,
    refused_case,
    token_of_page,
)

LEGAL_HOLD = "The data is under a legal hold."  # the refusal's explanation in refused_case


@pytest.fixture
async def staff(app: FastAPI) -> dict[str, str]:
    """Bearer tokens; the console users log in with the same e-mail and password."""
    return {
        "decider": await make_staff(app, "decider@example.com", "admin", PASSWORD),
        "handler": await make_staff(app, "handler@example.com", "handler", PASSWORD),
        "rev1": await make_staff(app, "rev1@example.com", "reviewer", PASSWORD),
        "rev2": await make_staff(app, "rev2@example.com", "reviewer", PASSWORD),
        "auditor": await make_staff(app, "auditor@example.com", "auditor", PASSWORD),
    }


async def appealed(
    client: httpx.AsyncClient,
    app: FastAPI,
    mailbox: Mailbox,
    staff: dict[str, str],
    jurisdiction: str = "US-VA",
    **fields: Any,
) -> tuple[str, str]:
    """(case id, appeal id): refused by decider@example.com, then appealed by the requester."""
    case_id, token = await refused_case(client, app, mailbox, staff, jurisdiction, **fields)
    r = await file_appeal(client, case_id, token)
    assert r.status_code == 201, r.text
    return case_id, str(r.json()["id"])


async def appeal_page(c: httpx.AsyncClient, appeal_id: str) -> tuple[str, int, str]:
    """(html, the version the forms carry, csrf token)."""
    r = await c.get(f"/console/appeals/{appeal_id}")
    assert r.status_code == 200, r.text
    found = re.search(r'name="expected_version" value="(\d+)"', r.text)
    return r.text, int(found.group(1)) if found else 0, csrf_in(r.text)


async def post_appeal(
    c: httpx.AsyncClient, appeal_id: str, action: str, **fields: Any
) -> httpx.Response:
    _, version, token = await appeal_page(c, appeal_id)
    data = {"action": action, "expected_version": str(version), "csrf_token": token, **fields}
    r = await c.post(f"/console/appeals/{appeal_id}/actions", data=data)
    if r.status_code == 200 and 'class="check-confirm"' in r.text:
        # A decision that e-mails the requester shows the notice first: confirm it, as a reviewer
        # would (tests/api/test_console_check_step.py tests the step itself).
        url, confirm = confirm_form(r.text)
        r = await c.post(url, data=confirm)
    return r


async def appeal_json(client: httpx.AsyncClient, token: str, appeal_id: str) -> dict[str, Any]:
    r = await client.get(f"/api/v1/appeals/{appeal_id}", headers=auth(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


def forms_on(html: str) -> set[str]:
    return set(re.findall(r'name="action" value="([a-z_]+)"', html))


async def test_pages_need_a_login_and_the_email_link_leads_to_the_appeal(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
    staff: dict[str, str],
) -> None:
    for path in ("/console/appeals", f"/console/appeals/{uuid.uuid4()}"):
        r = await client.get(path)
        assert r.status_code == 303
        assert r.headers["location"] == "/console/login"
    r = await client.post(f"/console/appeals/{uuid.uuid4()}/actions", data={"action": "assign"})
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login"

    _, appeal_id = await appealed(client, app, mailbox, staff)
    await deliver(app)
    link = link_in(mailbox.last_to("rev1@example.com"), "/console/appeals/")
    path = link.split("testserver", 1)[1]
    assert path == f"/console/appeals/{appeal_id}"
    c = await browser_for()
    r = await c.get(path)
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login"
    r = await login(c, "rev1@example.com")
    assert r.status_code == 303
    assert r.headers["location"] == path
    r = await c.get(path)
    assert r.status_code == 200
    assert "I was never told about any legal hold." in r.text
    r = await c.get(f"/console/appeals/{uuid.uuid4()}")
    assert r.status_code == 404


async def test_queue_sorted_by_appeal_deadline_with_filters(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
    staff: dict[str, str],
) -> None:
    va_case, va = await appealed(client, app, mailbox, staff, "US-VA", email="va@example.org")
    or_case, oregon = await appealed(client, app, mailbox, staff, "US-OR", email="or@example.org")
    late_case, _ = await appealed(client, app, mailbox, staff, "US-CT", email="ct@example.org")
    refs = {}
    for cid in (va_case, or_case, late_case):
        r = await client.get(f"/api/v1/cases/{cid}", headers=auth(staff["rev1"]))
        refs[cid] = r.json()["reference"]
    async with app.state.engine.begin() as conn:  # an overdue appeal
        await conn.execute(
            sa.text("UPDATE appeal SET respond_by = '2020-01-10' WHERE case_id = :c"),
            {"c": uuid.UUID(late_case).hex if app.state.settings.is_sqlite else late_case},
        )
    c = await browser_for("rev1@example.com")
    r = await c.get("/console/appeals")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    html = r.text
    assert '<a href="/console/appeals" aria-current="page">Appeals</a>' in html
    order = [html.index(refs[x]) for x in (late_case, or_case, va_case)]
    assert order == sorted(order), "soonest appeal deadline first (CT overdue, OR +45, VA +60)"
    assert "Overdue" in html
    assert 'class="is-overdue"' in html
    assert f'href="/console/appeals/{oregon}"' in html
    assert "<caption" in html
    assert "Waiting for a reviewer" in html

    assert (await post_appeal(c, va, "assign", assignee="rev1@example.com")).status_code == 303
    r = await c.get("/console/appeals", params={"status": "appeal_in_review"})
    assert refs[va_case] in r.text
    assert refs[or_case] not in r.text
    r = await c.get("/console/appeals", params={"assignee": "me"})
    assert refs[va_case] in r.text
    assert refs[late_case] not in r.text
    r = await c.get("/console/appeals", params={"assignee": "none"})
    assert refs[va_case] not in r.text
    assert refs[or_case] in r.text
    rev2 = await browser_for("rev2@example.com")
    r = await rev2.get("/console/appeals", params={"assignee": "me"})
    assert "No appeals match" in r.text
    r = await c.get("/console/appeals", params={"status": "nonsense", "assignee": "x"})
    assert r.status_code == 200
    assert "Unknown status filter" in r.text
    assert refs[va_case] in r.text
    r = await c.get("/console/appeals", params={"cursor": "garbage"})
    assert r.status_code == 200
    assert "not valid" in r.text
    for page in (html, (await appeal_page(c, va))[0]):
        for url in HREF.findall(page):
            assert "@" not in url, url
            assert "example.org" not in url, url


async def test_reviewer_assigns_and_overturns_beside_the_case(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
    staff: dict[str, str],
) -> None:
    case_id, appeal_id = await appealed(client, app, mailbox, staff, "US-OR")
    c = await browser_for("rev1@example.com")
    html, _, _ = await appeal_page(c, appeal_id)
    # The appeal beside the case: the reason, the refusal it contests, the timeline.
    assert "I was never told about any legal hold." in html
    assert "A legal exception applies" in html
    assert LEGAL_HOLD in html
    assert "decider@example.com" in html
    assert "statutory appeal" in html
    assert f'href="/console/cases/{case_id}"' in html
    assert 'id="timeline"' in html
    assert forms_on(html) == {"assign"}
    assert "Assign the appeal first" in html
    assert "The rules for this jurisdiction allow no extension of an appeal" in html

    r = await post_appeal(c, appeal_id, "overturn", explanation="Too early")
    assert r.status_code == 409
    assert (
        "“Overturn the refusal” is not possible while the appeal is waiting for a reviewer"
        in r.text
    )
    r = await post_appeal(c, appeal_id, "assign", assignee="rev1@example.com")
    assert r.status_code == 303
    assert r.headers["location"] == f"/console/appeals/{appeal_id}"
    html, _, _ = await appeal_page(c, appeal_id)
    assert "The appeal was assigned." in html
    assert forms_on(html) == {"assign", "uphold", "overturn"}
    assert "Appeal assigned" in html
    assert "to rev1@example.com" in html

    r = await post_appeal(c, appeal_id, "overturn", explanation="   ")
    assert r.status_code == 422
    assert "xplanation" in r.text
    assert '<details class="action" id="action-overturn" open>' in r.text
    r = await post_appeal(c, appeal_id, "overturn", explanation="The hold ended last month.")
    assert r.status_code == 303
    html, _, _ = await appeal_page(c, appeal_id)
    assert "The refusal was overturned" in html
    assert "Overturned" in html
    assert "The hold ended last month." in html
    assert "rev1@example.com" in html
    assert "Appeal decided: refusal overturned" in html
    # The case's own decision fields are cleared by the overturn; the refusal stays on show.
    assert "A legal exception applies" in html
    assert LEGAL_HOLD in html
    assert forms_on(html) == set()
    assert "the appeal is decided" in html
    appeal = await appeal_json(client, staff["rev1"], appeal_id)
    assert appeal["status"] == "overturned"
    assert appeal["case"]["status"] == "in_progress"
    assert (await events(app, case_id))[-3:] == ["appeal", "appeal_assign", "appeal_overturn"]
    case_html = (await c.get(f"/console/cases/{case_id}")).text
    assert f'href="/console/appeals/{appeal_id}"' in case_html
    await deliver(app)
    assert "changed our decision" in body_text(mailbox.last_to("requester@example.org"))


async def test_the_original_decider_may_not_decide_and_handlers_may_not_act(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
    staff: dict[str, str],
) -> None:
    case_id, appeal_id = await appealed(client, app, mailbox, staff)
    rev1 = await browser_for("rev1@example.com")
    html, _, _ = await appeal_page(rev1, appeal_id)
    assert 'value="decider@example.com"' not in html  # not offered as a reviewer
    r = await post_appeal(rev1, appeal_id, "assign", assignee="decider@example.com")
    assert r.status_code == 422
    assert "made the original decision" in r.text
    assert (await post_appeal(rev1, appeal_id, "assign", assignee="rev2@example.com")).is_redirect

    decider = await browser_for("decider@example.com")  # an admin, who refused the request
    html, _, _ = await appeal_page(decider, appeal_id)
    assert "you may not decide its appeal" in html
    assert "uphold" not in forms_on(html)
    assert "overturn" not in forms_on(html)
    before = await events(app, case_id)
    r = await post_appeal(decider, appeal_id, "uphold", explanation="I was right.")
    assert r.status_code == 403
    assert "You made the original decision on this case" in r.text
    assert 'id="error-summary" role="alert"' in r.text

    for who in ("handler@example.com", "auditor@example.com"):
        c = await browser_for(who)
        html, _, token = await appeal_page(c, appeal_id)
        assert "can see this appeal but not act" in html
        assert forms_on(html) == set()
        r = await c.post(
            f"/console/appeals/{appeal_id}/actions",
            data={"action": "overturn", "explanation": "x", "expected_version": "2",
                  "csrf_token": token},
        )  # fmt: skip
        assert r.status_code == 403, who
    assert await events(app, case_id) == before

    r = await post_appeal(rev1, appeal_id, "uphold", explanation="The hold is real.")
    assert r.status_code == 303
    assert (await appeal_json(client, staff["rev1"], appeal_id))["status"] == "appeal_upheld"


async def test_stale_form_is_409_and_forms_need_the_csrf_token(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
    staff: dict[str, str],
) -> None:
    case_id, appeal_id = await appealed(client, app, mailbox, staff)
    c = await browser_for("rev1@example.com")
    _, version, token = await appeal_page(c, appeal_id)
    url = f"/console/appeals/{appeal_id}/actions"
    form = {"action": "assign", "assignee": "rev1@example.com", "expected_version": str(version)}
    before = await events(app, case_id)
    assert (await c.post(url, data=form)).status_code == 403
    r = await c.post(url, data={**form, "csrf_token": "0" * 40})
    assert r.status_code == 403
    assert "nothing was changed" in r.text
    other = await browser_for("rev2@example.com")
    assert (
        await c.post(url, data={**form, "csrf_token": await token_of_page(other)})
    ).status_code == 403
    assert await events(app, case_id) == before

    r = await client.post(
        f"/api/v1/appeals/{appeal_id}/actions",
        json={"action": "assign", "assignee": "rev2@example.com"},
        headers=auth(staff["rev2"]),
    )
    assert r.status_code == 200
    r = await c.post(url, data={**form, "csrf_token": token})
    assert r.status_code == 409
    assert "changed by someone else" in r.text
    assert "Reload the appeal" in r.text
    assert (await appeal_json(client, staff["rev1"], appeal_id))["assignee"] == "rev2@example.com"
    r = await c.post(url, data={"action": "assign", "csrf_token": token})
    assert r.status_code == 422
    assert "version" in r.text


async def test_colorado_appeals_can_be_extended_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
    staff: dict[str, str],
) -> None:
    _, appeal_id = await appealed(client, app, mailbox, staff, "US-CO")
    c = await browser_for("rev1@example.com")
    html, _, _ = await appeal_page(c, appeal_id)
    assert "extend" in forms_on(html)
    assert "Allowed, to" in html
    r = await post_appeal(c, appeal_id, "extend", reason="")
    assert r.status_code == 422
    r = await post_appeal(c, appeal_id, "extend", reason="Many systems to check.")
    assert r.status_code == 303
    html, _, _ = await appeal_page(c, appeal_id)
    assert "The appeal deadline was extended" in html
    assert "Appeal deadline extended" in html
    assert "extend" not in forms_on(html)
    assert "This appeal was already extended once; the law allows one" in html
    appeal = await appeal_json(client, staff["rev1"], appeal_id)
    assert appeal["deadlines"]["extended"] is True


async def test_an_appeal_decision_shows_the_outcome_notice_before_it_is_sent(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
    staff: dict[str, str],
) -> None:
    case_id, appeal_id = await appealed(client, app, mailbox, staff)
    await deliver(app)
    c = await browser_for("rev1@example.com")
    assert (
        await post_appeal(c, appeal_id, "assign", assignee="rev1@example.com")
    ).status_code == 303
    _, version, token = await appeal_page(c, appeal_id)
    before = await events(app, case_id)
    url = f"/console/appeals/{appeal_id}/actions"
    form = {"action": "uphold", "explanation": "The hold is documented.", "csrf_token": token}
    r = await c.post(url, data={**form, "expected_version": str(version)})
    assert r.status_code == 200, r.text
    assert "You are about to uphold the refusal" in r.text
    assert "e-mail 1 person" in r.text
    assert "Outcome of your appeal on request" in r.text  # the real subject
    assert "The hold is documented." in r.text
    assert await events(app, case_id) == before
    mailbox.clear()
    await deliver(app)
    assert mailbox.to("requester@example.org") == []  # checking sent nothing

    confirm_url, confirm = confirm_form(r.text)
    await client.post(  # someone else assigns the appeal meanwhile
        f"/api/v1/appeals/{appeal_id}/actions",
        json={"action": "assign", "assignee": "rev2@example.com"},
        headers=auth(staff["rev2"]),
    )
    r = await c.post(confirm_url, data=confirm)
    assert r.status_code == 409
    assert "changed by someone else after you checked the notice" in r.text
    assert (await appeal_json(client, staff["rev1"], appeal_id))["status"] == "appeal_in_review"
    assert await events(app, case_id) == [*before, "appeal_assign"]

    c = await browser_for("rev2@example.com")
    r = await post_appeal(c, appeal_id, "uphold", explanation="The hold is documented.")
    assert r.status_code == 303
    mailbox.clear()
    await deliver(app)
    assert len(mailbox.to("requester@example.org")) == 1
    assert "The hold is documented." in body_text(mailbox.last_to("requester@example.org"))
