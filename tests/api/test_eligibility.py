"""POST /api/v1/training/eligibility: reasons, order, policy, as_of reproducibility, limits."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from dsr.consent.service import Answer, answer_json
from dsr.domain.eligibility import ELIGIBLE, Reason
from dsr.main import BULK_BODY_LIMIT
from tests.helpers import Mailbox, auth, make_service_token, make_staff
from tests.training import (
    consent,
    eligibility,
    email_key,
    post_consents,
    reasons,
    verified_case,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
GRANTED, WITHDRAWN, UNKNOWN = "account:granted", "account:withdrawn", "account:nobody"
EXCLUDED = email_key("ada@example.org")


@pytest.fixture
async def tokens(app: FastAPI) -> tuple[str, str]:
    writer = await make_service_token(app, "sync", "consent:write")
    reader = await make_service_token(app, "trainer", "training:read")
    return writer, reader


async def test_every_reason_in_input_order(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, tokens: tuple[str, str]
) -> None:
    writer, reader = tokens
    await post_consents(
        client,
        writer,
        consent(GRANTED, True),
        consent(WITHDRAWN, True, T0),
        consent(WITHDRAWN, False, T0 + timedelta(days=1)),
        consent(EXCLUDED, True),
    )
    await verified_case(client, app, mailbox, type="objection", email="ada@example.org")

    asked = [UNKNOWN, GRANTED, EXCLUDED, WITHDRAWN, GRANTED]
    r = await eligibility(client, reader, asked)
    assert reasons(r) == [
        (UNKNOWN, False, "no_consent"),
        (GRANTED, True, "consent_granted"),
        (EXCLUDED, False, "excluded_by_request"),
        (WITHDRAWN, False, "consent_withdrawn"),
        (GRANTED, True, "consent_granted"),
    ]
    body = r.json()
    assert body["policy_version"] == "2026-11-22.1"
    assert datetime.fromisoformat(body["as_of"]) <= datetime.now(UTC)

    # public_web needs no consent, but a verified objection still excludes it.
    r = await eligibility(client, reader, [UNKNOWN, EXCLUDED], category="public_web")
    assert reasons(r) == [
        (UNKNOWN, True, "not_consent_gated"),
        (EXCLUDED, False, "excluded_by_request"),
    ]


async def test_duplicates_unknown_keys_and_keys_json_must_escape(
    client: httpx.AsyncClient, tokens: tuple[str, str]
) -> None:
    """The answer is written without a JSON encoder per result: keys with `"` or a backslash
    (allowed in a key's value) must still come back exactly, duplicates answered each time."""
    writer, reader = tokens
    quoted, backslash = 'crm:say-"hi"', "crm:C:\\users\\ada"
    await post_consents(client, writer, consent(quoted, True), consent(backslash, False))
    asked = [quoted, UNKNOWN, backslash, quoted, UNKNOWN]
    for as_of in (None, (await eligibility(client, reader, [UNKNOWN])).json()["as_of"]):
        r = await eligibility(client, reader, asked, **({"as_of": as_of} if as_of else {}))
        assert reasons(r) == [
            (quoted, True, "consent_granted"),
            (UNKNOWN, False, "no_consent"),
            (backslash, False, "consent_withdrawn"),
            (quoted, True, "consent_granted"),
            (UNKNOWN, False, "no_consent"),
        ]
    r = await eligibility(client, reader, [UNKNOWN, UNKNOWN], category="public_web")
    assert reasons(r) == [(UNKNOWN, True, "not_consent_gated")] * 2


@pytest.mark.parametrize(
    "subjects",
    [
        [],
        ["account:1", "account:2", "account:1"],
        ['crm:"q"', "crm:\\", "x:é", "x:\u2028", "x:\x01"],
    ],
)
def test_the_written_answer_is_what_a_json_encoder_writes(subjects: list[str]) -> None:
    """answer_json writes the results itself (no object per result); it must give the same
    bytes as orjson for any key, also ones the request schema would refuse."""
    when = datetime(2026, 5, 1, 12, 30, 0, 123456, tzinfo=UTC)
    decided = {"account:2": Reason.CONSENT_GRANTED, 'crm:"q"': Reason.EXCLUDED_BY_REQUEST}
    answer = Answer(when, "v1", subjects, Reason.NO_CONSENT, decided)
    expected = {
        "as_of": when,
        "policy_version": "v1",
        "results": [
            {"subject": s, "eligible": r in ELIGIBLE, "reason": r}
            for s in subjects
            for r in (decided.get(s, Reason.NO_CONSENT),)
        ],
    }
    assert answer_json(answer) == orjson.dumps(expected)


async def test_consent_is_per_category_and_purpose(
    client: httpx.AsyncClient, tokens: tuple[str, str]
) -> None:
    writer, reader = tokens
    await post_consents(client, writer, consent(GRANTED, True))
    for body in ({"category": "outputs"}, {"purpose": "model_evaluation"}):
        assert reasons(await eligibility(client, reader, [GRANTED], **body)) == [
            (GRANTED, False, "no_consent")
        ]


async def test_the_answer_carries_only_the_callers_keys(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, tokens: tuple[str, str]
) -> None:
    writer, reader = tokens
    await post_consents(
        client, writer, consent(GRANTED, True, source="crm-export"), consent("account:other")
    )
    case = await verified_case(client, app, mailbox, account_id="acct-99", email="ada@example.org")
    r = await eligibility(client, reader, [GRANTED, "account:acct-99"])
    assert set(r.json()) == {"as_of", "policy_version", "results"}
    assert all(set(x) == {"subject", "eligible", "reason"} for x in r.json()["results"])
    for leak in ("account:other", "crm-export", "ada@example.org", EXCLUDED, str(case.id)):
        assert leak not in r.text
    assert reasons(r)[1] == ("account:acct-99", False, "excluded_by_request")


async def test_as_of_answers_as_the_ledger_stood_then(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, tokens: tuple[str, str]
) -> None:
    writer, reader = tokens
    before_anything = datetime.now(UTC)
    await post_consents(client, writer, consent(GRANTED, True), consent(EXCLUDED, True))
    first = await eligibility(client, reader, [GRANTED, EXCLUDED])
    assert [x[2] for x in reasons(first)] == ["consent_granted", "consent_granted"]
    then = first.json()["as_of"]

    # The ledger moves on: a withdrawal, and a verified deletion request.
    await asyncio.sleep(0.01)
    await post_consents(client, writer, consent(GRANTED, False, datetime.now(UTC)))
    await verified_case(client, app, mailbox, email="ada@example.org")  # verified: excluded
    now = await eligibility(client, reader, [GRANTED, EXCLUDED])
    assert [x[2] for x in reasons(now)] == ["consent_withdrawn", "excluded_by_request"]

    # Asking again "as of" the first answer reproduces it exactly.
    again = await eligibility(client, reader, [GRANTED, EXCLUDED], as_of=then)
    assert again.json() == first.json()
    # ... and before the first record, nobody had consented.
    early = await eligibility(client, reader, [GRANTED], as_of=before_anything.isoformat())
    assert reasons(early) == [(GRANTED, False, "no_consent")]


async def test_a_record_received_later_does_not_change_a_past_answer(
    client: httpx.AsyncClient, tokens: tuple[str, str]
) -> None:
    writer, reader = tokens
    await post_consents(client, writer, consent(GRANTED, True, T0))
    first = await eligibility(client, reader, [GRANTED])
    then = first.json()["as_of"]
    # A back-dated withdrawal arrives: it decided before `then`, but the ledger did not know.
    await post_consents(client, writer, consent(GRANTED, False, T0 + timedelta(days=1)))
    assert (await eligibility(client, reader, [GRANTED], as_of=then)).json() == first.json()
    assert reasons(await eligibility(client, reader, [GRANTED]))[0][2] == "consent_withdrawn"


async def test_as_of_in_the_future_is_refused(
    client: httpx.AsyncClient, tokens: tuple[str, str]
) -> None:
    _, reader = tokens
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    r = await eligibility(client, reader, [GRANTED], as_of=later)
    assert r.status_code == 422
    assert "as_of" in r.json()["detail"]
    r = await eligibility(client, reader, [GRANTED], as_of="2026-01-01T00:00:00")  # no offset
    assert r.status_code == 422


@pytest.mark.parametrize(
    "settings_overrides",
    [{"training_policy": {"version": "2027-02-01.1", "consent_gated": ["public_web"]}}],
)
async def test_policy_comes_from_versioned_configuration(
    client: httpx.AsyncClient, tokens: tuple[str, str]
) -> None:
    _, reader = tokens
    r = await eligibility(client, reader, [UNKNOWN], category="public_web")
    assert reasons(r) == [(UNKNOWN, False, "no_consent")]
    assert r.json()["policy_version"] == "2027-02-01.1"
    r = await eligibility(client, reader, [UNKNOWN], category="prompts")
    assert reasons(r) == [(UNKNOWN, True, "not_consent_gated")]


async def test_ten_thousand_subjects_and_not_one_more(
    client: httpx.AsyncClient, tokens: tuple[str, str]
) -> None:
    writer, reader = tokens
    await post_consents(client, writer, *(consent(f"account:{i}") for i in range(0, 10_000, 2)))
    subjects = [f"account:{i}" for i in range(10_000)]
    r = await eligibility(client, reader, subjects)
    got = reasons(r)
    assert [s for s, _, _ in got] == subjects
    assert [e for _, e, _ in got] == [i % 2 == 0 for i in range(10_000)]
    r = await eligibility(client, reader, [*subjects, "account:x"])
    assert r.status_code == 422
    assert "10000" in r.json()["detail"].replace(",", "")


@pytest.mark.parametrize("as_of", [False, True])
@pytest.mark.parametrize("purpose", ["base_model_training", "model_evaluation"])
@pytest.mark.parametrize("category", ["prompts", "outputs", "customer_content"])
async def test_unknown_subjects_are_never_eligible_for_gated_categories(
    client: httpx.AsyncClient,
    tokens: tuple[str, str],
    category: str,
    purpose: str,
    as_of: str | None,
) -> None:
    """Deny by default (README, "Training eligibility"): no record for this (category, purpose) means no, also when
    the subject consented to something else, and also for an answer as of the past."""
    writer, reader = tokens
    others = [
        consent(GRANTED, True, category=c, purpose=p)
        for c in ("prompts", "outputs", "customer_content", "public_web")
        for p in ("base_model_training", "model_evaluation")
        if (c, p) != (category, purpose)
    ]
    await post_consents(client, writer, *others)
    body: dict[str, Any] = {"category": category, "purpose": purpose}
    if as_of:
        body["as_of"] = (await eligibility(client, reader, [UNKNOWN])).json()["as_of"]
    r = await eligibility(client, reader, [UNKNOWN, GRANTED, "email_sha256:" + "0" * 64], **body)
    assert [(e, why) for _, e, why in reasons(r)] == [(False, "no_consent")] * 3
    r = await eligibility(client, reader, [UNKNOWN], category="public_web", purpose=purpose)
    assert reasons(r) == [(UNKNOWN, True, "not_consent_gated")]


@pytest.mark.parametrize(
    "body",
    [
        {"category": "emails"},
        {"purpose": "marketing"},  # (not "advertising": targeted_advertising is a purpose)
        {"subjects": []},
        {"subjects": ["account:1", "not a key"]},
        {"subjects": ["email_sha256:" + "F" * 64]},
        {"subjects": "account:1"},
        {"as_of": "soon"},
        {"as_of": "9999-12-31T23:59:59-05:00"},  # past year 9999 in UTC
        {"extra": True},
    ],
)
async def test_bad_questions_are_422_and_echo_no_subject(
    client: httpx.AsyncClient, tokens: tuple[str, str], body: dict[str, Any]
) -> None:
    _, reader = tokens
    args = {"subjects": ["account:ada-lovelace-1815"], **body}
    r = await eligibility(client, reader, args.pop("subjects"), **args)
    assert r.status_code == 422, r.text
    for sent in ("not a key", "ada-lovelace", "F" * 64, "emails", "marketing"):
        assert sent not in r.text


@pytest.mark.parametrize("path", ["/api/v1/training/eligibility", "/api/v1/consents"])
async def test_a_body_over_the_bulk_limit_is_413_naming_the_limit(
    client: httpx.AsyncClient, tokens: tuple[str, str], path: str
) -> None:
    writer, reader = tokens
    filler = "account:" + "x" * 190
    body = json.dumps(
        {"purpose": "base_model_training", "category": "prompts", "subjects": [filler]}
    )
    body = body.replace(f'"{filler}"', ",".join([f'"{filler}"'] * (BULK_BODY_LIMIT // 190)))
    assert len(body) > BULK_BODY_LIMIT
    token = reader if "training" in path else writer
    r = await client.post(
        path, content=body, headers={**auth(token), "content-type": "application/json"}
    )
    assert r.status_code == 413
    assert f"{BULK_BODY_LIMIT // 1024} KB" in r.json()["detail"]
    assert filler not in r.text


async def test_scopes(app: FastAPI, client: httpx.AsyncClient) -> None:
    r = await eligibility(client, "", ["account:1"])
    assert r.status_code == 401
    writer = await make_service_token(app, "sync", "consent:write", "suppressions:read")
    r = await eligibility(client, writer, ["account:1"])
    assert r.status_code == 403
    assert "training:read" in r.json()["detail"]
    handler = await make_staff(app, "handler@example.com", "handler")
    assert (await eligibility(client, handler, ["account:1"])).status_code == 403
    for path in ("/api/v1/training/changes", "/api/v1/training/exclusions.ndjson"):
        assert (await client.get(path)).status_code == 401
        assert (await client.get(path, headers=auth(writer))).status_code == 403
