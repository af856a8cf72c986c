"""The requester's copy of their data (README, "The requester's copy"): built when an access
case is fulfilled, kept encrypted (dsr.fulfilment.sealed), downloaded behind an expiring link
at most DSR_PACKAGE_MAX_DOWNLOADS times, each download on the case's timeline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases import repository as cases_repo
from dsr.cases import timeline
from dsr.cases.models import Case
from dsr.credentials import derive_case_token, sha256_hex
from dsr.domain.context import REQUESTER, SYSTEM
from dsr.errors import NotFound
from dsr.fulfilment import contents, sealed
from dsr.fulfilment import package_repository as repo
from dsr.fulfilment.models import AccessPackage
from dsr.notifications.outbox import Message
from dsr.settings import Settings

PURPOSE = "package"  # the capability's purpose: its token is derived from the package's id
KIND = "package_ready"  # the notice (dsr.notifications.catalogue)


class PackageNotFound(NotFound):
    """A wrong, expired or spent link: one answer for all, so a guess learns nothing."""

    def __init__(self) -> None:
        super().__init__(
            "This download link is not valid: it may be mistyped, expired, or used the "
            "most times it allows."
        )


async def build_for_case(
    session: AsyncSession, *, settings: Settings, case: Case, now: datetime
) -> list[Message]:
    """Build, seal and store the package of `case`, note it on the timeline, and return the
    notice with its link (the caller enqueues it in the same transaction)."""
    package_id = uuid.uuid4()
    package = AccessPackage(
        id=package_id,
        case_id=case.id,
        token_hash=sha256_hex(derive_case_token(settings.secret_key, package_id, PURPOSE)),
        size=0,
        sha256="",
        expires_at=now + timedelta(days=settings.package_ttl_days),
        max_downloads=settings.package_max_downloads,
        created_at=now,
    )
    session.add(package)
    await session.flush()  # the pieces refer to it
    systems = await contents.gather(session, case)
    stored = await sealed.write(
        session,
        settings=settings,
        package_id=package.id,
        data=contents.archive(session, settings, case, systems, now),
    )
    package.size, package.sha256, package.path = stored.size, stored.sha256, stored.path
    await timeline.record(
        session,
        case,
        at=now,
        actor_kind=SYSTEM.kind,
        actor_id=None,
        action="package_built",
        data={
            "package_id": str(package.id),
            "size": stored.size,
            "sha256": stored.sha256,
            "systems": len(systems),
            "expires_at": package.expires_at.isoformat(),
        },
    )
    context = {
        "case_id": str(case.id),
        "reference": case.reference,
        "type": case.type,
        "full_name": case.full_name,
        "language": case.language,
        "expires_on": package.expires_at.date().isoformat(),
        "max_downloads": package.max_downloads,
        "tokens": {PURPOSE: str(package.id)},
    }
    return [Message(KIND, case.email, f"{KIND}:{package.id}", context, case.id)]


async def _valid(
    session: AsyncSession, case_id: uuid.UUID, token: str, now: datetime
) -> AccessPackage:
    package = await repo.by_token(session, case_id, sha256_hex(token))
    if (
        package is None
        or package.erased_at is not None
        or package.expires_at <= now
        or package.downloads >= package.max_downloads
    ):
        raise PackageNotFound()
    return package


@dataclass(frozen=True)
class PackageView:
    """What the download page shows: what is inside, how large, until when, how often."""

    case: Case
    package: AccessPackage
    systems: list[contents.SystemContents]

    @property
    def downloads_left(self) -> int:
        return self.package.max_downloads - self.package.downloads


async def describe(
    session: AsyncSession, *, case_id: uuid.UUID, token: str, now: datetime
) -> PackageView:
    package = await _valid(session, case_id, token, now)
    case = await cases_repo.get(session, case_id)
    assert case is not None  # the package refers to it
    return PackageView(case, package, await contents.gather(session, case))


@dataclass(frozen=True)
class Download:
    stored: sealed.Stored
    filename: str


async def start_download(
    session: AsyncSession, *, case_id: uuid.UUID, token: str, now: datetime
) -> Download:
    """Count one download and record it on the timeline; the caller then streams the contents
    (dsr.fulfilment.sealed.read). A download that breaks off still counts: the link cannot
    tell a failed transfer from a finished one."""
    package = await _valid(session, case_id, token, now)
    if not await repo.claim_download(session, package.id, now):
        raise PackageNotFound()
    case = await cases_repo.get(session, case_id)
    assert case is not None
    await timeline.record(
        session,
        case,
        at=now,
        actor_kind=REQUESTER.kind,
        actor_id=None,
        action="package_downloaded",
        data={
            "package_id": str(package.id),
            "download": package.downloads + 1,
            "max_downloads": package.max_downloads,
        },
    )
    return Download(sealed.Stored(package.id, package.size, package.path), f"{case.reference}.zip")
