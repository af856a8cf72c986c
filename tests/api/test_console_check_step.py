"""The check step before a decision that e-mails a requester (issue 14): the console shows the
notice the requester will receive, nothing changes and nothing is sent until the handler
confirms, and a case changed between check and confirmation is refused with 409."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from dsr.auth import service
from tests.helpers import (
    PASSWORD,
    Mailbox,
    NewBrowser,
    act,
    body_text,
    confirm_form,
    count,
    csrf_in,
    deliver,
    events,
    found,
    make_staff,
    open_case,
    token_of_page,
)


@pytest.fixture
async def admin(app: FastAPI) -> str:
    token = await make_staff(app, "admin@example.com", "admin", PASSWORD)
    async with app.state.sessionmaker() as session, session.begin():
        await service.create_user(session, "handler@example.com", "handler", PASSWORD)
    return token


async def post_decision(
    c: httpx.AsyncClient, case_id: str, action: str, **fields: str
) -> httpx.Response:
    r = await c.get(f"/console/cases/{case_id}")
    version = found(r'name="expected_version" value="(\d+)"', r.text)
    data = {"action": action, "expected_version": version, "csrf_token": csrf_in(r.text), **fields}
    return await c.post(f"/console/cases/{case_id}/actions", data=data)


async def outbox_to(app: FastAPI, mailbox: Mailbox, address: str) -> int:
    mailbox.clear()
    await deliver(app)
    return len(mailbox.to(address))


@pytest.mark.usefixtures("admin")
async def test_a_denial_shows_the_notice_and_sends_only_once_confirmed(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
) -> None:
    case_id = await open_case(client, app, mailbox, jurisdiction="US-CA")
    before = await events(app, case_id)
    c = await browser_for("handler@example.com")
    explanation = "The records are under a legal hold\nuntil the court case ends."
    r = await post_decision(
        c, case_id, "deny", reason_code="exception_applies", explanation=explanation
    )
    assert r.status_code == 200, r.text
    assert "You are about to refuse this request" in r.text
    assert "and e-mail 1 person." in r.text
    assert "We cannot do what you asked in your privacy request" in r.text  # the real template
    assert "until the court case ends." in r.text
    assert "Decision on your privacy request" in r.text  # the real subject
    assert "[the requester&#39;s personal link]" in r.text
    assert "token=" not in r.text  # the requester's capability links stay out of the page
    assert await events(app, case_id) == before
    assert await outbox_to(app, mailbox, "requester@example.org") == 0

    url, fields = confirm_form(r.text)
    assert fields["confirm"] == ["yes"]
    assert fields["explanation"] == [explanation]
    r = await c.post(url, data=fields)
    assert r.status_code == 303, r.text
    assert await events(app, case_id) == [*before, "deny"]
    assert await outbox_to(app, mailbox, "requester@example.org") == 1
    assert "until the court case ends." in body_text(mailbox.last_to("requester@example.org"))


async def test_a_case_changed_after_the_check_is_refused_with_409(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
    admin: str,
) -> None:
    case_id = await open_case(client, app, mailbox, jurisdiction="US-CA")
    c = await browser_for("handler@example.com")
    r = await post_decision(c, case_id, "deny", reason_code="other", explanation="No.")
    assert r.status_code == 200
    url, fields = confirm_form(r.text)
    assert (await act(client, admin, case_id, "note", text="someone else")).status_code == 200
    before = await events(app, case_id)
    r = await c.post(url, data=fields)
    assert r.status_code == 409
    assert "changed by someone else after you checked the notice" in r.text
    assert "no e-mail was sent" in r.text
    assert await events(app, case_id) == before
    assert await outbox_to(app, mailbox, "requester@example.org") == 0


@pytest.mark.parametrize(
    ("action", "fields", "says", "in_notice", "sent"),
    [
        (
            "request_info",
            {"reason": "Your account id, please."},
            "ask the requester",
            "account id",
            1,
        ),
        ("extend", {"reason": "Many systems."}, "extend this request", "Many systems.", 1),
        # An access request: the package is built on confirmation, its link in a second e-mail.
        ("fulfil", {}, "second e-mail with the link to download", "We have done what you asked", 2),
    ],
)
@pytest.mark.usefixtures("admin")
async def test_other_decisions_that_e_mail_the_requester_are_checked(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
    action: str,
    fields: dict[str, str],
    says: str,
    in_notice: str,
    sent: int,
) -> None:
    case_id = await open_case(client, app, mailbox, jurisdiction="US-CA")
    c = await browser_for("handler@example.com")
    if action != "extend":  # needs an assignee: the case must be in progress
        r = await post_decision(c, case_id, "assign", assignee="handler@example.com")
        assert r.status_code == 303
    before = await events(app, case_id)
    r = await post_decision(c, case_id, action, **fields)
    assert r.status_code == 200, r.text
    assert says in r.text
    assert in_notice in r.text
    assert await events(app, case_id) == before
    assert await count(app, "access_package") == 0  # nothing built for the check
    url, confirm = confirm_form(r.text)
    r = await c.post(url, data=confirm)
    assert r.status_code == 303
    assert await count(app, "access_package") == (1 if action == "fulfil" else 0)
    assert (await events(app, case_id))[len(before)] == action
    assert await outbox_to(app, mailbox, "requester@example.org") == sent


@pytest.mark.usefixtures("admin")
async def test_a_refused_check_shows_the_reason_and_no_notice(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
) -> None:
    case_id = await open_case(client, app, mailbox, jurisdiction="BR")
    c = await browser_for("handler@example.com")
    r = await post_decision(c, case_id, "deny", reason_code="other", explanation="  ")
    assert r.status_code == 422
    assert "check-confirm" not in r.text
    r = await post_decision(c, case_id, "fulfil")
    assert r.status_code == 409
    assert "check-confirm" not in r.text


async def test_bulk_denial_counts_and_sends_exactly_those_e_mails(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
    admin: str,
) -> None:
    emails = [f"bulk{i}@example.org" for i in range(4)]
    ids = [await open_case(client, app, mailbox, email=e, jurisdiction="US-CA") for e in emails]
    await act(client, admin, ids[3], "withdraw")
    c = await browser_for("handler@example.com")
    token = await token_of_page(c)
    r = await c.post(
        "/console/cases/bulk?status=all",
        data={
            "csrf_token": token,
            "action": "deny",
            "reason_code": "outside_jurisdiction",
            "explanation": "We do not operate\nin your state.",
            "case_id": ids,
        },
    )
    assert r.status_code == 200, r.text
    assert "You are about to refuse 3 requests and e-mail 3 people." in r.text
    assert "Left out: 1 of the selected cases" in r.text
    assert "“Deny” is not possible while the case is withdrawn" in r.text
    assert r.text.count('class="email-preview"') == 3
    for i in ids[:3]:
        assert await events(app, i) == ["submit", "verify"]
    assert await outbox_to(app, mailbox, emails[0]) == 0

    url, fields = confirm_form(r.text)
    assert url == "/console/cases/bulk?status=all"
    assert sorted(fields["case_id"]) == sorted(ids[:3])
    r = await c.post(url, data=fields)
    assert r.status_code == 200, r.text
    assert "3 done, 0 not done" in r.text
    mailbox.clear()
    await deliver(app)
    assert sorted(str(m["To"]) for m in mailbox.messages) == sorted(emails[:3])


async def test_bulk_confirmation_is_refused_when_a_case_changed(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    browser_for: NewBrowser,
    admin: str,
) -> None:
    ids = [await open_case(client, app, mailbox, email=f"b{i}@example.org") for i in range(2)]
    c = await browser_for("handler@example.com")
    token = await token_of_page(c)
    data = {
        "csrf_token": token,
        "action": "deny",
        "reason_code": "other",
        "explanation": "No.",
        "case_id": ids,
    }
    r = await c.post("/console/cases/bulk", data=data)
    assert "refuse 2 requests and e-mail 2 people" in r.text
    url, fields = confirm_form(r.text)
    await act(client, admin, ids[1], "note", text="changed meanwhile")
    r = await c.post(url, data=fields)
    assert r.status_code == 409
    assert "1 of the selected cases was changed by someone else" in r.text
    assert await events(app, ids[0]) == ["submit", "verify"]
    r = await c.post(url, data={**fields, "version": []})
    assert r.status_code == 422
    assert await events(app, ids[0]) == ["submit", "verify"]
    assert await outbox_to(app, mailbox, "b0@example.org") == 0
