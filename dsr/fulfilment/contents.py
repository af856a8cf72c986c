"""What goes into the requester's copy (docs/architecture.md, "Fulfilment"): README.html a person
can read (each system's data as tables, with its purposes, recipients, retention and source:
GDPR Art 15(1)), data.json (machine-readable: GDPR Art 20, CCPA's "readily usable format") and
files/NAME/… as the systems sent them. Everything is produced piece by piece and each result is
loaded only while it is written, so the archive is never whole in memory."""

from __future__ import annotations

import json
import re
import stat
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlmodel.ext.asyncio.session import AsyncSession
from stream_zip import NO_COMPRESSION_64, ZIP_64, AsyncMemberFile, async_stream_zip

from dsr.cases import data_systems
from dsr.cases.data_system_models import CaseTask, DataSystem
from dsr.cases.models import Case
from dsr.fulfilment import package_repository as repo
from dsr.fulfilment import readme, results
from dsr.fulfilment.models import TaskResult
from dsr.settings import Settings

# Already compressed: stored as they are.
_STORED_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
_MODE = stat.S_IFREG | 0o644
_SLICE = 256 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_INSTANT = TypeAdapter(datetime)  # written as the JSON API writes it


@dataclass
class SystemContents:
    task: CaseTask
    system: DataSystem
    data: list[TaskResult] = field(default_factory=list)  # JSON results
    files: list[tuple[str, TaskResult]] = field(default_factory=list)  # (name in files/DIR/, row)

    @property
    def folder(self) -> str:
        return safe_name(self.system.name) or str(self.system.id)


def safe_name(name: str) -> str:
    """A name that is one plain path segment on every system that unpacks the archive."""
    return _UNSAFE.sub("_", name).strip(" .")[:120]


async def gather(session: AsyncSession, case: Case) -> list[SystemContents]:
    """Each of the case's systems with its results (contents not loaded), by system name."""
    pairs = await data_systems.tasks_for(session, case.id)
    listing = await repo.result_listing(session, [task.id for task, _ in pairs])
    out = []
    for task, system in sorted(pairs, key=lambda p: p[1].name):
        entry = SystemContents(task, system)
        taken: set[str] = set()
        for result in listing.get(task.id, []):
            if result.kind == "json":
                entry.data.append(result)
            else:
                entry.files.append((_unique(result, taken), result))
        out.append(entry)
    return out


def _unique(result: TaskResult, taken: set[str]) -> str:
    base = safe_name(result.filename or "") or str(result.id)
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        stem, dot, ext = base.rpartition(".")
        name = f"{stem} ({n}).{ext}" if dot and stem else f"{base} ({n})"
    taken.add(name.lower())
    return name


async def load(session: AsyncSession, settings: Settings, result: TaskResult) -> bytes:
    """One result's plaintext; its sealed contents are dropped from the session again at once."""
    await session.refresh(result, ["blob"])
    try:
        return results.read_result(settings, result)
    finally:
        session.expire(result, ["blob"])


def request_facts(case: Case) -> dict[str, Any]:
    return {
        "reference": case.reference,
        "type": case.type,
        "jurisdiction": case.jurisdiction,
        "received_at": _INSTANT.dump_python(case.received_at, mode="json"),
    }


async def data_json(
    session: AsyncSession, settings: Settings, case: Case, systems: list[SystemContents]
) -> AsyncIterator[bytes]:
    """{"request": {...}, "systems": {NAME: {"data": [every JSON result], "files": [names]}}},
    written one result at a time (each stored result is already a JSON text)."""
    yield b'{"request":' + _dumps(request_facts(case)) + b',"systems":{'
    for i, entry in enumerate(systems):
        yield (b"," if i else b"") + _dumps(entry.system.name) + b':{"data":['
        for j, result in enumerate(entry.data):
            yield (b"," if j else b"") + await load(session, settings, result)
        yield b'],"files":' + _dumps([name for name, _ in entry.files]) + b"}"
    yield b"}}"


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


async def _file(
    session: AsyncSession, settings: Settings, result: TaskResult
) -> AsyncIterator[bytes]:
    data = await load(session, settings, result)
    for start in range(0, len(data), _SLICE):
        yield data[start : start + _SLICE]


async def _members(
    session: AsyncSession,
    settings: Settings,
    case: Case,
    systems: list[SystemContents],
    now: datetime,
) -> AsyncIterator[AsyncMemberFile]:
    yield "README.html", now, _MODE, ZIP_64, readme.chunks(session, settings, case, systems, now)
    yield "data.json", now, _MODE, ZIP_64, data_json(session, settings, case, systems)
    for entry in systems:
        for name, result in entry.files:
            method = NO_COMPRESSION_64 if result.content_type in _STORED_TYPES else ZIP_64
            path = f"files/{entry.folder}/{name}"
            yield path, now, _MODE, method, _file(session, settings, result)


def archive(
    session: AsyncSession,
    settings: Settings,
    case: Case,
    systems: list[SystemContents],
    now: datetime,
) -> AsyncIterator[bytes]:
    """The ZIP, streamed (stream-zip runs the packing in a thread; the parts above are read on
    the event loop, where the session lives)."""
    return aiter(
        async_stream_zip(
            _members(session, settings, case, systems, now),
            chunk_size=256 * 1024,
            get_compressobj=lambda: zlib.compressobj(wbits=-zlib.MAX_WBITS, level=6),
        )
    )
