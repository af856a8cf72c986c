"""The task API for data systems (design §4.1): a system's own token lists and reads its tasks,
reports results and completes them; it reaches nothing else; every bad input has its answer and
leaves nothing stored."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from dsr.fulfilment import results
from dsr.settings import Settings
from tests.fulfilment_helpers import (
    OpenTask,
    make_system_token,
    open_task,
    register_system,
    task_of,
)
from tests.helpers import (
    REQUESTER,
    Mailbox,
    auth,
    count,
    events,
    make_service_token,
    make_staff,
    open_case,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


async def _stored(app: FastAPI, task_id: str) -> list[bytes]:
    settings: Settings = app.state.settings
    async with app.state.sessionmaker() as session:
        found = await results.results_for_tasks(session, [uuid.UUID(task_id)])
    return [results.read_result(settings, r) for r in found[uuid.UUID(task_id)]]


@pytest.fixture
async def admin(app: FastAPI) -> str:
    return await make_staff(app, "admin@example.com", "admin")


@pytest.fixture
async def crm(app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, admin: str) -> OpenTask:
    return await open_task(client, app, mailbox, admin, "crm", account_id="acct-7")


@pytest.fixture
async def token(app: FastAPI, crm: OpenTask) -> str:
    return await make_system_token(app, crm.system_id, "crm-puller")


async def test_a_system_lists_and_reads_its_own_tasks_oldest_first(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, admin: str
) -> None:
    crm = await register_system(client, admin, "crm", identities=["email"])
    billing = await register_system(client, admin, "billing")
    cases = [
        await open_case_of(client, app, mailbox, admin, f"person{i}@example.org") for i in range(3)
    ]
    token = await make_system_token(app, crm)
    listed: list[str] = []
    cursor = None
    for expected_len in (2, 1):
        params = {"status": "open", "limit": "2", **({"cursor": cursor} if cursor else {})}
        r = await client.get("/api/v1/tasks", params=params, headers=auth(token))
        assert r.status_code == 200, r.text
        assert len(r.json()["items"]) == expected_len
        listed += [t["case_reference"] for t in r.json()["items"]]
        cursor = r.json()["next_cursor"]
    assert cursor is None
    assert listed == [c[1] for c in cases]  # oldest first, each once

    task = await task_of(app, cases[0][0], crm)
    r = await client.get(f"/api/v1/tasks/{task.id}", headers=auth(token))
    assert r.status_code == 200
    body = r.json()
    assert body["subject"] == {"email": "person0@example.org", "account_id": None}
    assert body["status"] == "open"
    assert body["results_url"] == f"http://testserver/api/v1/tasks/{task.id}/results"
    assert body["complete_url"] == f"http://testserver/api/v1/tasks/{task.id}/complete"

    # Another system's task is 403; the other system sees only its own.
    other = await task_of(app, cases[0][0], billing)
    r = await client.get(f"/api/v1/tasks/{other.id}", headers=auth(token))
    assert r.status_code == 403
    assert "person0" not in r.text
    billing_token = await make_system_token(app, billing, "billing")
    r = await client.get("/api/v1/tasks", headers=auth(billing_token))
    assert [t["id"] for t in r.json()["items"]] == [
        str((await task_of(app, case_id, billing)).id) for case_id, _ in cases
    ]
    assert {t["subject"]["account_id"] for t in r.json()["items"]} == {None}

    # Closed tasks leave the open list.
    r = await client.post(
        f"/api/v1/tasks/{task.id}/complete", json={"outcome": "not_found"}, headers=auth(token)
    )
    assert r.status_code == 200
    r = await client.get("/api/v1/tasks", params={"status": "open"}, headers=auth(token))
    assert len(r.json()["items"]) == 2
    r = await client.get("/api/v1/tasks", params={"status": "not_found"}, headers=auth(token))
    assert [t["id"] for t in r.json()["items"]] == [str(task.id)]

    for params in ({"cursor": "not-a-cursor"}, {"status": "finished"}, {"limit": "0"}):
        r = await client.get("/api/v1/tasks", params=params, headers=auth(token))
        assert r.status_code == 422, params


async def open_case_of(
    client: httpx.AsyncClient, app: FastAPI, mailbox: Mailbox, admin: str, email: str
) -> tuple[str, str]:
    """An open case for this requester: (id, reference)."""
    case_id = await open_case(client, app, mailbox, email=email)
    r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(admin))
    return case_id, str(r.json()["reference"])


async def test_a_system_token_reaches_nothing_else(
    app: FastAPI, client: httpx.AsyncClient, crm: OpenTask, token: str, admin: str
) -> None:
    for method, url, body in (
        ("GET", "/api/v1/cases", None),
        ("GET", f"/api/v1/cases/{crm.case_id}", None),
        ("GET", f"/api/v1/cases/{crm.case_id}/tasks", None),
        ("POST", f"/api/v1/cases/{crm.case_id}/tasks/{crm.task_id}", {"status": "done"}),
        ("POST", f"/api/v1/cases/{crm.case_id}/actions", {"action": "note", "text": "x"}),
        ("POST", "/api/v1/consents/history", {"subject": "account:acct-7"}),
        ("GET", "/api/v1/training/changes", None),
        ("GET", "/api/v1/data-systems", None),
    ):
        r = await client.request(method, url, json=body, headers=auth(token))
        assert r.status_code == 403, (method, url)
        assert REQUESTER not in r.text
    # Tokens not bound to a system, staff included, cannot read tasks with personal data.
    unbound = await make_service_token(app, "any-tasks", "tasks:write")
    for other in (unbound, admin):
        for url in ("/api/v1/tasks", f"/api/v1/tasks/{crm.task_id}"):
            r = await client.get(url, headers=auth(other))
            assert r.status_code == 403
            assert REQUESTER not in r.text
    assert (await client.get("/api/v1/tasks")).status_code == 401
    r = await client.get(f"/api/v1/tasks/{uuid.uuid4()}", headers=auth(token))
    assert r.status_code == 404


async def test_results_then_completion_with_a_timeline_event(
    app: FastAPI, client: httpx.AsyncClient, crm: OpenTask, token: str
) -> None:
    url = f"/api/v1/tasks/{crm.task_id}"
    r = await client.post(url + "/results", json=[{"plan": "pro"}], headers=auth(token))
    assert r.status_code == 201, r.text
    (first,) = r.json()["results"]
    assert (first["kind"], first["content_type"], first["filename"]) == (
        "json",
        "application/json",
        None,
    )
    files = [
        ("file", ("orders.csv", b"id,total\n1,9.90\n", "text/csv")),
        ("file", ("avatar.png", PNG, "image/png")),
    ]
    r = await client.post(url + "/results", files=files, headers=auth(token))
    assert r.status_code == 201, r.text
    assert [(x["filename"], x["size"]) for x in r.json()["results"]] == [
        ("orders.csv", 16),
        ("avatar.png", len(PNG)),
    ]
    assert await _stored(app, crm.task_id) == [b'[{"plan":"pro"}]', b"id,total\n1,9.90\n", PNG]

    r = await client.post(
        url + "/complete",
        json={"outcome": "retained", "records_affected": 3},
        headers=auth(token),
    )
    assert r.status_code == 422  # retained names the exception
    r = await client.post(
        url + "/complete",
        json={"outcome": "retained", "records_affected": 3, "note": "Tax law: 10 years"},
        headers=auth(token),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "retained"
    assert (await events(app, crm.case_id))[-1] == "task_retained"
    task = await task_of(app, crm.case_id, crm.system_id)
    assert (task.records_affected, task.note, task.closed_by) == (
        3,
        "Tax law: 10 years",
        "crm-puller",
    )

    # Closed: no more results, no second completion.
    r = await client.post(url + "/results", json={"late": True}, headers=auth(token))
    assert r.status_code == 409
    r = await client.post(url + "/complete", json={"outcome": "done"}, headers=auth(token))
    assert r.status_code == 409
    assert len(await _stored(app, crm.task_id)) == 3


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"outcome": "waived", "note": "x"}, 422),  # staff's, not a system's
        ({"outcome": "done", "records_affected": -1}, 422),
        ({"outcome": "done", "extra": 1}, 422),
        ({}, 422),
    ],
)
async def test_completion_refuses_bad_bodies(
    client: httpx.AsyncClient, crm: OpenTask, token: str, body: dict[str, object], expected: int
) -> None:
    r = await client.post(f"/api/v1/tasks/{crm.task_id}/complete", json=body, headers=auth(token))
    assert r.status_code == expected
    r = await client.get(f"/api/v1/tasks/{crm.task_id}", headers=auth(token))
    assert r.json()["status"] == "open"


@pytest.mark.parametrize("settings_overrides", [{"max_result_bytes": 1000}], indirect=True)
async def test_bad_results_are_refused_and_store_nothing(
    app: FastAPI, client: httpx.AsyncClient, crm: OpenTask, token: str
) -> None:
    url = f"/api/v1/tasks/{crm.task_id}/results"
    good = ("file", ("a.csv", b"id\n1\n", "text/csv"))
    cases: list[tuple[dict[str, object], int]] = [
        ({"content": b"<x/>", "headers": {"content-type": "application/xml"}}, 415),
        ({"content": b"plain", "headers": {"content-type": "text/plain"}}, 415),
        ({"files": [good, ("file", ("a.zip", b"PK\x03\x04", "application/zip"))]}, 415),
        ({"files": [good, ("file", ("b.png", b"GIF89a", "image/png"))]}, 422),
        ({"files": [good], "data": {"note": "x"}}, 422),  # a field that is not a file
        ({"content": b"{oops", "headers": {"content-type": "application/json"}}, 422),
        ({"content": b"\xff", "headers": {"content-type": "application/json"}}, 422),
        ({"content": b"--x\r\n", "headers": {"content-type": "multipart/form-data"}}, 422),
        ({"files": [good, ("file", ("big.txt", b"x" * 1000, "text/plain"))]}, 413),
        ({"json": "y" * (2 * 1024 * 1024)}, 413),  # past the body limit itself
    ]
    for kwargs, expected in cases:
        headers = auth(token) | dict(kwargs.pop("headers", {}))  # type: ignore[call-overload]
        r = await client.post(url, headers=headers, **kwargs)  # type: ignore[arg-type]
        assert r.status_code == expected, (headers.get("content-type"), r.text[:200])
        assert "id\\n1" not in r.text
    assert await count(app, "task_result") == 0
    # The limit is per task in all (992 bytes stored, + 5 fits, + 5 more does not): the request
    # that passes it is refused whole.
    r = await client.post(url, json="z" * 990, headers=auth(token))
    assert r.status_code == 201
    r = await client.post(url, files=[good, good], headers=auth(token))
    assert r.status_code == 413
    assert await count(app, "task_result") == 1


@pytest.mark.parametrize("settings_overrides", [{"storage_dir": "STORAGE"}], indirect=True)
async def test_a_refused_upload_leaves_no_file_in_the_storage_dir(
    client: httpx.AsyncClient, crm: OpenTask, token: str, settings: Settings
) -> None:
    assert settings.storage_dir is not None
    url = f"/api/v1/tasks/{crm.task_id}/results"
    bad = ("file", ("x.pdf", b"not a pdf", "application/pdf"))
    r = await client.post(
        url, files=[("file", ("a.txt", b"hello", "text/plain")), bad], headers=auth(token)
    )
    assert r.status_code == 422
    assert _files(settings.storage_dir) == []
    r = await client.post(
        url, files=[("file", ("a.txt", b"hello", "text/plain"))], headers=auth(token)
    )
    assert r.status_code == 201
    assert len(_files(settings.storage_dir)) == 1


def _files(storage: Path) -> list[Path]:
    return list(storage.glob("results/*"))


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    values: dict[str, object] = dict(getattr(request, "param", {}))
    if values.get("storage_dir") == "STORAGE":
        values["storage_dir"] = tmp_path / "storage"
    return values
