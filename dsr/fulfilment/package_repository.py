"""Queries for access packages and their sealed pieces."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, insert, update
from sqlalchemy.orm import defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.fulfilment.models import AccessPackage, AccessPackageChunk, TaskResult


async def insert_chunk(session: AsyncSession, package_id: uuid.UUID, seq: int, data: bytes) -> None:
    # A core insert: the ORM would keep every piece in the session until the commit.
    await session.exec(insert(AccessPackageChunk).values(package_id=package_id, seq=seq, data=data))


async def chunk(session: AsyncSession, package_id: uuid.UUID, seq: int) -> bytes | None:
    stmt = select(AccessPackageChunk.data).where(
        AccessPackageChunk.package_id == package_id, AccessPackageChunk.seq == seq
    )
    return (await session.exec(stmt)).first()


async def delete_chunks(session: AsyncSession, package_id: uuid.UUID) -> None:
    await session.exec(
        delete(AccessPackageChunk).where(col(AccessPackageChunk.package_id) == package_id)
    )


async def by_token(
    session: AsyncSession, case_id: uuid.UUID, token_hash: str
) -> AccessPackage | None:
    stmt = select(AccessPackage).where(
        AccessPackage.case_id == case_id, AccessPackage.token_hash == token_hash
    )
    return (await session.exec(stmt)).first()


async def claim_download(session: AsyncSession, package_id: uuid.UUID, now: datetime) -> bool:
    """Count one download if the package may still be downloaded, atomically: two downloads at
    once cannot both take the last one."""
    stmt = (
        update(AccessPackage)
        .where(
            col(AccessPackage.id) == package_id,
            col(AccessPackage.erased_at).is_(None),
            col(AccessPackage.expires_at) > now,
            col(AccessPackage.downloads) < col(AccessPackage.max_downloads),
        )
        .values(downloads=AccessPackage.downloads + 1)
        .execution_options(synchronize_session=False)
    )
    result = await session.exec(stmt)
    return bool(result.rowcount)


async def expired(
    session: AsyncSession, now: datetime, limit: int, *, lock: bool = False
) -> list[AccessPackage]:
    """Packages past their expiry or out of downloads, not yet erased (`lock`: rows another
    worker holds are skipped, PostgreSQL)."""
    stmt = (
        select(AccessPackage)
        .where(
            col(AccessPackage.erased_at).is_(None),
            (col(AccessPackage.expires_at) <= now)
            | (col(AccessPackage.downloads) >= col(AccessPackage.max_downloads)),
        )
        .order_by(col(AccessPackage.expires_at))
        .limit(limit)
    )
    if lock:
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await session.exec(stmt)).all())


async def result_listing(
    session: AsyncSession, task_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[TaskResult]]:
    """The results of these tasks without their contents, which are loaded one at a time
    (dsr.fulfilment.contents), so a package never has every result in memory at once."""
    out: dict[uuid.UUID, list[TaskResult]] = {i: [] for i in task_ids}
    if not task_ids:
        return out
    stmt = (
        select(TaskResult)
        .where(col(TaskResult.task_id).in_(task_ids), col(TaskResult.erased_at).is_(None))
        .options(defer(TaskResult.blob))  # type: ignore[arg-type]
        .order_by(col(TaskResult.created_at), col(TaskResult.id))
    )
    for row in (await session.exec(stmt)).all():
        out[row.task_id].append(row)
    return out
