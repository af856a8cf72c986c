"""dsr.fulfilment.results on the real databases: encrypted storage in the database or under
DSR_STORAGE_DIR, the per-task limit, erasure keeping the SHA-256, and nothing left behind by a
transaction that rolls back."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from dsr.cases.data_system_models import CaseTask
from dsr.errors import Conflict, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from dsr.fulfilment import results
from dsr.settings import Settings
from tests.fulfilment_helpers import open_task, task_of
from tests.helpers import Mailbox, make_staff

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def _task(client: httpx.AsyncClient, app: FastAPI, mailbox: Mailbox) -> CaseTask:
    admin = await make_staff(app, "admin@example.com", "admin")
    opened = await open_task(client, app, mailbox, admin)
    return await task_of(app, opened.case_id, opened.system_id)


async def test_results_are_stored_encrypted_listed_read_and_erased(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    task = await _task(client, app, mailbox)
    async with app.state.sessionmaker() as session, session.begin():
        row = await results.store_json(
            session, settings=settings, task=task, value={"plan": "pro", "name": "Rosa"}
        )
        png = await results.store_file(
            session,
            settings=settings,
            task=task,
            filename="../../avatar.png",
            content_type="image/png",
            data=PNG,
        )
    assert row.blob is not None
    assert b"Rosa" not in row.blob  # sealed, not plaintext
    assert png.filename == "avatar.png"  # no directory part survives
    async with app.state.sessionmaker() as session:
        found = await results.results_for_tasks(session, [task.id, uuid.uuid4()])
    assert [r.kind for r in found[task.id]] == ["json", "file"]
    assert list(found.values())[1] == []
    assert results.read_json(settings, found[task.id][0]) == {"plan": "pro", "name": "Rosa"}
    assert results.read_result(settings, found[task.id][1]) == PNG

    async with app.state.sessionmaker() as session, session.begin():
        erased = await results.erase_results(
            session, settings=settings, task_ids=[task.id], now=NOW
        )
    assert sorted(r.sha256 for r in erased) == sorted(
        [
            hashlib.sha256(b'{"plan":"pro","name":"Rosa"}').hexdigest(),
            hashlib.sha256(PNG).hexdigest(),
        ]
    )
    async with app.state.sessionmaker() as session:
        after = (await results.results_for_tasks(session, [task.id]))[task.id]
        again = await results.erase_results(session, settings=settings, task_ids=[task.id], now=NOW)
    assert [(r.blob, r.erased_at is not None, len(r.sha256)) for r in after] == [
        (None, True, 64)
    ] * 2
    assert again == []
    with pytest.raises(Conflict):
        results.read_result(settings, after[0])


@pytest.mark.parametrize("settings_overrides", [{"storage_dir": "STORAGE"}], indirect=True)
async def test_files_under_the_storage_dir_follow_the_transaction(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    task = await _task(client, app, mailbox)
    assert settings.storage_dir is not None
    storage: Path = settings.storage_dir

    async with app.state.sessionmaker() as session, session.begin():
        await results.store_json(session, settings=settings, task=task, value=[1, 2])
        assert len(_files(storage)) == 1
        await session.rollback()
    assert _files(storage) == []  # the rolled-back result left no file

    async with app.state.sessionmaker() as session, session.begin():
        kept = await results.store_file(
            session,
            settings=settings,
            task=task,
            filename="a.csv",
            content_type="text/csv",
            data=b"id,plan\n1,pro\n",
        )
    (path,) = _files(storage)
    assert b"plan" not in path.read_bytes()
    assert results.read_result(settings, kept) == b"id,plan\n1,pro\n"

    async with app.state.sessionmaker() as session, session.begin():
        await results.erase_results(session, settings=settings, task_ids=[task.id], now=NOW)
        assert path.exists()  # deleted only once the erasure commits
    assert not path.exists()


@pytest.mark.parametrize("settings_overrides", [{"max_result_bytes": 100}], indirect=True)
async def test_bad_results_are_refused_and_nothing_is_stored(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    task = await _task(client, app, mailbox)
    async with app.state.sessionmaker() as session, session.begin():
        await results.store_json(session, settings=settings, task=task, value="x" * 60)
    refusals: list[tuple[type[Exception], str, bytes]] = [
        (PayloadTooLarge, "text/plain", b"y" * 50),  # 62 + 50 > 100 for the task in all
        (UnsupportedMediaType, "application/zip", b"PK"),
        (InvalidInput, "image/png", b"not a png"),
        (InvalidInput, "application/json", b"{not json"),
        (InvalidInput, "text/plain", b"\xff\xfe"),
    ]
    for error, content_type, data in refusals:
        async with app.state.sessionmaker() as session, session.begin():
            with pytest.raises(error):
                await results.store_file(
                    session,
                    settings=settings,
                    task=task,
                    filename="f",
                    content_type=content_type,
                    data=data,
                )
    async with app.state.sessionmaker() as session:
        assert len((await results.results_for_tasks(session, [task.id]))[task.id]) == 1


def _files(storage: Path) -> list[Path]:
    return list(storage.glob("results/*"))


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    values: dict[str, object] = dict(getattr(request, "param", {}))
    if values.get("storage_dir") == "STORAGE":
        values["storage_dir"] = tmp_path / "storage"
    return values
