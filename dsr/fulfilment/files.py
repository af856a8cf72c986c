"""Files under DSR_STORAGE_DIR that follow the database transaction: a file written in a
transaction that rolls back is removed, and a file erased is removed only once the erasure
commits, so the rows and the files never disagree."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.errors import Conflict
from dsr.settings import Settings

_PENDING = "dsr_storage_files"
_LISTENING = "dsr_storage_files_listening"


def written(session: AsyncSession, path: Path) -> None:
    """`path` was written in this transaction: remove it if the transaction rolls back."""
    _note(session, "written", path)


def delete_after_commit(session: AsyncSession, path: Path) -> None:
    """Remove `path` once this transaction commits (kept if it rolls back)."""
    _note(session, "delete", path)


def _note(session: AsyncSession, what: str, path: Path) -> None:
    # The listeners stay on the session (one request's, or one unit of work's) and act on what
    # the transaction that ends recorded.
    sync = session.sync_session
    if not sync.info.get(_LISTENING):
        sync.info[_LISTENING] = True
        event.listen(sync, "after_commit", _committed)
        event.listen(sync, "after_rollback", _rolled_back)
    pending: dict[str, list[Path]] = sync.info.setdefault(_PENDING, {"written": [], "delete": []})
    pending[what].append(path)


def _finish(sync: Session, remove: str) -> None:
    pending: dict[str, list[Path]] = sync.info.pop(_PENDING, {})
    for path in pending.get(remove, []):
        path.unlink(missing_ok=True)


def _committed(sync: Session) -> None:
    _finish(sync, "delete")


def _rolled_back(sync: Session) -> None:
    _finish(sync, "written")


class SealedFile(Protocol):
    """A stored file sealed with the keyring and bound to its row id: in the row (`blob`) or
    under DSR_STORAGE_DIR (`path`); task results and agents' proofs are both."""

    id: uuid.UUID
    blob: bytes | None
    path: str | None
    erased_at: datetime | None


def open_sealed(settings: Settings, row: SealedFile, what: str) -> bytes:
    """The plaintext of `row`. 409 once retention erased it or its file is out of reach."""
    if row.erased_at is not None:
        raise Conflict(f"this {what} has been erased")
    if row.blob is not None:
        sealed = row.blob
    elif row.path is not None and settings.storage_dir is not None:
        sealed = (settings.storage_dir / row.path).read_bytes()
    else:
        raise Conflict(f"this {what}'s contents are not available")
    return settings.keyring.decrypt(sealed, row.id.bytes)
