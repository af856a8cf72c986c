"""The whole matrix of callers by routes under /api/v1 (issue 3: "every staff endpoint checks role
and scope").

`EXPECTED` below is the one table to edit: one line per route, naming every caller that may use
it. A route of `create_app()` without a line fails `test_every_api_route_has_an_expectation`, so a
new endpoint cannot ship without someone deciding who may call it.

Callers: no credentials, a bearer token that is not valid, each staff role by bearer token, a
service token of each scope, and a data system's own token (`tasks:write` bound to a system:
`dsr tokens create --data-system NAME`). Only a system's token reaches the task API: an unbound
`tasks:write` token, admins included, gets 403 there (the tasks carry requesters' identities).
A caller not listed must get 401 (no or bad credentials) or 403 (the
wrong role or scope); a listed caller must get anything but 401/403 (404 for the made-up ids, 409
or 422 after authorization are fine). Admins hold every role and every service scope
(`Principal.has_role`, `Principal.has_scope`), which the table spells out instead of implying.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from dsr.main import create_app
from dsr.settings import Settings
from tests.fulfilment_helpers import make_system_token, register_system
from tests.helpers import auth, make_service_token, make_staff

ANON = "anonymous"
BAD_TOKEN = "invalid-token"
ROLES = ("admin", "handler", "reviewer", "auditor")
SCOPES = ("training:read", "consent:write", "suppressions:read", "tasks:write")
SYSTEM = "tasks:write bound to a data system"
CALLERS = (ANON, BAD_TOKEN, *ROLES, *SCOPES, SYSTEM)

PUBLIC = frozenset(CALLERS)
ALL_STAFF = frozenset(ROLES)


def allow(*callers: str) -> frozenset[str]:
    unknown = set(callers) - set(CALLERS)
    assert not unknown, f"unknown callers {unknown}"
    return frozenset(callers)


# "METHOD /path" -> the callers that get past authorization. Keep one line per route.
EXPECTED: dict[str, frozenset[str]] = {
    # public: requesters and staff logging in
    "POST /api/v1/auth/token": PUBLIC,
    "POST /api/v1/requests": PUBLIC,
    "POST /api/v1/requests/{request_id}/verify": PUBLIC,
    "GET /api/v1/requests/{request_id}": PUBLIC,
    "POST /api/v1/requests/{request_id}/appeal": PUBLIC,
    "POST /api/v1/requests/{request_id}/withdraw": PUBLIC,
    "GET /api/v1/requests/{request_id}/package": PUBLIC,
    "POST /api/v1/requests/{request_id}/agent-proof": PUBLIC,  # the agent's link is checked
    # cases (staff)
    "GET /api/v1/cases": ALL_STAFF,
    "POST /api/v1/cases": allow("admin", "handler"),
    "GET /api/v1/cases/{case_id}": ALL_STAFF,
    "GET /api/v1/cases/{case_id}/events": ALL_STAFF,
    "GET /api/v1/cases/{case_id}/access-log": allow("admin", "auditor"),
    "POST /api/v1/cases/{case_id}/actions": allow("admin", "handler", "reviewer"),
    "POST /api/v1/cases/bulk": allow("admin", "handler", "reviewer"),
    "GET /api/v1/cases/{case_id}/tasks": ALL_STAFF,
    # Closing data-system tasks is handlers' work; systems use /tasks/{task_id}/complete.
    "POST /api/v1/cases/{case_id}/tasks/{task_id}": allow("admin", "handler"),
    # the task API: a data system's own token only (dsr.fulfilment.router)
    "GET /api/v1/tasks": allow(SYSTEM),
    "GET /api/v1/tasks/{task_id}": allow(SYSTEM),
    "POST /api/v1/tasks/{task_id}/results": allow(SYSTEM),
    "POST /api/v1/tasks/{task_id}/complete": allow(SYSTEM),
    # data-system registry
    "GET /api/v1/data-systems": ALL_STAFF,
    "POST /api/v1/data-systems": allow("admin"),
    "POST /api/v1/data-systems/{system_id}/deactivate": allow("admin"),
    "PUT /api/v1/data-systems/{system_id}": allow("admin"),
    "POST /api/v1/data-systems/{system_id}/rotate-secret": allow("admin"),
    "POST /api/v1/data-systems/{system_id}/test": allow("admin"),  # an sql system's dry run
    # outbox (admin)
    "GET /api/v1/notifications": allow("admin"),
    "POST /api/v1/notifications/{message_id}/retry": allow("admin"),
    # appeals (staff)
    "GET /api/v1/appeals": ALL_STAFF,
    "GET /api/v1/appeals/{appeal_id}": ALL_STAFF,
    "POST /api/v1/appeals/{appeal_id}/actions": allow("admin", "reviewer"),
    # training eligibility and output suppression (service tokens; admins hold every scope)
    "POST /api/v1/consents": allow("admin", "consent:write"),
    "POST /api/v1/signals/gpc": allow("admin", "consent:write"),
    "POST /api/v1/consents/history": ALL_STAFF,
    "POST /api/v1/training/eligibility": allow("admin", "training:read"),
    "GET /api/v1/training/changes": allow("admin", "training:read"),
    "GET /api/v1/training/exclusions.ndjson": allow("admin", "training:read"),
    "GET /api/v1/output-suppressions": allow("admin", "suppressions:read"),
    # reports (issue 13): auditors and DPOs
    "GET /api/v1/reports/metrics": allow("admin", "auditor"),
    "GET /api/v1/reports/requests.csv": allow("admin", "auditor"),
}

# Syntactically valid requests, so that what is tested is authorization and not validation.
# A route without an entry is called without a body or query; path parameters default to a
# random UUID (PATH_VALUES overrides by name).
PATH_VALUES: dict[str, str] = {"message_id": "987654321"}
REQUESTER = {
    "type": "access",
    "jurisdiction": "DE",
    "email": "matrix@example.org",
    "full_name": "Matrix Requester",
}
CALLS: dict[str, dict[str, Any]] = {
    "POST /api/v1/auth/token": {
        "data": {"username": "admin@example.com", "password": "correct horse battery"}
    },
    "POST /api/v1/requests": {"json": REQUESTER},
    "POST /api/v1/requests/{request_id}/verify": {"json": {"token": "not-a-real-token"}},
    "GET /api/v1/requests/{request_id}": {"params": {"token": "not-a-real-token"}},
    "GET /api/v1/requests/{request_id}/package": {"params": {"token": "not-a-real-token"}},
    "POST /api/v1/requests/{request_id}/agent-proof": {
        "content": b"%PDF-1.4\n%%EOF\n",
        "headers": {"X-Agent-Proof-Token": "not-a-real-token", "Content-Type": "application/pdf"},
    },
    "POST /api/v1/requests/{request_id}/appeal": {
        "json": {"token": "not-a-real-token", "reason": "I disagree with the decision."}
    },
    "POST /api/v1/requests/{request_id}/withdraw": {"json": {"token": "not-a-real-token"}},
    "GET /api/v1/cases": {"params": {"status": "open", "type": "access", "limit": 5}},
    "POST /api/v1/cases": {
        "json": {**REQUESTER, "received_at": "2026-01-05", "channel": "post"},
    },
    "POST /api/v1/cases/{case_id}/actions": {"json": {"action": "note", "text": "matrix"}},
    "POST /api/v1/cases/bulk": {
        "json": {"case_ids": [str(uuid.uuid4())], "action": "assign", "assignee": "h@example.com"}
    },
    "POST /api/v1/cases/{case_id}/tasks/{task_id}": {"json": {"status": "done"}},
    "GET /api/v1/tasks": {"params": {"status": "open"}},
    "POST /api/v1/tasks/{task_id}/results": {"json": {"rows": []}},
    "POST /api/v1/tasks/{task_id}/complete": {"json": {"outcome": "done"}},
    "POST /api/v1/data-systems": {
        "json": {
            "name": "Matrix CRM",
            "owner_email": "owner@example.com",
            "categories": ["contact"],
            "request_types": ["access"],
        }
    },
    "PUT /api/v1/data-systems/{system_id}": {
        "json": {
            "name": "Matrix CRM 2",
            "owner_email": "owner@example.com",
            "request_types": ["access"],
        }
    },
    "GET /api/v1/notifications": {"params": {"status": "failed"}},
    "GET /api/v1/appeals": {"params": {"limit": 5}},
    "GET /api/v1/reports/metrics": {"params": {"year": 2026}},
    "POST /api/v1/appeals/{appeal_id}/actions": {
        "json": {"action": "uphold", "explanation": "The refusal was right."}
    },
    "POST /api/v1/consents": {
        "json": {
            "records": [
                {
                    "subject": "account:matrix",
                    "category": "prompts",
                    "purpose": "base_model_training",
                    "granted": True,
                    "recorded_at": "2026-01-01T00:00:00Z",
                }
            ]
        }
    },
    "POST /api/v1/consents/history": {"json": {"subject": "account:matrix"}},
    "POST /api/v1/training/eligibility": {
        "json": {
            "purpose": "base_model_training",
            "category": "prompts",
            "subjects": ["account:matrix"],
        }
    },
}


def api_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route the app serves under /api/v1, through included routers."""
    try:  # FastAPI that includes routers lazily keeps them out of app.routes
        from fastapi.routing import iter_route_contexts

        routes: Any = iter_route_contexts(app.routes)
    except ImportError:
        routes = app.routes
    for route in routes:
        path = getattr(route, "path", None) or ""
        if path == "/api/v1" or path.startswith("/api/v1/"):
            for method in sorted(getattr(route, "methods", None) or ()):
                if method != "HEAD":
                    yield method, path


