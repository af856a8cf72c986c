"""GET /api/v1/cases: the staff queue, sorted by the deadline in force then id, filtered, and
paged with an opaque keyset cursor, one status or several (several are read as one ordered
branch per status and merged: the pages must be the same as one sorted list)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.helpers import act, auth, make_staff

TYPES = ("access", "deletion", "objection")
JURISDICTIONS = ("US-CA", "GB", "DE", "BR", "US-VA")


@pytest.fixture
async def queue(app: FastAPI, client: httpx.AsyncClient) -> tuple[str, list[dict[str, Any]]]:
    """30 staff-entered cases received on different days in different jurisdictions: some left
    pending verification, some open, some assigned (in progress). Returns the handler's token
    and every case as the API shows it."""
    token = await make_staff(app, "handler@example.com", "handler")
    rng = random.Random(7)
    start = datetime.now(UTC).date() - timedelta(days=40)  # the service's today (DSR_TIMEZONE=UTC)
    for n in range(30):
        body = {
            "type": TYPES[n % 3],
            "jurisdiction": rng.choice(JURISDICTIONS),
            "email": f"person{n}@example.org",
            "full_name": f"Person {n}",
            "received_at": (start + timedelta(days=rng.randrange(40))).isoformat(),
            "channel": "post",
            "identity_verified": n % 5 != 0,
        }
        r = await client.post("/api/v1/cases", json=body, headers=auth(token))
        assert r.status_code == 201, r.text
        if n % 3 == 1 and body["identity_verified"]:
            r = await act(client, token, r.json()["id"], "assign", assignee="handler@example.com")
            assert r.status_code == 200, r.text
    every = await walk(client, token, {"status": ["pending_verification", "open", "in_progress"]})
    assert len(every) == 30
    return token, every


async def walk(
    client: httpx.AsyncClient, token: str, params: dict[str, Any], limit: int = 4
) -> list[dict[str, Any]]:
    """Every page of the queue, following next_cursor."""
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        q = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        r = await client.get("/api/v1/cases", params=q, headers=auth(token))
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= limit
        seen.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


def key(case: dict[str, Any]) -> tuple[str, str]:
    return case["respond_by"], case["id"]


def expected(every: list[dict[str, Any]], **want: set[str]) -> list[str]:
    rows = [c for c in every if all(c[field] in values for field, values in want.items())]
    return [c["id"] for c in sorted(rows, key=key)]


async def test_all_statuses_come_sorted_by_deadline_then_id(
    queue: tuple[str, list[dict[str, Any]]],
) -> None:
    _, every = queue
    assert [key(c) for c in every] == sorted(key(c) for c in every)
    assert {c["status"] for c in every} == {"pending_verification", "open", "in_progress"}


@pytest.mark.parametrize(
    "statuses",
    [("open",), ("in_progress",), ("open", "in_progress"), ("pending_verification", "open")],
)
@pytest.mark.parametrize("limit", [1, 4, 50])
async def test_status_filters_page_exactly_like_one_sorted_list(
    client: httpx.AsyncClient,
    queue: tuple[str, list[dict[str, Any]]],
    statuses: tuple[str, ...],
    limit: int,
) -> None:
    token, every = queue
    got = await walk(client, token, {"status": list(statuses)}, limit)
    assert [c["id"] for c in got] == expected(every, status=set(statuses))


async def test_filters_combine(
    client: httpx.AsyncClient, queue: tuple[str, list[dict[str, Any]]]
) -> None:
    token, every = queue
    due = sorted(c["respond_by"] for c in every)[15]
    params = {
        "status": ["open", "in_progress", "pending_verification"],
        "type": ["deletion", "access"],
        "due_before": due,
    }
    got = [c["id"] for c in await walk(client, token, params, 3)]
    want = [
        c["id"]
        for c in sorted(every, key=key)
        if c["type"] in {"deletion", "access"} and c["respond_by"] < due
    ]
    assert got == want
    assert got
    mine = await walk(client, token, {"status": ["open", "in_progress"], "assignee": "me"})
    assert [c["id"] for c in mine] == expected(every, status={"in_progress"})


async def test_a_forged_cursor_is_422(
    client: httpx.AsyncClient, queue: tuple[str, list[dict[str, Any]]]
) -> None:
    token, _ = queue
    r = await client.get("/api/v1/cases", params={"cursor": "not-a-cursor"}, headers=auth(token))
    assert r.status_code == 422
    assert "cursor" in r.text
