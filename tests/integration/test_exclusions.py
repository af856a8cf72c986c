"""The life of an exclusion, driven through the product: a request is submitted and verified
through the e-mailed link, staff work it through POST /api/v1/cases/{id}/actions, the requester
appeals with the link in the decision e-mail. What the pipelines see is read back through the
eligibility API, the change feed, the snapshot, the suppression feed and the staff history.

Also here: the ledger lock that keeps the feed and `as_of` answers free of gaps, and the one
thing no API call can reach, a hook retried after it already ran."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dsr.cases.models import Case
from dsr.consent import ledger, service
from dsr.consent import repository as repo
from dsr.consent.exclusions import on_request_fulfilled, on_request_lifted, on_request_verified
from tests.helpers import (
    Mailbox,
    act,
    auth,
    deliver,
    link_in,
    make_service_token,
    make_staff,
    token_of,
)
from tests.training import consent, eligibility, email_key, post_consents, reasons, run_hook

ADA = "ada@example.org"
OTHER_DENIALS = [
    "exception_applies",
    "manifestly_unfounded_or_excessive",
    "not_covered",
    "outside_jurisdiction",
    "other",
]


@pytest.fixture
async def tokens(app: FastAPI) -> tuple[str, str, str]:
    return (
        await make_service_token(app, "sync", "consent:write"),
        await make_service_token(app, "trainer", "training:read"),
        await make_service_token(app, "guardrail", "suppressions:read"),
    )


@pytest.fixture
async def staff(app: FastAPI) -> dict[str, str]:
    return {
        "handler": await make_staff(app, "handler@example.com", "handler"),
        "decider": await make_staff(app, "decider@example.com", "admin"),
        "reviewer": await make_staff(app, "reviewer@example.com", "reviewer"),
    }


# --- driving the product ----------------------------------------------------------------------


async def submit(
    client: httpx.AsyncClient, type: str = "deletion", email: str = ADA, **fields: Any
) -> str:
    """A public submission (US-VA: the law grants an appeal). Nothing is verified yet."""
    if type == "output_removal":
        fields.setdefault(
            "output_removal",
            {"personal_data": "Ada's home address", "examples": ["Where?"], "models": ["chat-1"]},
        )
    body = {"type": type, "jurisdiction": "US-VA", "email": email, "full_name": "Ada L", **fields}
    r = await client.post("/api/v1/requests", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def verify(
    client: httpx.AsyncClient, app: FastAPI, mailbox: Mailbox, case_id: str, email: str = ADA
) -> None:
    """The requester follows the verification link in their e-mail."""
    await deliver(app)
    link = link_in(mailbox.last_to(email), f"/requests/{case_id}/verify")
    r = await client.post(f"/api/v1/requests/{case_id}/verify", json={"token": token_of(link)})
    assert r.status_code == 200, r.text
    await deliver(app)


async def opened(
    client: httpx.AsyncClient,
    app: FastAPI,
    mailbox: Mailbox,
    type: str = "deletion",
    email: str = ADA,
    **fields: Any,
) -> str:
    case_id = await submit(client, type, email, **fields)
    await verify(client, app, mailbox, case_id, email)
    return case_id


async def work(
    client: httpx.AsyncClient, token: str, case_id: str, action: str, **params: Any
) -> dict[str, Any]:
    r = await act(client, token, case_id, action, **params)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def fulfil(client: httpx.AsyncClient, staff: dict[str, str], case_id: str) -> None:
    await work(client, staff["handler"], case_id, "assign", assignee="handler@example.com")
    await work(client, staff["handler"], case_id, "fulfil")


async def deny(
    client: httpx.AsyncClient,
    app: FastAPI,
    mailbox: Mailbox,
    staff: dict[str, str],
    case_id: str,
    reason_code: str,
) -> str:
    """Deny as the decider; returns the requester's appeal token from the decision e-mail."""
    await work(
        client, staff["decider"], case_id, "deny", reason_code=reason_code, explanation="Why."
    )
    await deliver(app)
    return token_of(link_in(mailbox.last_to(ADA), f"/requests/{case_id}/appeal"))


