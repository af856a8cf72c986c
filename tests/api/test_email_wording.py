"""What the e-mails say, read from the e-mails really sent (issue 14, item 7): dates people can
read, one clear way to answer a request for information, a link to the regulator in refusals and
appeal outcomes, the kind of request named in every e-mail, and reviewers told the truth about
whether an appeal is theirs."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from dsr.i18n.catalogues import format_date
from tests.helpers import (
    REQUESTER,
    Mailbox,
    act,
    auth,
    body_text,
    deliver,
    file_appeal,
    make_staff,
    open_case,
    refused_case,
)

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


@pytest.fixture
async def staff(app: FastAPI) -> dict[str, str]:
    return {
        "decider": await make_staff(app, "decider@example.com", "admin"),
        "handler": await make_staff(app, "handler@example.com", "handler"),
        "rev1": await make_staff(app, "rev1@example.com", "reviewer"),
    }


def flat(text: str) -> str:
    return " ".join(text.split())


async def test_information_request_reads_well_and_says_how_to_answer(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    # US-VA: the clock keeps running while we wait, so the e-mail states the deadline.
    case_id = await open_case(client, app, mailbox, jurisdiction="US-VA", type="access")
    await act(client, staff["handler"], case_id, "assign", assignee="handler@example.com")
    r = await act(client, staff["handler"], case_id, "request_info", reason="Your account ID?")
    assert r.status_code == 200, r.text
    respond_by = r.json()["deadlines"]["respond_by"]
    await deliver(app)
    msg = mailbox.last_to(REQUESTER)
    text = body_text(msg)
    # The date ends its own sentence: no "2027-01-15.Please reply".
    assert re.search(r"\.[A-Z]", text) is None, text
    assert not ISO_DATE.search(text)
    assert f"We must still answer by {format_date(respond_by, 'en')}.\n" in text.replace("\r", "")
    # One way to answer, and the footer does not contradict it.
    assert "To answer, reply to this e-mail with the information asked for above" in flat(text)
    assert "do not reply" not in text.lower()
    assert "This message is about request" in text
    assert "access to personal data" in text


async def test_refusal_and_appeal_outcome_link_the_regulator(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    # Texas: a statutory appeal, and the Attorney General's complaint page is configured.
    case_id, token = await refused_case(client, app, mailbox, staff, jurisdiction="US-TX")
    decision = mailbox.last_to(REQUESTER)
    text = flat(body_text(decision))
    assert "You can also contact the Texas Attorney General. https://texasattorneygeneral.gov/" in (
        text
    )
    assert "This message is about request" in text
    assert "access to personal data" in text
    assert not ISO_DATE.search(text)
    html = decision.get_body(preferencelist=("html",))
    assert html is not None
    assert '<a href="https://texasattorneygeneral.gov/' in str(html.get_content())

    r = await file_appeal(client, case_id, token)
    assert r.status_code == 201, r.text
    appeal_id = r.json()["id"]
    await deliver(app)
    # Offered to reviewers, assigned to nobody: the e-mail must not say otherwise.
    offer = mailbox.last_to("rev1@example.com")
    assert "assigned to you" not in offer["Subject"]
    assert "waits for a reviewer" in offer["Subject"]
    offer_text = flat(body_text(offer))
    assert "assigned to you" not in offer_text
    assert "nobody is assigned to it yet" in offer_text
    assert "(access)" in offer_text

    r = await client.post(
        f"/api/v1/appeals/{appeal_id}/actions",
        json={"action": "assign", "assignee": "rev1@example.com"},
        headers=auth(staff["rev1"]),
    )
    assert r.status_code == 200, r.text
    await deliver(app)
    assigned = mailbox.last_to("rev1@example.com")
    assert "has been assigned to you" in assigned["Subject"]
    assert "has been assigned to you" in body_text(assigned)

    r = await client.post(
        f"/api/v1/appeals/{appeal_id}/actions",
        json={"action": "uphold", "explanation": "A court ordered the hold."},
        headers=auth(staff["rev1"]),
    )
    assert r.status_code == 200, r.text
    await deliver(app)
    outcome = flat(body_text(mailbox.last_to(REQUESTER)))
    assert "decided that our original decision stands" in outcome
    assert "If you disagree, you can complain to the Texas Attorney General." in outcome
    assert "https://texasattorneygeneral.gov/" in outcome
    assert "access to personal data" in outcome