def _route_keys(app: FastAPI) -> list[str]:
    return [f"{m} {p}" for m, p in api_routes(app)]


def test_every_api_route_has_an_expectation(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db", secret_key="x"))
    served = _route_keys(app)
    assert len(served) == len(set(served))
    missing = sorted(set(served) - set(EXPECTED))
    stale = sorted(set(EXPECTED) - set(served))
    assert not missing, (
        "routes without a line in EXPECTED (decide who may call them): " + ", ".join(missing)
    )
    assert not stale, "lines in EXPECTED for routes the app no longer serves: " + ", ".join(stale)
    assert set(CALLS) <= set(EXPECTED)


def _url(path: str) -> str:
    out = path
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        name = out[start + 1 : end]
        out = out[:start] + PATH_VALUES.get(name, str(uuid.uuid4())) + out[end + 1 :]
    return out


@pytest.fixture
async def credentials(app: FastAPI, client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    headers: dict[str, dict[str, str]] = {ANON: {}, BAD_TOKEN: auth("x" * 43)}
    for role in ROLES:
        headers[role] = auth(await make_staff(app, f"{role}@example.com", role))
    admin_token = headers["admin"]["Authorization"].removeprefix("Bearer ")
    for scope in SCOPES:
        headers[scope] = auth(await make_service_token(app, f"svc-{scope}", scope))
    system_id = await register_system(client, admin_token, "matrix-pull")
    headers[SYSTEM] = auth(await make_system_token(app, system_id, "svc-system"))
    return headers


async def test_role_and_scope_matrix(
    app: FastAPI, client: httpx.AsyncClient, credentials: dict[str, dict[str, str]]
) -> None:
    wrong: list[str] = []
    calls = 0
    for key in _route_keys(app):
        allowed = EXPECTED.get(key)
        if allowed is None:
            continue  # reported by test_every_api_route_has_an_expectation
        method, path = key.split(" ", 1)
        spec = dict(CALLS.get(key, {}))
        extra = spec.pop("headers", {})  # a route's own headers (the agent's upload link)
        for caller in CALLERS:
            sent = {**credentials[caller], **extra}
            r = await client.request(method, _url(path), headers=sent, **spec)
            calls += 1
            if caller in allowed:
                ok = r.status_code not in (401, 403)
                want = "not 401/403"
            else:
                expected = 401 if caller in (ANON, BAD_TOKEN) else 403
                ok = r.status_code == expected
                want = str(expected)
            if not ok:
                wrong.append(f"{key} as {caller}: got {r.status_code}, want {want}: {r.text[:120]}")
            assert r.status_code < 500, f"{key} as {caller}: {r.status_code} {r.text[:200]}"
    assert calls, "no /api/v1 routes found"
    assert not wrong, "access matrix mismatches:\n" + "\n".join(wrong)


async def test_denials_do_not_leak_whether_a_case_exists(
    client: httpx.AsyncClient,
    credentials: dict[str, dict[str, str]],
) -> None:
    """A caller without the right gets the same answer for a real and a made-up case id."""
    r = await client.post("/api/v1/requests", json=REQUESTER)
    assert r.status_code == 201, r.text
    real = r.json()["id"]
    for caller in (ANON, BAD_TOKEN, "training:read", "tasks:write", SYSTEM):
        for case_id in (real, str(uuid.uuid4())):
            got = await client.get(f"/api/v1/cases/{case_id}", headers=credentials[caller])
            assert got.status_code == (401 if caller in (ANON, BAD_TOKEN) else 403)
            assert "matrix@example.org" not in got.text
