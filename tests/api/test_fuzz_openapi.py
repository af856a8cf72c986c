"""Schemathesis over /openapi.json, in process through ASGI (CONTRIBUTING.md: "schemathesis over the
OpenAPI finds no 5xx").

Fuzzed: every public operation (/api/v1/requests*, /api/v1/auth/token; new ones are picked up
from the schema) and the staff queue and staff intake with a handler's bearer token. Each
operation gets schema-valid and schema-violating inputs; no answer may be a 5xx, and no public
answer may carry an e-mail address the request sent (it could be someone else's).

Schemathesis drives the app on its own event-loop thread, so this is a plain sync test with
its own app and throw-away database per backend (migrated with dsr.db.migrate.upgrade) instead
of the async fixtures of conftest. Bounded and derandomized: the same inputs on every run.
Random generation rarely produces what databases refuse (NUL bytes, lone surrogates), so
test_hostile_strings_get_a_4xx sends those on purpose, one field at a time.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dsr.db.engine import make_engine, make_sessionmaker
from dsr.db.migrate import upgrade
from dsr.db.types import utcnow
from dsr.main import create_app
from dsr.settings import Settings
from tests.helpers import (
    BACKENDS,
    IN_CI,
    PG_ADMIN_URL,
    create_pg_database,
    drop_pg_database,
    make_settings,
)

MAX_EXAMPLES = 25  # per operation and generation mode
PUBLIC = re.compile(r"^/api/v1/(requests(/.*)?|auth/token)$")
STAFF = {("GET", "/api/v1/cases"), ("POST", "/api/v1/cases")}
# Staff see the requester's address by design (CaseOut.email); the echo rule is for the public.
ECHO_ALLOWED = STAFF
EMAIL_IN = re.compile(r"[^@\s\"']+@[^@\s\"']+")

T = TypeVar("T")


def _operations() -> list[tuple[str, str]]:
    """Read from the schema at collection time (no database needed), so a new public endpoint
    is fuzzed without editing this file."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:", secret_key="x"))
    ops = []
    for path, item in app.openapi()["paths"].items():
        for method in item:
            key = (method.upper(), path)
            if PUBLIC.match(path) or key in STAFF:
                ops.append(key)
    return sorted(ops)


OPERATIONS = _operations()


def _run(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on a loop of its own, away from schemathesis' loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()  # type: ignore[arg-type]


@dataclass
class Target:
    backend: str
    schema: Any
    staff_headers: dict[str, str]


async def _prepare(url: str) -> str:
    """Migrate, and create a handler with a bearer token (as `dsr users create` + /auth/token)."""
    from dsr.auth import service

    engine = make_engine(Settings(database_url=url, secret_key="x"))
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session, session.begin():
            user = await service.create_user(
                session, "fuzz-handler@example.com", "handler", "correct horse battery"
            )
            return await service.issue_access_token(session, user, utcnow(), timedelta(hours=2))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    tmp = Path(tempfile.mkdtemp(prefix="dsr-fuzz-"))
    pg_name = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'fuzz.sqlite3'}"
    else:
        try:
            pg_name, url = _run(create_pg_database)
        except (OSError, sa.exc.OperationalError, sa.exc.DBAPIError) as exc:
            if IN_CI:
                pytest.fail(
                    f"PostgreSQL is required in CI but unreachable at {PG_ADMIN_URL}: {exc}"
                )
            pytest.skip(f"PostgreSQL unreachable at {PG_ADMIN_URL}")
    token = _run(lambda: _prepare(url))
    # No worker: nothing is mailed, so the SMTP port is never used.
    app = create_app(make_settings(url, 9, tmp))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    yield Target(request.param, schema, {"Authorization": f"Bearer {token}"})
    try:  # the app's lifespan disposes of its engine on schemathesis' loop
        from schemathesis.python import asgi

        asgi.shutdown_lifespans()
    except (ImportError, AttributeError):
        pass
    if pg_name:
        _run(lambda: drop_pg_database(pg_name))
    shutil.rmtree(tmp, ignore_errors=True)


