"""The requester's status page over HTTP after each kind of step: a refusal, an appeal decided,
a request for information; its history (no staff names); and withdrawing, on the page and in
the API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import (
    REQUESTER,
    Mailbox,
    act,
    auth,
    deliver,
    events,
    file_appeal,
    hidden_fields,
    link_in,
    make_staff,
    open_case,
    refused_case,
    token_of,
)

REGULATOR_URL = "https://regulator.example/complain"


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    # The regulators' addresses are configuration still being filled in: a file of our own.
    file = tmp_path / "regulators.toml"
    file.write_text(
        f'[US-VA]\nname = "the Example Attorney General"\nurl = "{REGULATOR_URL}"\n'
        '[GB]\nname = "the Example Commissioner"\nurl = ""\n',
        encoding="utf-8",
    )
    return {"regulators_file": str(file)}


@pytest.fixture
async def staff(app: FastAPI) -> dict[str, str]:
    return {
        "decider": await make_staff(app, "decider@example.com", "admin"),
        "handler": await make_staff(app, "handler@example.com", "handler"),
        "rev1": await make_staff(app, "rev1@example.com", "reviewer"),
    }


def main_of(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


async def status_token(app: FastAPI, mailbox: Mailbox, case_id: str) -> str:
    await deliver(app)
    return token_of(link_in(mailbox.last_to(REQUESTER), f"/requests/{case_id}?token="))


async def test_after_a_refusal_the_decision_the_appeal_and_the_regulator(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id, token = await refused_case(client, app, mailbox, staff)
    page = main_of((await client.get(f"/requests/{case_id}", params={"token": token})).text)
    assert "We must answer by" not in page
    assert "Our decision" in page
    assert re.search(r"On \d{1,2} \w+ \d{4} we decided that we cannot do what you asked", page)
    assert "The data is under a legal hold." in page
    assert re.search(r"you can appeal until \d{1,2} \w+ \d{4}", page)
    assert f'href="/requests/{case_id}/appeal?token=' in page
    assert f'You can complain to <a href="{REGULATOR_URL}">the Example Attorney General</a>' in page
    assert "Withdraw" not in page  # decided: nothing left to withdraw


async def test_after_the_appeal_is_decided_no_deadline_but_the_outcome(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id, token = await refused_case(client, app, mailbox, staff)
    appeal_id = (await file_appeal(client, case_id, token)).json()["id"]
    waiting = main_of((await client.get(f"/requests/{case_id}", params={"token": token})).text)
    assert "We must decide by" in waiting
    assert "Appeal this decision" not in waiting
    for action in (
        {"action": "assign", "assignee": "rev1@example.com"},
        {"action": "uphold", "explanation": "A court ordered the hold."},
    ):
        r = await client.post(
            f"/api/v1/appeals/{appeal_id}/actions", json=action, headers=auth(staff["rev1"])
        )
        assert r.status_code == 200, r.text
    page = main_of((await client.get(f"/requests/{case_id}", params={"token": token})).text)
    assert "We must decide by" not in page
    assert "We must answer by" not in page
    assert re.search(r"Decided on</dt><dd>\d{1,2} \w+ \d{4}", page)
    assert "our original decision stands" in page
    assert "A court ordered the hold." in page
    assert f'<a href="{REGULATOR_URL}">' in page
    assert "Appeal this decision" not in page
    assert "We decided your appeal: our original decision stands." in page


async def test_awaiting_info_shows_what_was_asked_and_how_to_reply(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    case_id = await open_case(client, app, mailbox, jurisdiction="GB")
    link = link_in(mailbox.last_to(REQUESTER), f"/requests/{case_id}?token=")
    token = token_of(link)
    await act(client, staff["handler"], case_id, "assign", assignee="handler@example.com")
    await act(client, staff["handler"], case_id, "note", text="Internal: call legal first")
    r = await act(
        client, staff["handler"], case_id, "request_info", reason="Which account did you use?"
    )
    assert r.status_code == 200, r.text
    page = main_of((await client.get(f"/requests/{case_id}", params={"token": token})).text)
    assert "We need more information from you" in page
    assert "Which account did you use?" in page
    assert "answer the e-mail in which we asked for it" in page
    # The history: the requester's steps, dated, and nothing of the staff's own work.
    history = page[page.index('<ol class="history">') :]
    steps = re.findall(r'<span class="history__date">[^<]+</span> ([^<]+)</li>', history)
    assert steps == [
        "We received your request.",
        "You confirmed your request; we opened it.",
        "We asked you for more information.",
    ]
    for secret in ("handler@example.com", "Internal: call legal first", "ssigned"):
        assert secret not in page


async def test_withdraw_with_a_confirmation_step(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    case_id = await open_case(client, app, mailbox)
    token = token_of(link_in(mailbox.last_to(REQUESTER), f"/requests/{case_id}?token="))
    page = (await client.get(f"/requests/{case_id}", params={"token": token})).text
    assert f'href="/requests/{case_id}/withdraw?token=' in page
    confirm = await client.get(f"/requests/{case_id}/withdraw", params={"token": token})
    assert "Yes, withdraw my request" in confirm.text
    form = hidden_fields(confirm.text)
    assert events_end(await events(app, case_id)) != "withdraw"  # the page changed nothing

    wrong = await client.post(
        f"/requests/{case_id}/withdraw", data={**form, "token": token[:-2] + "zz"}
    )
    assert wrong.status_code == 404
    stale = await client.post(
        f"/requests/{case_id}/withdraw", data={**form, "version": str(int(form["version"]) + 1)}
    )
    assert stale.status_code == 409
    assert events_end(await events(app, case_id)) != "withdraw"

    done = await client.post(f"/requests/{case_id}/withdraw", data=form)
    assert done.status_code == 303
    after = main_of((await client.get(done.headers["location"])).text)
    assert "Withdrawn" in after
    assert "You withdrew this request" in after
    assert "Withdraw this request" not in after
    assert events_end(await events(app, case_id)) == "withdraw"
    again = await client.post(f"/requests/{case_id}/withdraw", data=form)
    assert again.status_code == 409


async def test_withdraw_through_the_api(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    case_id = await open_case(client, app, mailbox)
    token = token_of(link_in(mailbox.last_to(REQUESTER), f"/requests/{case_id}?token="))
    url = f"/api/v1/requests/{case_id}/withdraw"
    r = await client.post(url, json={"token": "not-the-token"})
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = await client.post(url, json={"token": token, "reason": "no such field"})
    assert r.status_code == 422
    r = await client.post(url, json={"token": token})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "withdrawn"
    r = await client.get(f"/api/v1/requests/{case_id}", params={"token": token})
    assert r.json()["status"] == "withdrawn"
    r = await client.post(url, json={"token": token})
    assert r.status_code == 409


def events_end(actions: list[str]) -> str:
    return actions[-1]
