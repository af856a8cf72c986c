"""The sweep's part in fulfilment: a package past its expiry, or whose downloads are used up, is
erased together with the results its case's systems sent. Only their SHA-256 stays, on the
case's timeline, so what was handed over can still be proved without keeping the data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases import data_systems, timeline
from dsr.cases import repository as cases_repo
from dsr.db.engine import dialect_name
from dsr.domain.context import SYSTEM
from dsr.fulfilment import package_repository as repo
from dsr.fulfilment import results, sealed
from dsr.fulfilment.models import AccessPackage
from dsr.settings import Settings

BATCH = 100


async def erase_expired_packages(
    factory: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> int:
    """Erase every package that can no longer be downloaded, a batch per transaction."""
    erased = 0
    while True:
        async with factory() as session, session.begin():
            lock = dialect_name(session) == "postgresql"  # two workers skip each other's rows
            packages = await repo.expired(session, now, BATCH, lock=lock)
            for package in packages:
                await erase_package(session, settings=settings, package=package, now=now)
        erased += len(packages)
        if len(packages) < BATCH:
            return erased


async def erase_package(
    session: AsyncSession, *, settings: Settings, package: AccessPackage, now: datetime
) -> None:
    await sealed.erase(session, settings=settings, package=package)
    package.erased_at, package.path, package.blob = now, None, None
    case = await cases_repo.get(session, package.case_id)
    assert case is not None  # the package refers to it
    task_ids = [task.id for task, _ in await data_systems.tasks_for(session, case.id)]
    gone = await results.erase_results(session, settings=settings, task_ids=task_ids, now=now)
    spent = package.downloads >= package.max_downloads
    await timeline.record(
        session,
        case,
        at=now,
        actor_kind=SYSTEM.kind,
        actor_id=None,
        action="package_erased",
        data={
            "package_id": str(package.id),
            "reason": "downloads_used" if spent else "expired",
            "size": package.size,
            "sha256": package.sha256,
            "results": [
                {"id": str(r.id), "size": r.size, "sha256": r.sha256}
                for r in sorted(gone, key=lambda r: str(r.id))
            ],
        },
    )
