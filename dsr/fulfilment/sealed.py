"""An access package encrypted at rest in pieces (AES-256-GCM, dsr.crypto), so that neither
building nor downloading it holds the whole archive in memory.

The plaintext is cut into pieces of CHUNK bytes (the last one shorter); each is sealed on its own
with associated data naming the package, its position and whether it is the last, so pieces
cannot be reordered, swapped between packages, or the archive cut short unnoticed. The pieces go
to access_package_chunk (the default: any API process can serve them) or, with DSR_STORAGE_DIR,
to one file per package (each piece prefixed by its 4-byte length)."""

from __future__ import annotations

import asyncio
import hashlib
import struct
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.crypto import DecryptionError
from dsr.fulfilment import files
from dsr.fulfilment import package_repository as repo
from dsr.fulfilment.models import AccessPackage
from dsr.settings import Settings

CHUNK = 1024 * 1024
_LENGTH = struct.Struct(">I")


@dataclass(frozen=True)
class Stored:
    """Where a package's pieces are: enough to read them after the request's session ended."""

    package_id: uuid.UUID
    size: int
    path: str | None


@dataclass(frozen=True)
class Sealed:
    size: int  # of the plaintext
    sha256: str  # of the plaintext
    path: str | None  # relative to DSR_STORAGE_DIR, or None when kept in the database


def _aad(package_id: uuid.UUID, seq: int, last: bool) -> bytes:
    return f"access_package:{package_id}:{seq}:{int(last)}".encode()


def pieces(size: int) -> int:
    """How many pieces a plaintext of `size` bytes was cut into (every one but the last full)."""
    return max(1, -(-size // CHUNK))


async def write(
    session: AsyncSession,
    *,
    settings: Settings,
    package_id: uuid.UUID,
    data: AsyncIterable[bytes],
) -> Sealed:
    """Seal `data` piece by piece and store the pieces as they are made."""
    digest, size, seq = hashlib.sha256(), 0, 0
    path = None if settings.storage_dir is None else f"packages/{package_id}"
    out: BinaryIO | None = None
    if path is not None:
        assert settings.storage_dir is not None
        target = settings.storage_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        out = target.open("wb")
        files.written(session, target)  # a build that rolls back leaves no file behind

    async def put(piece: bytes, last: bool) -> None:
        nonlocal seq
        sealed = settings.keyring.encrypt(piece, _aad(package_id, seq, last))
        if out is None:
            await repo.insert_chunk(session, package_id, seq, sealed)
        else:
            out.write(_LENGTH.pack(len(sealed)) + sealed)
        seq += 1

    try:
        buffer = bytearray()
        async for part in data:
            digest.update(part)
            size += len(part)
            buffer += part
            # Keep one full piece back: only at the end is it known which piece is the last.
            while len(buffer) > CHUNK:
                await put(bytes(buffer[:CHUNK]), last=False)
                del buffer[:CHUNK]
        await put(bytes(buffer), last=True)
    finally:
        if out is not None:
            out.close()
    return Sealed(size=size, sha256=digest.hexdigest(), path=path)


async def read(
    factory: async_sessionmaker[AsyncSession], *, settings: Settings, package: Stored
) -> AsyncIterator[bytes]:
    """The package's plaintext, one piece at a time. It runs while the response is sent, after
    the request's transaction has ended, so it reads each piece in a short session of its own."""
    total = pieces(package.size)
    if package.path is not None:
        assert settings.storage_dir is not None
        async for piece in _read_file(settings, package, settings.storage_dir / package.path):
            yield piece
        return
    for seq in range(total):
        async with factory() as session:
            sealed = await repo.chunk(session, package.package_id, seq)
        if sealed is None:
            raise DecryptionError("a piece of the package is missing")
        yield settings.keyring.decrypt(sealed, _aad(package.package_id, seq, seq == total - 1))


async def _read_file(settings: Settings, package: Stored, target: Path) -> AsyncIterator[bytes]:
    total = pieces(package.size)
    with target.open("rb") as f:
        for seq in range(total):
            sealed = await asyncio.to_thread(_record, f)
            yield settings.keyring.decrypt(sealed, _aad(package.package_id, seq, seq == total - 1))


def _record(f: BinaryIO) -> bytes:
    head = f.read(_LENGTH.size)
    if len(head) != _LENGTH.size:
        raise DecryptionError("a piece of the package is missing")
    (length,) = _LENGTH.unpack(head)
    return f.read(length)


async def erase(session: AsyncSession, *, settings: Settings, package: AccessPackage) -> None:
    if package.path is not None and settings.storage_dir is not None:
        files.delete_after_commit(session, settings.storage_dir / package.path)
    await repo.delete_chunks(session, package.id)