def _emails(value: Any) -> set[str]:
    """Addresses anywhere in what was sent: body (JSON or form), query, path."""
    found: set[str] = set()
    if isinstance(value, str):
        found.update(m for m in EMAIL_IN.findall(value) if len(m) >= 5)
    elif isinstance(value, dict):
        for k, v in value.items():
            found |= _emails(k) | _emails(v)
    elif isinstance(value, list | tuple):
        for v in value:
            found |= _emails(v)
    return found


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_5xx_and_no_echoed_email(target: Target, method: str, path: str) -> None:
    operation = target.schema[path][method]
    headers = target.staff_headers if (method, path) in STAFF else {}
    strategy = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=2 * MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        # No shrinking: a failure is reported as found (the run is reproducible anyway), and a
        # shrink through the password hasher would take longer than the whole run.
        phases=[Phase.explicit, Phase.reuse, Phase.generate],
    )
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        response = case.call(headers=headers)
        sent = f"{case.method} {case.formatted_path} query={case.query} body={case.body!r}"
        assert response.status_code < 500, f"{response.status_code} for {sent}: {response.text}"
        if (method, path) in ECHO_ALLOWED:
            return
        text = response.text.lower()
        sent_emails = _emails(case.body) | _emails(case.query) | _emails(case.path_parameters)
        echoed = sorted(e for e in sent_emails if e.lower() in text)
        assert not echoed, f"{response.status_code} echoes {echoed} for {sent}: {response.text}"

    fuzz()


def test_every_public_api_operation_is_fuzzed() -> None:
    paths = {p for _, p in OPERATIONS}
    assert {"/api/v1/requests", "/api/v1/auth/token", "/api/v1/cases"} <= paths


# --- hostile strings, sent on purpose -------------------------------------------------------
# Random generation rarely hits the characters databases refuse; these are sent every time.

NUL = "a\x00b"
SURROGATE = "\ud800"  # valid JSON ("\ud800"), but no UTF-8 encoding exists for it
ID = "00000000-0000-4000-8000-000000000000"
SUBMISSION = {
    "type": "access",
    "jurisdiction": "DE",
    "email": "hostile@example.org",
    "full_name": "Hostile Tester",
}
STAFF_CASE = {**SUBMISSION, "received_at": "2026-01-05", "channel": "post"}


def _hostile() -> list[tuple[str, str, str, dict[str, Any], bool]]:
    """(field, method, path, request, staff): one hostile value in one field at a time."""
    verify, appeal = "/api/v1/requests/{request_id}/verify", "/api/v1/requests/{request_id}/appeal"
    out: list[tuple[str, str, str, dict[str, Any], bool]] = []
    for name, value in (("nul", NUL), ("surrogate", SURROGATE)):
        for field in ("email", "full_name", "account_id", "details", "jurisdiction"):
            label = f"{field}={name}"
            out.append(
                (label, "POST", "/api/v1/requests", {"body": {**SUBMISSION, field: value}}, False)
            )
            out.append(
                (label, "POST", "/api/v1/cases", {"body": {**STAFF_CASE, field: value}}, True)
            )
        out.append((f"token={name}", "POST", verify, {"body": {"token": value}}, False))
        out.append(
            (f"token={name}", "POST", appeal, {"body": {"token": value, "reason": "why"}}, False)
        )
        out.append(
            (f"reason={name}", "POST", appeal, {"body": {"token": "x", "reason": value}}, False)
        )
    for field in ("username", "password"):  # forms and queries: NUL only (UTF-8 on the wire)
        form = {"username": "someone@example.com", "password": "x", field: NUL}
        out.append((field, "POST", "/api/v1/auth/token", {"body": form}, False))
    out.append(("token", "GET", "/api/v1/requests/{request_id}", {"query": {"token": NUL}}, False))
    for field in ("jurisdiction", "type", "assignee", "cursor", "status"):
        out.append((field, "GET", "/api/v1/cases", {"query": {field: NUL}}, True))
    return out


HOSTILE = _hostile()


@pytest.mark.parametrize(
    ("method", "path", "req", "staff"),
    [(m, p, r, s) for _, m, p, r, s in HOSTILE],
    ids=[f"{m} {p} {label}" for label, m, p, _, _ in HOSTILE],
)
def test_hostile_strings_get_a_4xx(
    target: Target,
    method: str,
    path: str,
    req: dict[str, Any],
    staff: bool,
) -> None:
    operation = target.schema[path][method]
    params = {"request_id": ID} if "{request_id}" in path else None
    case = operation.Case(path_parameters=params, **req)
    response = case.call(headers=target.staff_headers if staff else {})
    assert response.status_code < 500, response.text
    if method == "POST":  # a write with a hostile field is refused, not stored
        assert 400 <= response.status_code < 500, response.text
