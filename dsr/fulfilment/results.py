"""What data systems report for a task, stored encrypted: store, list, read, erase.

Used by the task API, the owner's task page, the case page and the requester's package. Contents
are sealed with the keyring (AES-256-GCM, dsr.crypto), bound to the result's id, and kept in
`task_result.blob`, or as files under DSR_STORAGE_DIR when it is set. The SHA-256 and size of the
plaintext stay on the row after erasure (the sweep puts them on the timeline).

Files follow the caller's transaction, so nothing is partly stored: a file written for a result is
deleted again if the transaction rolls back, and an erased result's file is deleted only once the
erasure commits. Services never commit; the caller owns the transaction."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.data_system_models import CaseTask
from dsr.domain.vocabulary import TaskStatus
from dsr.errors import Conflict, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from dsr.fulfilment import files, repository
from dsr.fulfilment.models import TaskResult
from dsr.settings import Settings

JSON = "application/json"
# What a system may upload (docs/design §4.1), and how each kind of file starts: a declared type
# the bytes contradict is refused, so the requester's copy holds what it says it holds.
FILE_TYPES: dict[str, tuple[bytes, ...]] = {
    JSON: (),
    "text/csv": (),
    "text/plain": (),
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
TEXT_TYPES = frozenset({JSON, "text/csv", "text/plain"})
KIND_JSON, KIND_FILE = "json", "file"


def media_type(content_type: str | None) -> str:
    """`text/csv; charset=utf-8` -> `text/csv`."""
    return (content_type or "").split(";", 1)[0].strip().lower()


async def store_json(
    session: AsyncSession, *, settings: Settings, task: CaseTask, value: Any
) -> TaskResult:
    """Store one JSON value a system found (any JSON value: object, list, string, ...)."""
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return await _store(
        session,
        settings=settings,
        task=task,
        kind=KIND_JSON,
        filename=None,
        content_type=JSON,
        data=data,
    )


async def store_file(
    session: AsyncSession,
    *,
    settings: Settings,
    task: CaseTask,
    filename: str,
    content_type: str,
    data: bytes,
) -> TaskResult:
    """Store one uploaded file. 415 for a type outside FILE_TYPES, 422 when the bytes are not
    what the type says (or the name is unusable), 409 once the task is closed, 413 past the
    task's DSR_MAX_RESULT_BYTES."""
    kind = media_type(content_type)
    if kind not in FILE_TYPES:
        raise UnsupportedMediaType("file: the type must be one of " + ", ".join(sorted(FILE_TYPES)))
    _check_contents(kind, data)
    return await _store(
        session,
        settings=settings,
        task=task,
        kind=KIND_FILE,
        filename=safe_filename(filename),
        content_type=kind,
        data=data,
    )


async def results_for_tasks(
    session: AsyncSession, task_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[TaskResult]]:
    """Each task's results in the order they came (every id given is a key, maybe empty);
    erased ones are included, with `erased_at` set and no contents."""
    grouped: dict[uuid.UUID, list[TaskResult]] = defaultdict(list)
    for task_id in task_ids:
        grouped[task_id] = []
    for result in await repository.results_for_tasks(session, task_ids):
        grouped[result.task_id].append(result)
    return dict(grouped)


def read_result(settings: Settings, result: TaskResult) -> bytes:
    """The plaintext of one result. 409 once it has been erased."""
    return files.open_sealed(settings, result, "result")


def read_json(settings: Settings, result: TaskResult) -> Any:
    """A JSON result's value (or a JSON file's)."""
    return json.loads(read_result(settings, result))


async def erase_results(
    session: AsyncSession, *, settings: Settings, task_ids: Collection[uuid.UUID], now: datetime
) -> list[TaskResult]:
    """Erase the contents of these tasks' results, keeping size and SHA-256. Returns the results
    erased now (not those erased before), for the caller's timeline event."""
    erased = []
    for result in await repository.results_for_tasks(session, task_ids):
        if result.erased_at is not None:
            continue
        if result.path is not None and settings.storage_dir is not None:
            files.delete_after_commit(session, settings.storage_dir / result.path)
        result.blob, result.path, result.erased_at = None, None, now
        erased.append(result)
    await session.flush()
    return erased


def safe_filename(filename: str) -> str:
    """The file's own name without any directory, control characters or leading dots."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip().lstrip(".").strip()
    if not name:
        raise InvalidInput("file: a file needs a name")
    return name[:255]


def _check_contents(kind: str, data: bytes) -> None:
    magic = FILE_TYPES[kind]
    if magic and not data.startswith(magic):
        raise InvalidInput(f"file: the contents are not {kind}")
    if kind in TEXT_TYPES:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(f"file: {kind} must be UTF-8 text") from None
        if kind == JSON:
            try:
                json.loads(text)
            except ValueError:
                raise InvalidInput("file: the contents are not valid JSON") from None


async def _store(
    session: AsyncSession,
    *,
    settings: Settings,
    task: CaseTask,
    kind: str,
    filename: str | None,
    content_type: str,
    data: bytes,
) -> TaskResult:
    locked = await repository.lock_task(session, task.id)
    if locked is None or locked.status != TaskStatus.OPEN:
        raise Conflict("the task is closed: results can be sent only while it is open")
    held = await repository.stored_bytes(session, task.id)
    if held + len(data) > settings.max_result_bytes:
        raise PayloadTooLarge(
            f"a task's results may hold {settings.max_result_bytes} bytes in all; {held} are stored"
        )
    result = TaskResult(
        task_id=task.id,
        kind=kind,
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    sealed = settings.keyring.encrypt(data, result.id.bytes)
    if settings.storage_dir is None:
        result.blob = sealed
    else:
        result.path = f"results/{result.id}"
        target = settings.storage_dir / result.path
        target.parent.mkdir(parents=True, exist_ok=True)
        files.written(session, target)
        target.write_bytes(sealed)
    session.add(result)
    await session.flush()
    return result
