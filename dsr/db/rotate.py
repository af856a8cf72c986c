"""`dsr keys rotate`: re-encrypt every sealed value under the first key of DSR_ENCRYPTION_KEYS
and recompute the keyed look-up hashes, so an old key can then be dropped from the list.

It walks every table with sealed columns (found by their type, so a newly sealed column is
rotated with no change here) in primary-key order, a batch per transaction. A value already
under the first key is skipped, so an interrupted run is simply started again. Each value is
written back only if it is still the one read (compare-and-set): a row the service changed
meanwhile already carries a value sealed under the first key and is left alone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from dsr.crypto import DecryptionError, Keyring
from dsr.db.models import metadata
from dsr.db.sealed_columns import (
    email_lookup_key,
    lookup_hash,
    seal,
    sealed_columns,
    sealed_key_id,
    unseal,
)

BATCH = 500
# Keyed hashes kept beside a sealed column: (hash column, sealed source column, what is hashed).
LOOKUP_HASHES: dict[str, tuple[str, str, Callable[[str], str]]] = {
    "case_record": ("email_hash", "email", email_lookup_key),
}

Progress = Callable[[str, int, int], None]  # table, rows done, rows in all


@dataclass
class RotateReport:
    rows: int = 0  # examined
    reencrypted: int = 0  # values sealed again under the first key
    current: int = 0  # values already under it (skipped)
    rehashed: int = 0  # look-up hashes recomputed
    unreadable: dict[str, int] = field(default_factory=dict)  # table.column -> count

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "reencrypted": self.reencrypted,
            "already_current": self.current,
            "rehashed": self.rehashed,
            "unreadable": self.unreadable,
        }


async def rotate(
    engine: AsyncEngine, keyring: Keyring, *, progress: Progress | None = None
) -> RotateReport:
    report = RotateReport()
    for table, cols in sealed_columns(metadata):
        (pk,) = table.primary_key.columns
        raw = sa.table(
            table.name,
            sa.column(pk.name, pk.type),
            *(sa.column(c.name, sa.Text()) for c in cols),
            *([sa.column(LOOKUP_HASHES[table.name][0])] if table.name in LOOKUP_HASHES else []),
        )
        async with engine.connect() as conn:
            total = (await conn.execute(sa.select(sa.func.count()).select_from(raw))).scalar_one()
        done, last = 0, None
        while True:
            async with engine.begin() as conn:
                stmt = sa.select(raw).order_by(raw.c[pk.name]).limit(BATCH)
                if last is not None:
                    stmt = stmt.where(raw.c[pk.name] > last)
                rows = (await conn.execute(stmt)).mappings().all()
                for row in rows:
                    await _rotate_row(
                        conn, keyring, raw, pk.name, [c.name for c in cols], row, report
                    )
            if not rows:
                break
            last = rows[-1][pk.name]
            done += len(rows)
            report.rows += len(rows)
            if progress is not None:
                progress(table.name, done, total)
    return report


async def _rotate_row(
    conn: Any,
    keyring: Keyring,
    raw: Any,
    pk: str,
    cols: list[str],
    row: Any,
    report: RotateReport,
) -> None:
    name = raw.name
    changes: dict[str, Any] = {}
    guards = [raw.c[pk] == row[pk]]
    plain: dict[str, bytes] = {}
    for c in cols:
        stored = row[c]
        if stored is None:
            continue
        try:
            plain[c] = unseal(keyring, f"{name}.{c}", stored)
        except DecryptionError:
            key = f"{name}.{c}"
            report.unreadable[key] = report.unreadable.get(key, 0) + 1
            continue
        if sealed_key_id(stored) == keyring.current_id:
            report.current += 1
            continue
        changes[c] = seal(keyring, f"{name}.{c}", plain[c])
        guards.append(raw.c[c] == stored)
        report.reencrypted += 1
    if name in LOOKUP_HASHES:
        hash_col, source, of = LOOKUP_HASHES[name]
        value = plain.get(source, b"").decode()
        wanted = lookup_hash(keyring, of(value)) if value else None
        if row[hash_col] != wanted:
            changes[hash_col] = wanted
            report.rehashed += 1
    if changes:
        await conn.execute(sa.update(raw).where(*guards).values(**changes))
