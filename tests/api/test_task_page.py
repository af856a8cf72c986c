"""The owner's task page for manual systems over HTTP: the e-mailed capability link (a hash
stored, an expiry), what is asked (only the identities the system receives), JSON and files sent
and shown, each bad input answered beside its field with nothing stored, and the task closed as
done, not found or retained (with the exception) through the same close as staff use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from dsr.cases.data_system_models import CaseTask
from tests.fulfilment_helpers import register_system
from tests.helpers import Mailbox, body_text, count, events, make_staff
from tests.manual_helpers import ManualTask, manual_task

TASK = CaseTask.__table__  # type: ignore[attr-defined]

CSV = ("orders.csv", b"id,total\n1,9.99\n", "text/csv")


@pytest.fixture
async def admin(app: FastAPI) -> str:
    return await make_staff(app, "admin@example.com", "admin")


@pytest.fixture
async def task(app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, admin: str) -> ManualTask:
    return await manual_task(client, app, mailbox, admin, account_id="acct-4242")


async def send(
    client: httpx.AsyncClient,
    task: ManualTask,
    pasted: str = "",
    files: list[tuple[str, bytes, str]] | None = None,
    token: str | None = None,
) -> httpx.Response:
    parts = [("files", f) for f in files or []] or [
        ("files", ("", b"", "application/octet-stream"))
    ]
    return await client.post(
        f"/tasks/{task.task_id}/results",
        data={"token": token or task.token, "pasted": pasted},
        files=parts,
    )


async def close(client: httpx.AsyncClient, task: ManualTask, **fields: str) -> httpx.Response:
    return await client.post(
        f"/tasks/{task.task_id}/complete", data={"token": task.token, **fields}
    )


async def test_the_link_shows_what_is_asked_with_only_the_identities_the_system_receives(
    app: FastAPI, client: httpx.AsyncClient, task: ManualTask
) -> None:
    r = await client.get(task.link)
    assert r.status_code == 200
    assert "Access request" in r.text
    assert "requester@example.org" in r.text
    assert "acct-4242" not in r.text  # the system receives the e-mail address only
    assert "Rosa Requester" not in r.text
    assert r.headers["cache-control"] == "no-store"
    async with app.state.engine.connect() as conn:
        hashes = (await conn.execute(sa.text("SELECT token_hash FROM task_link"))).scalars().all()
    assert len(hashes) == 1
    assert task.token not in hashes  # only a hash is stored


async def test_a_wrong_another_tasks_or_an_expired_link_is_404(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, admin: str, task: ManualTask
) -> None:
    other = await manual_task(client, app, mailbox, admin, name="billing", email="o@example.org")
    assert (await client.get(f"/tasks/{task.task_id}?token=wrong")).status_code == 404
    assert (await client.get(f"/tasks/{task.task_id}?token={other.token}")).status_code == 404
    r0 = await send(client, task, pasted="[]", token=other.token)
    assert r0.status_code == 404
    async with app.state.engine.begin() as conn:
        await conn.execute(sa.text("UPDATE task_link SET expires_at = '2020-01-01 00:00:00+00'"))
    r = await client.get(task.link)
    assert r.status_code == 404
    assert "expired" in r.text


async def test_json_and_files_are_stored_and_shown_as_a_table_and_a_list(
    client: httpx.AsyncClient, task: ManualTask
) -> None:
    pasted = '[{"id": 7, "plan": "pro", "tags": ["a", "b"]}, {"id": 8, "seats": 3}]'
    r = await send(client, task, pasted=pasted, files=[CSV])
    assert r.status_code == 200
    assert "2 results received." in r.text
    columns = ["id", "plan", "tags", "seats"]
    header = "<tr>" + "".join(f'<th scope="col">{c}</th>' for c in columns) + "</tr>"
    assert header in r.text
    assert '<td class="pre">[&#34;a&#34;, &#34;b&#34;]</td>' in r.text
    assert "<li>orders.csv · 16 bytes</li>" in r.text


async def test_bad_input_is_shown_beside_its_field_and_nothing_is_stored(
    app: FastAPI, client: httpx.AsyncClient, task: ManualTask
) -> None:
    r = await send(client, task, pasted="{not json")
    assert r.status_code == 422
    assert '<p class="error" id="pasted-error">This is not valid JSON' in r.text
    assert "{not json</textarea>" in r.text
    r = await send(client, task)
    assert r.status_code == 422
    assert '<p class="error" id="pasted-error">Paste JSON or choose a file to send.</p>' in r.text
    # Valid JSON with a file of another type: neither is kept.
    r = await send(
        client, task, pasted='{"ok": true}', files=[("x.zip", b"PK\x03\x04", "application/zip")]
    )
    assert r.status_code == 415
    assert 'id="files-error"' in r.text
    r = await send(client, task, files=[("scan.pdf", b"not a pdf", "application/pdf")])
    assert r.status_code == 422
    assert '<p class="error" id="files-error">The contents are not application/pdf.</p>' in r.text
    assert await count(app, "task_result") == 0


@pytest.mark.parametrize("settings_overrides", [{"max_result_bytes": 1000}])
async def test_past_the_limit_is_413_and_nothing_is_stored(
    app: FastAPI, client: httpx.AsyncClient, task: ManualTask
) -> None:
    r = await send(client, task, pasted="[1]", files=[("big.txt", b"x" * 1200, "text/plain")])
    assert r.status_code == 413
    assert 'id="files-error"' in r.text
    assert await count(app, "task_result") == 0


async def test_retained_needs_the_exception_and_closes_the_task_with_its_count(
    app: FastAPI, client: httpx.AsyncClient, task: ManualTask
) -> None:
    r = await close(client, task, outcome="retained", records_affected="3", note="")
    assert r.status_code == 422
    assert '<p class="error" id="note-error">Name the exception that applies' in r.text
    r = await close(client, task, outcome="done", records_affected="-1")
    assert r.status_code == 422
    assert 'id="records_affected-error">Enter a whole number of records' in r.text
    r = await close(client, task, outcome="waived", note="why not")
    assert r.status_code == 422  # staff waive; an owner reports what happened
    assert 'id="outcome-error"' in r.text
    note = "Invoices kept ten years under the tax code"
    r = await close(client, task, outcome="retained", records_affected="3", note=note)
    assert r.status_code == 200
    assert f"This task is closed: {note} (3 records)" in r.text
    async with app.state.engine.connect() as conn:
        row = (
            # Typed columns: the note is sealed at rest.
            await conn.execute(sa.select(TASK.c.status, TASK.c.records_affected, TASK.c.note))
        ).one()
    assert tuple(row) == ("retained", 3, note)
    assert (await events(app, task.case_id))[-1] == "task_retained"
    r = await send(client, task, pasted="[1]")
    assert r.status_code == 409
    r = await close(client, task, outcome="done")
    assert r.status_code == 409
    assert "The task is already retained." in r.text


@pytest.mark.parametrize("outcome", ["done", "not_found"])
async def test_done_and_not_found_close_the_task(
    app: FastAPI, client: httpx.AsyncClient, task: ManualTask, outcome: str
) -> None:
    r = await close(client, task, outcome=outcome)
    assert r.status_code == 200
    assert (await events(app, task.case_id))[-1] == f"task_{outcome}"


class TestWithAStorageDir:
    @pytest.fixture
    def settings_overrides(self, tmp_path: Path) -> dict[str, Any]:
        return {"storage_dir": tmp_path / "store"}

    async def test_a_refused_submission_leaves_no_file_behind(
        self, app: FastAPI, client: httpx.AsyncClient, task: ManualTask
    ) -> None:
        store = app.state.settings.storage_dir
        zip_file = ("x.zip", b"PK\x03\x04", "application/zip")
        r = await send(client, task, pasted="[1]", files=[zip_file])
        assert r.status_code == 415
        assert [p for p in store.rglob("*") if p.is_file()] == []
        assert (await send(client, task, pasted="[2]")).status_code == 200
        assert len([p for p in store.rglob("*") if p.is_file()]) == 1


async def test_only_a_manual_systems_owner_is_sent_a_task_page_link(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, admin: str
) -> None:
    await register_system(client, admin, "warehouse", integration="pull")
    task = await manual_task(client, app, mailbox, admin)
    manual_mail = body_text(mailbox.last_to("crm-owner@example.com"))
    expires = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    assert f"It works until {expires};" in manual_mail.replace("\r\n", " ")
    pull_mail = body_text(mailbox.last_to("warehouse-owner@example.com"))
    assert "/tasks/" in pull_mail  # the task API's address
    assert "/tasks/" + task.task_id not in pull_mail
    assert "?token=" not in pull_mail
