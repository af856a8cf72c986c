"""Exclusions from requests through the hooks the case workflow calls, the change feed, the
snapshot of excluded keys, output suppressions, and the ledger lock that keeps the feed and
`as_of` answers free of gaps."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from dsr.consent import ledger, service
from dsr.consent import repository as repo
from dsr.consent.exclusions import (
    on_request_fulfilled,
    on_request_lifted,
    on_request_verified,
    subject_keys,
)
from tests.helpers import auth, make_service_token
from tests.training import (
    consent,
    eligibility,
    email_key,
    post_consents,
    reasons,
    run_hook,
    verified_case,
)

ADA = "ada@example.org"


@pytest.fixture
async def tokens(app) -> tuple[str, str, str]:
    return (
        await make_service_token(app, "sync", "consent:write"),
        await make_service_token(app, "trainer", "training:read"),
        await make_service_token(app, "guardrail", "suppressions:read"),
    )


async def exclusion_rows(app) -> list[tuple[str, str, str | None]]:
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT subject, kind, reason FROM exclusion ORDER BY id")
        )
        return [tuple(r) for r in rows]


async def all_changes(client, token: str, limit: int = 500, cursor: str | None = None):
    """Follow the feed to its end; returns the changes and the cursor to continue from."""
    seen = []
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        r = await client.get("/api/v1/training/changes", params=params, headers=auth(token))
        assert r.status_code == 200, r.text
        page = r.json()
        seen.extend(page["changes"])
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return seen, cursor


async def test_exclusion_life_provisional_then_permanent(app, client, mailbox, tokens):
    writer, reader, _ = tokens
    case = await verified_case(client, app, mailbox, email=ADA, account_id=" acct-1 ")
    keys = subject_keys(case)
    assert keys == ["account:acct-1", email_key(ADA)]
    await post_consents(client, writer, *(consent(k, True) for k in keys))
    assert {x[2] for x in reasons(await eligibility(client, reader, keys))} == {"consent_granted"}

    await run_hook(app, on_request_verified, case)
    await run_hook(app, on_request_verified, case)  # a retried transition records nothing new
    assert await exclusion_rows(app) == [(k, "provisional", None) for k in keys]
    r = await eligibility(client, reader, keys)
    assert reasons(r) == [(k, False, "excluded_by_request") for k in keys]

    await run_hook(app, on_request_fulfilled, case)
    await run_hook(app, on_request_fulfilled, case)
    assert (await exclusion_rows(app))[2:] == [(k, "permanent", None) for k in keys]
    assert reasons(await eligibility(client, reader, keys))[0][2] == "excluded_by_request"

    # Every event is recorded with the case that caused it.
    async with app.state.engine.connect() as conn:
        case_ids = (await conn.execute(sa.text("SELECT DISTINCT case_id FROM exclusion"))).all()
    assert [str(c[0]).replace("-", "") for c in case_ids] == [case.id.hex]


async def test_an_account_id_that_cannot_be_a_key_is_left_out(app, client, mailbox):
    case = await verified_case(client, app, mailbox, email=ADA, account_id="acct 1")
    assert subject_keys(case) == [email_key(ADA)]
    await run_hook(app, on_request_verified, case)
    assert await exclusion_rows(app) == [(email_key(ADA), "provisional", None)]


@pytest.mark.parametrize("reason", ["identity_not_verified", "withdrawn"])
async def test_lifted_when_unverifiable_or_withdrawn(app, client, mailbox, tokens, reason):
    writer, reader, _ = tokens
    case = await verified_case(client, app, mailbox, type="objection", email=ADA)
    key = email_key(ADA)
    await post_consents(client, writer, consent(key, True))
    await run_hook(app, on_request_verified, case)
    await run_hook(app, on_request_lifted, case, reason)
    assert await exclusion_rows(app) == [(key, "provisional", None), (key, "lifted", reason)]
    assert reasons(await eligibility(client, reader, [key])) == [(key, True, "consent_granted")]


async def test_other_denials_keep_the_exclusion(app, client, mailbox, tokens):
    _, reader, _ = tokens
    case = await verified_case(client, app, mailbox, email=ADA)
    await run_hook(app, on_request_verified, case)
    await run_hook(app, on_request_lifted, case, "exception_applies")
    assert [k for _, k, _ in await exclusion_rows(app)] == ["provisional"]
    r = await eligibility(client, reader, [email_key(ADA)], category="public_web")
    assert reasons(r)[0][2] == "excluded_by_request"


async def test_access_and_correction_requests_exclude_nothing(app, client, mailbox):
    for kind in ("access", "correction"):
        extra = {"correction": {"inaccurate_data": "a", "corrected_data": "b"}}
        case = await verified_case(
            client, app, mailbox, type=kind, email=ADA, **(extra if kind == "correction" else {})
        )
        for hook in (on_request_verified, on_request_fulfilled):
            await run_hook(app, hook, case)
    assert await exclusion_rows(app) == []


async def test_a_subject_stays_excluded_while_any_request_holds(app, client, mailbox, tokens):
    _, reader, _ = tokens
    key = email_key(ADA)
    first = await verified_case(client, app, mailbox, type="deletion", email=ADA)
    second = await verified_case(client, app, mailbox, type="objection", email=ADA)
    await run_hook(app, on_request_verified, first)
    await run_hook(app, on_request_verified, second)
    await run_hook(app, on_request_lifted, first, "withdrawn")
    assert reasons(await eligibility(client, reader, [key]))[0][2] == "excluded_by_request"
    changes, _ = await all_changes(client, reader)
    assert [(c["exclusion"], c["excluded"]) for c in changes] == [
        ("provisional", True),
        ("provisional", True),
        ("lifted", True),  # still excluded by the objection
    ]
    await run_hook(app, on_request_lifted, second, "identity_not_verified")
    changes, _ = await all_changes(client, reader)
    assert changes[-1]["excluded"] is False
    assert reasons(await eligibility(client, reader, [key]))[0][2] == "no_consent"


async def test_as_of_sees_exclusions_as_they_stood(app, client, mailbox, tokens):
    writer, reader, _ = tokens
    key = email_key(ADA)
    await post_consents(client, writer, consent(key, True))
    case = await verified_case(client, app, mailbox, email=ADA)
    before = (await eligibility(client, reader, [key])).json()
    await asyncio.sleep(0.01)
    await run_hook(app, on_request_verified, case)
    during = (await eligibility(client, reader, [key])).json()
    await asyncio.sleep(0.01)
    await run_hook(app, on_request_lifted, case, "withdrawn")
    for answer in (before, during):
        again = await eligibility(client, reader, [key], as_of=answer["as_of"])
        assert again.json() == answer
    assert before["results"][0]["reason"] == "consent_granted"
    assert during["results"][0]["reason"] == "excluded_by_request"


async def test_feed_pages_without_gaps_or_repeats(app, client, mailbox, tokens):
    writer, reader, _ = tokens
    await post_consents(client, writer, *(consent(f"account:{i}") for i in range(7)))
    case = await verified_case(client, app, mailbox, email=ADA, account_id="a1")
    await run_hook(app, on_request_verified, case)
    await post_consents(client, writer, consent("account:3", False, datetime.now(UTC)))

    paged, cursor = await all_changes(client, reader, limit=3)
    whole, same_cursor = await all_changes(client, reader, limit=1000)
    assert paged == whole and cursor == same_cursor
    ids = [int(c["cursor"]) for c in paged]
    assert ids == sorted(set(ids)) and len(ids) == 7 + 2 + 1
    assert [c["type"] for c in paged] == ["consent"] * 7 + ["exclusion"] * 2 + ["consent"]
    assert paged[-1] == {
        **paged[-1],
        "subject": "account:3",
        "category": "prompts",
        "purpose": "base_model_training",
        "granted": False,
    }
    assert paged[7]["subject"] == "account:a1" and paged[7]["excluded"] is True

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


async def test_ledger_writers_commit_in_id_order(app):
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


async def test_a_now_answer_waits_for_a_writer_in_flight(app, client, tokens):
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


async def test_snapshot_streams_every_currently_excluded_key(app, client, mailbox, tokens):
    _, reader, _ = tokens
    kept = await verified_case(client, app, mailbox, email="b@example.org", account_id="b")
    lifted = await verified_case(client, app, mailbox, email="c@example.org", account_id="c")
    done = await verified_case(client, app, mailbox, email="d@example.org")
    for case in (kept, lifted, done):
        await run_hook(app, on_request_verified, case)
    await run_hook(app, on_request_lifted, lifted, "withdrawn")
    await run_hook(app, on_request_fulfilled, done)
    expected = sorted([*subject_keys(kept), *subject_keys(done)])

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


async def test_empty_snapshot(app, client, tokens):
    _, reader, _ = tokens
    r = await client.get("/api/v1/training/exclusions.ndjson", headers=auth(reader))
    assert r.status_code == 200 and r.text == "" and r.headers["DSR-Changes-Cursor"] == "0"


async def test_output_removal_publishes_and_withdraws_a_suppression(app, client, mailbox, tokens):
    _, reader, guardrail = tokens
    removal = await verified_case(client, app, mailbox, type="output_removal", email=ADA)
    other = await verified_case(
        client,
        app,
        mailbox,
        type="output_removal",
        email="b@example.org",
        output_removal={"personal_data": "B's phone number", "models": ["chat-1", "chat-2"]},
    )
    for case in (removal, other):
        await run_hook(app, on_request_verified, case)
    feed = await client.get("/api/v1/output-suppressions", headers=auth(guardrail))
    assert feed.json() == {"suppressions": [], "next_cursor": "0", "has_more": False}

    await run_hook(app, on_request_fulfilled, removal)
    await run_hook(app, on_request_fulfilled, other)
    await run_hook(app, on_request_fulfilled, other)  # published once
    r = await client.get(
        "/api/v1/output-suppressions", params={"limit": 1}, headers=auth(guardrail)
    )
    page = r.json()
    assert page["has_more"] is True and len(page["suppressions"]) == 1
    rule = page["suppressions"][0]
    assert rule["case_id"] == str(removal.id) and rule["status"] == "active"
    assert rule["personal_data"] == "Ada's home address" and rule["models"] == ["chat-1"]
    assert "examples" not in rule and "Where?" not in r.text  # only what the guardrail needs
    r = await client.get(
        "/api/v1/output-suppressions",
        params={"cursor": page["next_cursor"]},
        headers=auth(guardrail),
    )
    second = r.json()
    assert [s["models"] for s in second["suppressions"]] == [["chat-1", "chat-2"]]
    assert second["has_more"] is False
    cursor = second["next_cursor"]

    # Withdrawn (an appeal led to a denial as unverifiable): the rule comes again, withdrawn,
    # without the personal data, and the subject is no longer excluded.
    await run_hook(app, on_request_lifted, removal, "identity_not_verified")
    r = await client.get(
        "/api/v1/output-suppressions", params={"cursor": cursor}, headers=auth(guardrail)
    )
    (withdrawn,) = r.json()["suppressions"]
    assert withdrawn["id"] == rule["id"] and withdrawn["status"] == "withdrawn"
    assert withdrawn["personal_data"] is None and withdrawn["withdrawn_at"]
    assert int(withdrawn["cursor"]) > int(cursor)
    assert reasons(await eligibility(client, reader, [email_key(ADA)]))[0][2] == "no_consent"


async def test_suppressions_scope(app, client, tokens):
    _, reader, _ = tokens
    assert (await client.get("/api/v1/output-suppressions")).status_code == 401
    r = await client.get("/api/v1/output-suppressions", headers=auth(reader))
    assert r.status_code == 403


async def test_staff_history_shows_exclusions(app, client, mailbox):
    from tests.helpers import make_staff

    case = await verified_case(client, app, mailbox, email=ADA)
    await run_hook(app, on_request_verified, case)
    staff = auth(await make_staff(app, "reviewer@example.com", "reviewer"))
    r = await client.post(
        "/api/v1/consents/history", json={"subject": email_key(ADA)}, headers=staff
    )
    h = r.json()
    assert h["excluded"] is True and h["consents"] == []
    assert [(e["case_id"], e["kind"]) for e in h["exclusions"]] == [(str(case.id), "provisional")]
    assert ADA not in r.text