async def appeal_decided(
    client: httpx.AsyncClient, staff: dict[str, str], case_id: str, token: str, outcome: str
) -> None:
    r = await client.post(
        f"/api/v1/requests/{case_id}/appeal", json={"token": token, "reason": "I am Ada."}
    )
    assert r.status_code == 201, r.text
    url = f"/api/v1/appeals/{r.json()['id']}/actions"
    reviewer = auth(staff["reviewer"])
    r = await client.post(
        url, json={"action": "assign", "assignee": "reviewer@example.com"}, headers=reviewer
    )
    assert r.status_code == 200, r.text
    r = await client.post(url, json={"action": outcome, "explanation": "Seen."}, headers=reviewer)
    assert r.status_code == 200, r.text


# --- reading what pipelines and staff see -----------------------------------------------------


async def history(client: httpx.AsyncClient, staff: dict[str, str], key: str) -> dict[str, Any]:
    r = await client.post(
        "/api/v1/consents/history", json={"subject": key}, headers=auth(staff["handler"])
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


async def events(
    client: httpx.AsyncClient, staff: dict[str, str], key: str
) -> list[tuple[str, str, str | None]]:
    """(case id, kind, reason) of every exclusion event of a key, oldest first."""
    h = await history(client, staff, key)
    return [(e["case_id"], e["kind"], e["reason"]) for e in h["exclusions"]]


async def all_changes(
    client: httpx.AsyncClient, token: str, limit: int = 500, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Follow the feed to its end; returns the changes and the cursor to continue from."""
    seen: list[dict[str, Any]] = []
    while True:
        params: dict[str, str | int] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        r = await client.get("/api/v1/training/changes", params=params, headers=auth(token))
        assert r.status_code == 200, r.text
        page = r.json()
        seen.extend(page["changes"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return seen, cursor


async def exclusion_changes(client: httpx.AsyncClient, token: str) -> list[tuple[str, str, bool]]:
    changes, _ = await all_changes(client, token)
    return [
        (c["subject"], c["exclusion"], c["excluded"]) for c in changes if c["type"] != "consent"
    ]


async def suppressions(
    client: httpx.AsyncClient, token: str, cursor: str | None = None
) -> dict[str, Any]:
    params = {"cursor": cursor} if cursor else {}
    r = await client.get("/api/v1/output-suppressions", params=params, headers=auth(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


async def why(client: httpx.AsyncClient, reader: str, key: str, **body: Any) -> str:
    return reasons(await eligibility(client, reader, [key], **body))[0][2]


# --- the life of an exclusion -----------------------------------------------------------------


async def test_verification_excludes_at_once_and_fulfilment_makes_it_permanent(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
) -> None:
    writer, reader, _ = tokens
    keys = ["account:acct-1", email_key(ADA)]
    await post_consents(client, writer, *(consent(k, True) for k in keys))
    # Spaces around the account id and capitals in the address do not change the keys.
    case_id = await submit(client, "deletion", " Ada@Example.org ", account_id=" acct-1 ")
    # Submitted but not verified: anyone could have typed Ada's address, so nothing changes.
    assert reasons(await eligibility(client, reader, keys)) == [
        (k, True, "consent_granted") for k in keys
    ]
    assert await exclusion_changes(client, reader) == []

    await verify(client, app, mailbox, case_id, "ada@example.org")
    assert reasons(await eligibility(client, reader, keys)) == [
        (k, False, "excluded_by_request") for k in keys
    ]
    assert reasons(await eligibility(client, reader, keys, category="public_web")) == [
        (k, False, "excluded_by_request") for k in keys
    ]
    for k in keys:
        assert await events(client, staff, k) == [(case_id, "provisional", None)]

    await work(client, staff["handler"], case_id, "assign", assignee="handler@example.com")
    assert await events(client, staff, keys[0]) == [(case_id, "provisional", None)]
    await work(client, staff["handler"], case_id, "fulfil")
    for k in keys:
        assert await events(client, staff, k) == [
            (case_id, "provisional", None),
            (case_id, "permanent", None),
        ]
    assert {r[2] for r in reasons(await eligibility(client, reader, keys))} == {
        "excluded_by_request"
    }
    assert await exclusion_changes(client, reader) == [
        (keys[0], "provisional", True),
        (keys[1], "provisional", True),
        (keys[0], "permanent", True),
        (keys[1], "permanent", True),
    ]


async def test_an_account_id_that_cannot_be_a_key_is_left_out(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
) -> None:
    _, reader, _ = tokens
    case_id = await opened(client, app, mailbox, account_id="acct 1")
    assert await exclusion_changes(client, reader) == [(email_key(ADA), "provisional", True)]
    assert await events(client, staff, email_key(ADA)) == [(case_id, "provisional", None)]


@pytest.mark.parametrize("request_type", ["deletion", "objection", "output_removal"])
async def test_every_excluding_type_excludes_on_verification(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    request_type: str,
) -> None:
    _, reader, _ = tokens
    await opened(client, app, mailbox, request_type, account_id="a7")
    assert reasons(await eligibility(client, reader, ["account:a7"], category="outputs")) == [
        ("account:a7", False, "excluded_by_request")
    ]


@pytest.mark.parametrize("how", ["identity_not_verified", "withdrawn"])
async def test_lifted_when_denied_as_unverifiable_or_withdrawn(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
    how: str,
) -> None:
    writer, reader, _ = tokens
    key = email_key(ADA)
    await post_consents(client, writer, consent(key, True))
    case_id = await opened(client, app, mailbox, "objection")
    assert await why(client, reader, key) == "excluded_by_request"
    if how == "withdrawn":
        await work(client, staff["handler"], case_id, "withdraw", reason="Sent by mistake")
    else:
        await deny(client, app, mailbox, staff, case_id, how)
    assert await events(client, staff, key) == [
        (case_id, "provisional", None),
        (case_id, "lifted", how),
    ]
    assert await why(client, reader, key) == "consent_granted"
    assert await exclusion_changes(client, reader) == [
        (key, "provisional", True),
        (key, "lifted", False),
    ]


@pytest.mark.parametrize("reason_code", OTHER_DENIALS)
async def test_other_denials_keep_the_exclusion(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
    reason_code: str,
) -> None:
    writer, reader, _ = tokens
    key = email_key(ADA)
    await post_consents(client, writer, consent(key, True))
    case_id = await opened(client, app, mailbox)
    await deny(client, app, mailbox, staff, case_id, reason_code)
    assert await events(client, staff, key) == [(case_id, "provisional", None)]
    assert await why(client, reader, key) == "excluded_by_request"
    assert await why(client, reader, key, category="public_web") == "excluded_by_request"


async def test_an_overturned_appeal_excludes_again(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
) -> None:
    _, reader, _ = tokens
    key = email_key(ADA)
    case_id = await opened(client, app, mailbox, "objection")
    token = await deny(client, app, mailbox, staff, case_id, "identity_not_verified")
    assert await why(client, reader, key, category="public_web") == "not_consent_gated"

    await appeal_decided(client, staff, case_id, token, "overturn")
    assert await why(client, reader, key, category="public_web") == "excluded_by_request"
    await fulfil(client, staff, case_id)
    assert await events(client, staff, key) == [
        (case_id, "provisional", None),
        (case_id, "lifted", "identity_not_verified"),
        (case_id, "provisional", None),
        (case_id, "permanent", None),
    ]
    assert [x[2] for x in await exclusion_changes(client, reader)] == [True, False, True, True]


async def test_an_upheld_appeal_leaves_it_lifted(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
) -> None:
    _, reader, _ = tokens
    key = email_key(ADA)
    case_id = await opened(client, app, mailbox)
    token = await deny(client, app, mailbox, staff, case_id, "identity_not_verified")
    await appeal_decided(client, staff, case_id, token, "uphold")
    assert [k for _, k, _ in await events(client, staff, key)] == ["provisional", "lifted"]
    assert await why(client, reader, key, category="public_web") == "not_consent_gated"


async def test_overturning_a_denial_that_kept_the_exclusion_adds_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
) -> None:
    _, reader, _ = tokens
    key = email_key(ADA)
    case_id = await opened(client, app, mailbox)
    token = await deny(client, app, mailbox, staff, case_id, "exception_applies")
    await appeal_decided(client, staff, case_id, token, "overturn")
    assert await events(client, staff, key) == [(case_id, "provisional", None)]
    assert await exclusion_changes(client, reader) == [(key, "provisional", True)]
    assert await why(client, reader, key) == "excluded_by_request"


async def test_access_and_correction_requests_exclude_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
) -> None:
    writer, reader, _ = tokens
    key = email_key(ADA)
    await post_consents(client, writer, consent(key, True), consent("account:a1", True))
    access = await opened(client, app, mailbox, "access", account_id="a1")
    correction = await opened(
        client,
        app,
        mailbox,
        "correction",
        account_id="a1",
        correction={"inaccurate_data": "a", "corrected_data": "b"},
    )
    for case_id in (access, correction):
        await fulfil(client, staff, case_id)
    assert await exclusion_changes(client, reader) == []
    assert (await history(client, staff, key))["exclusions"] == []
    assert reasons(await eligibility(client, reader, [key, "account:a1"])) == [
        (key, True, "consent_granted"),
        ("account:a1", True, "consent_granted"),
    ]


@pytest.mark.parametrize("identity_verified", [True, False])
async def test_staff_entered_requests_exclude_once_verified(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
    identity_verified: bool,
) -> None:
    _, reader, _ = tokens
    body = {
        "type": "objection",
        "jurisdiction": "US-CA",
        "email": ADA,
        "full_name": "Ada L",
        "account_id": "acct-9",
        "received_at": (datetime.now(UTC).date() - timedelta(days=2)).isoformat(),
        "channel": "post",
        "identity_verified": identity_verified,
    }
    r = await client.post("/api/v1/cases", json=body, headers=auth(staff["handler"]))
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    keys = ["account:acct-9", email_key(ADA)]
    if not identity_verified:
        # Staff could not confirm who wrote: the requester confirms the address first.
        assert r.json()["status"] == "pending_verification"
        assert {x[2] for x in reasons(await eligibility(client, reader, keys))} == {"no_consent"}
        await verify(client, app, mailbox, case_id)
    assert reasons(await eligibility(client, reader, keys, category="public_web")) == [
        (k, False, "excluded_by_request") for k in keys
    ]
    assert await events(client, staff, keys[0]) == [(case_id, "provisional", None)]


async def test_a_subject_stays_excluded_while_any_request_holds(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
) -> None:
    _, reader, _ = tokens
    key = email_key(ADA)
    deletion = await opened(client, app, mailbox, "deletion")
    objection = await opened(client, app, mailbox, "objection")
    await work(client, staff["handler"], deletion, "withdraw")
    assert await why(client, reader, key) == "excluded_by_request"
    assert await exclusion_changes(client, reader) == [
        (key, "provisional", True),
        (key, "provisional", True),
        (key, "lifted", True),  # still excluded by the objection
    ]
    await deny(client, app, mailbox, staff, objection, "identity_not_verified")
    assert (await exclusion_changes(client, reader))[-1] == (key, "lifted", False)
    assert await why(client, reader, key) == "no_consent"
    assert (await history(client, staff, key))["excluded"] is False


async def test_as_of_sees_exclusions_as_they_stood(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
) -> None:
    writer, reader, _ = tokens
    key = email_key(ADA)
    await post_consents(client, writer, consent(key, True))
    case_id = await submit(client)
    before = (await eligibility(client, reader, [key])).json()
    await asyncio.sleep(0.01)
    await verify(client, app, mailbox, case_id)
    during = (await eligibility(client, reader, [key])).json()
    await asyncio.sleep(0.01)
    await work(client, staff["handler"], case_id, "withdraw")
    after = (await eligibility(client, reader, [key])).json()
    for answer in (before, during, after):
        again = await eligibility(client, reader, [key], as_of=answer["as_of"])
        assert again.json() == answer
    assert [a["results"][0]["reason"] for a in (before, during, after)] == [
        "consent_granted",
        "excluded_by_request",
        "consent_granted",
    ]


async def test_feed_pages_without_gaps_or_repeats(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, tokens: tuple[str, str, str]
) -> None:
    writer, reader, _ = tokens
    await post_consents(client, writer, *(consent(f"account:{i}") for i in range(7)))
    await opened(client, app, mailbox, account_id="a1")
    await post_consents(client, writer, consent("account:3", False, datetime.now(UTC)))

    paged, cursor = await all_changes(client, reader, limit=3)
    whole, same_cursor = await all_changes(client, reader, limit=1000)
    assert paged == whole
    assert cursor == same_cursor
    ids = [int(c["cursor"]) for c in paged]
    assert ids == sorted(set(ids))
    assert len(ids) == 7 + 2 + 1
    assert [c["type"] for c in paged] == ["consent"] * 7 + ["exclusion"] * 2 + ["consent"]
    assert paged[-1] == {
        **paged[-1],
        "subject": "account:3",
        "category": "prompts",
        "purpose": "base_model_training",
        "granted": False,
    }
    assert paged[7]["subject"] == "account:a1"
    assert paged[7]["excluded"] is True

    # Nothing new: the same cursor comes back. Then only what is new.
    r = await client.get(
        "/api/v1/training/changes", params={"cursor": cursor}, headers=auth(reader)
    )
    assert r.json() == {"changes": [], "next_cursor": cursor, "has_more": False}
    await post_consents(client, writer, consent("account:99"))
    newer, _ = await all_changes(client, reader, cursor=cursor)
    assert [c["subject"] for c in newer] == ["account:99"]
    # Every record appended is in the feed, also one that does not decide (made earlier than the
    # latest): the pipeline asks again for the subject.
    await post_consents(
        client, writer, consent("account:99", False, datetime(2020, 1, 1, tzinfo=UTC))
    )
    later, _ = await all_changes(client, reader, cursor=newer[-1]["cursor"])
    assert [(c["subject"], c["granted"]) for c in later] == [("account:99", False)]

    bad = await client.get("/api/v1/training/changes", params={"cursor": "x"}, headers=auth(reader))
    assert bad.status_code == 422


async def test_snapshot_streams_every_currently_excluded_key(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
) -> None:
    _, reader, _ = tokens
    await opened(client, app, mailbox, email="b@example.org", account_id="b")  # provisional
    lifted = await opened(client, app, mailbox, email="c@example.org", account_id="c")
    done = await opened(client, app, mailbox, email="d@example.org")
    await work(client, staff["handler"], lifted, "withdraw")
    await fulfil(client, staff, done)
    expected = sorted(["account:b", email_key("b@example.org"), email_key("d@example.org")])

    r = await client.get("/api/v1/training/exclusions.ndjson", headers=auth(reader))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in r.text.splitlines()]
    assert lines == [{"subject": k} for k in expected]
    changes, last = await all_changes(client, reader)
    assert r.headers["DSR-Changes-Cursor"] == last == changes[-1]["cursor"]

    # Keyset batches: the same keys whatever the batch size, each once.
    for batch in (1, 2, 3):
        chunks = [c async for c in service.excluded_snapshot(app.state.sessionmaker, batch)]
        got = [json.loads(x)["subject"] for c in chunks for x in c.splitlines()]
        assert got == expected, batch


async def test_empty_snapshot(client: httpx.AsyncClient, tokens: tuple[str, str, str]) -> None:
    _, reader, _ = tokens
    r = await client.get("/api/v1/training/exclusions.ndjson", headers=auth(reader))
    assert r.status_code == 200
    assert r.text == ""
    assert r.headers["DSR-Changes-Cursor"] == "0"


# --- output suppressions ----------------------------------------------------------------------


async def test_fulfilled_output_removal_publishes_a_suppression(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
) -> None:
    _, reader, guardrail = tokens
    removal = await opened(client, app, mailbox, "output_removal")
    other = await opened(
        client,
        app,
        mailbox,
        "output_removal",
        email="b@example.org",
        output_removal={"personal_data": "B's phone number", "models": ["chat-1", "chat-2"]},
    )
    # Verified, not yet approved: excluded from training, nothing for the guardrail yet.
    assert await why(client, reader, email_key(ADA)) == "excluded_by_request"
    assert await suppressions(client, guardrail) == {
        "suppressions": [],
        "next_cursor": "0",
        "has_more": False,
    }

    await fulfil(client, staff, removal)
    await fulfil(client, staff, other)
    r = await client.get(
        "/api/v1/output-suppressions", params={"limit": 1}, headers=auth(guardrail)
    )
    page = r.json()
    assert page["has_more"] is True
    assert len(page["suppressions"]) == 1
    rule = page["suppressions"][0]
    assert rule["case_id"] == removal
    assert rule["status"] == "active"
    assert rule["personal_data"] == "Ada's home address"
    assert rule["models"] == ["chat-1"]
    assert "examples" not in rule
    assert "Where?" not in r.text
    assert ADA not in r.text
    assert "Ada L" not in r.text
    second = await suppressions(client, guardrail, page["next_cursor"])
    assert [(s["case_id"], s["models"]) for s in second["suppressions"]] == [
        (other, ["chat-1", "chat-2"])
    ]
    assert second["has_more"] is False
    assert [k for _, k, _ in await events(client, staff, email_key(ADA))] == [
        "provisional",
        "permanent",
    ]


@pytest.mark.parametrize("how", ["withdraw", "identity_not_verified", "exception_applies"])
async def test_a_refused_or_withdrawn_output_removal_publishes_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
    how: str,
) -> None:
    _, _, guardrail = tokens
    case_id = await opened(client, app, mailbox, "output_removal")
    if how == "withdraw":
        await work(client, staff["handler"], case_id, "withdraw")
    else:
        await deny(client, app, mailbox, staff, case_id, how)
    assert (await suppressions(client, guardrail))["suppressions"] == []


async def test_a_published_rule_is_withdrawn_when_its_request_is_lifted(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
) -> None:
    """Hook level, because no API path reaches it today: the rule is published on fulfilment,
    and a fulfilled case is final (no appeal, no withdrawal). The hook still withdraws a
    published rule, so that the feed's `withdrawn` status works when a path is added."""
    _, reader, guardrail = tokens
    case_id = await opened(client, app, mailbox, "output_removal")
    await fulfil(client, staff, case_id)
    published = await suppressions(client, guardrail)
    (rule,) = published["suppressions"]

    await run_hook(app, on_request_lifted, await load(app, case_id), "identity_not_verified")
    (withdrawn,) = (await suppressions(client, guardrail, published["next_cursor"]))["suppressions"]
    assert withdrawn["id"] == rule["id"]
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["personal_data"] is None
    assert withdrawn["withdrawn_at"]
    assert int(withdrawn["cursor"]) > int(rule["cursor"])
    assert await why(client, reader, email_key(ADA)) == "no_consent"


async def test_suppressions_scope(client: httpx.AsyncClient, tokens: tuple[str, str, str]) -> None:
    _, reader, _ = tokens
    assert (await client.get("/api/v1/output-suppressions")).status_code == 401
    r = await client.get("/api/v1/output-suppressions", headers=auth(reader))
    assert r.status_code == 403


# --- the staff history ------------------------------------------------------------------------


async def test_staff_history_shows_exclusions_with_their_cases(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, staff: dict[str, str]
) -> None:
    first = await opened(client, app, mailbox, "deletion")
    second = await opened(client, app, mailbox, "objection")
    await work(client, staff["handler"], first, "withdraw")
    r = await client.post(
        "/api/v1/consents/history",
        json={"subject": email_key(ADA)},
        headers=auth(await make_staff(app, "auditor@example.com", "auditor")),
    )
    h = r.json()
    assert h["excluded"] is True
    assert h["consents"] == []
    assert [(e["case_id"], e["kind"]) for e in h["exclusions"]] == [
        (first, "provisional"),
        (second, "provisional"),
        (first, "lifted"),
    ]
    assert ADA not in r.text


# --- what no API call reaches -----------------------------------------------------------------


async def load(app: FastAPI, case_id: str) -> Case:
    async with app.state.sessionmaker() as session:
        case: Case | None = await session.get(Case, uuid.UUID(case_id))
        assert case is not None
        return case


async def test_a_retried_hook_records_nothing_new(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
) -> None:
    """A transition retried after its hook already ran (a replayed request, a worker restart)
    must not log the exclusion twice, nor publish the rule twice."""
    _, reader, guardrail = tokens
    case_id = await opened(client, app, mailbox, "output_removal", account_id="r1")
    case = await load(app, case_id)
    await run_hook(app, on_request_verified, case)
    assert len(await exclusion_changes(client, reader)) == 2

    await fulfil(client, staff, case_id)
    feed_before = await exclusion_changes(client, reader)
    rules_before = await suppressions(client, guardrail)
    for hook in (on_request_fulfilled, on_request_verified):
        await run_hook(app, hook, case)
    assert await exclusion_changes(client, reader) == feed_before
    assert await suppressions(client, guardrail) == rules_before
    assert len(rules_before["suppressions"]) == 1

    await run_hook(app, on_request_lifted, case, "withdrawn")
    lifted = await exclusion_changes(client, reader)
    await run_hook(app, on_request_lifted, case, "withdrawn")
    assert await exclusion_changes(client, reader) == lifted
    assert [k for _, k, _ in lifted] == ["provisional"] * 2 + ["permanent"] * 2 + ["lifted"] * 2


async def test_ledger_writers_commit_in_id_order(app: FastAPI) -> None:
    """A second writer waits for the first to commit, so a feed reader past id N never misses a
    later-committed N-1 (see dsr/consent/ledger.py). Without the lock the second writer would
    finish at once."""
    factory = app.state.sessionmaker
    first = factory()
    await first.begin()
    at = await ledger.lock_for_write(first)
    await repo.append_changes(first, [{"at": at, "subject": "account:first", "kind": "consent"}])

    async def second_writer() -> None:
        async with factory() as session, session.begin():
            now = await ledger.lock_for_write(session)
            await repo.append_changes(
                session, [{"at": now, "subject": "account:second", "kind": "consent"}]
            )

    task = asyncio.create_task(second_writer())
    try:
        await asyncio.sleep(0.5)
        assert not task.done(), "the second writer did not wait for the ledger lock"
        await first.commit()
    finally:
        await first.close()
        await asyncio.wait_for(task, 10)
    async with factory() as session:
        rows = await repo.changes_after(session, 0, 10)
    assert [r.subject for r in rows] == ["account:first", "account:second"]


async def test_a_now_answer_waits_for_a_writer_in_flight(
    app: FastAPI, client: httpx.AsyncClient, tokens: tuple[str, str, str]
) -> None:
    """Otherwise a writer stamped before the answer's as_of but committed after it would change
    the answer when asked again with that as_of."""
    _, reader, _ = tokens
    factory = app.state.sessionmaker
    writer = factory()
    await writer.begin()
    now = await ledger.lock_for_write(writer)
    await repo.append_consents(
        writer,
        [repo.ConsentIn("account:w", "prompts", "base_model_training", True, now, None)],
        now,
    )
    asking = asyncio.create_task(eligibility(client, reader, ["account:w"]))
    try:
        await asyncio.sleep(0.5)
        assert not asking.done(), "the answer did not wait for the writer in flight"
        await writer.commit()
    finally:
        await writer.close()
        answer = await asyncio.wait_for(asking, 10)
    assert reasons(answer) == [("account:w", True, "consent_granted")]
    assert datetime.fromisoformat(answer.json()["as_of"]) >= now


# --- partial fulfilment and duplicates ----------------------------------------------------------


async def test_partial_fulfilment_makes_it_permanent_and_publishes_the_rule(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
) -> None:
    """A request fulfilled in part was verified and acted on: nothing lifts its exclusion, and the
    guardrail gets the suppression rule (over-suppressing protects the person; staff narrow it)."""
    _, reader, guardrail = tokens
    key = email_key(ADA)
    case_id = await opened(client, app, mailbox, "output_removal")
    await work(client, staff["handler"], case_id, "assign", assignee="handler@example.com")
    await work(
        client, staff["handler"], case_id, "partially_fulfil", reason_code="exception_applies",
        explanation="Suppressed in chat-1; chat-0 is retired.",
    )  # fmt: skip
    assert await events(client, staff, key) == [
        (case_id, "provisional", None),
        (case_id, "permanent", None),
    ]
    rules = (await suppressions(client, guardrail))["suppressions"]
    assert [(r["case_id"], r["status"]) for r in rules] == [(case_id, "active")]
    assert await why(client, reader, key) == "excluded_by_request"


async def test_a_duplicate_follows_the_request_it_duplicates(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
) -> None:
    """The second deletion request (another account id) is closed as a duplicate; its keys are
    excluded at verification and share the first request's fate: lifted when it is withdrawn."""
    writer, reader, _ = tokens
    keys = ["account:acct-1", "account:acct-2", email_key(ADA)]
    await post_consents(client, writer, *(consent(k, True) for k in keys))
    first = await opened(client, app, mailbox, "deletion", account_id="acct-1")
    second = await opened(client, app, mailbox, "deletion", account_id="acct-2")
    r = await client.get(f"/api/v1/cases/{second}", headers=auth(staff["handler"]))
    assert (r.json()["status"], r.json()["duplicate_of"]) == ("duplicate", first)
    assert {x[2] for x in reasons(await eligibility(client, reader, keys))} == {
        "excluded_by_request"
    }

    await work(client, staff["handler"], first, "withdraw", reason="Sent by mistake")
    assert await events(client, staff, "account:acct-2") == [
        (second, "provisional", None),
        (second, "lifted", "withdrawn"),
    ]
    assert reasons(await eligibility(client, reader, keys)) == [
        (k, True, "consent_granted") for k in keys
    ]


async def test_a_duplicate_is_made_permanent_with_its_original(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    tokens: tuple[str, str, str],
    staff: dict[str, str],
) -> None:
    _, reader, _ = tokens
    first = await opened(client, app, mailbox, "objection", account_id="acct-1")
    second = await opened(client, app, mailbox, "objection", account_id="acct-2")
    await fulfil(client, staff, first)
    assert await events(client, staff, "account:acct-2") == [
        (second, "provisional", None),
        (second, "permanent", None),
    ]
    assert await why(client, reader, "account:acct-2") == "excluded_by_request"
