"""Encryption at rest (README, "Protecting the data dsr holds"): a copy of the database holds no
requester personal data in clear, staff still read it, look-ups go through keyed hashes, an
engine without keys cannot write it, and `dsr keys rotate` moves every value to the first key."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.models import Case
from dsr.crypto import DecryptionError, Keyring
from dsr.db.sealed_columns import KeyringMissing, sealed_key_id
from dsr.settings import Settings
from tests.helpers import Mailbox, auth, make_staff, open_case

DSR = Path(sys.executable).with_name("dsr")

EMAIL = "zelda.quixotic-4417@example.org"
NAME = "Zelda Quixotic-Vanterpool"
ACCOUNT = "acct-zq-99173"
DETAILS = "Please fix my record; my cat is called Mistigri Blanchefleur."
INACCURATE = "Birthplace recorded as Ouagadougou-Nord"
CORRECTED = "Birthplace is Tamanrasset-Sud"
SECRETS = [EMAIL, NAME, ACCOUNT, DETAILS, INACCURATE, CORRECTED]


async def _known_request(client: httpx.AsyncClient, app: FastAPI, mailbox: Mailbox) -> str:
    return await open_case(
        client,
        app,
        mailbox,
        type="correction",
        email=EMAIL,
        full_name=NAME,
        account_id=ACCOUNT,
        details=DETAILS,
        correction={"inaccurate_data": INACCURATE, "corrected_data": CORRECTED},
    )


def _dump(settings: Settings) -> bytes:
    """Every byte the database keeps: the SQLite file and its write-ahead log, or pg_dump."""
    path = settings.sqlite_path()
    if path is not None:
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    url = settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
    return subprocess.run(["pg_dump", url], capture_output=True, check=True, timeout=120).stdout


async def test_a_database_dump_holds_no_plaintext_personal_data(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    case_id = await _known_request(client, app, mailbox)
    handler = await make_staff(app, "handler@example.com", "handler")
    r = await client.get(f"/api/v1/cases/{case_id}", headers=auth(handler))
    assert r.status_code == 200, r.text
    shown = r.json()
    assert (shown["email"], shown["full_name"], shown["account_id"]) == (EMAIL, NAME, ACCOUNT)
    reference = shown["reference"]

    dump = _dump(settings)
    assert reference.encode() in dump  # the dump is real: the case is in it
    for value in SECRETS:
        for spelling in {value, value.lower()}:
            assert spelling.encode() not in dump, f"{value!r} is stored in clear"
    # Not even the unsalted hash pipelines use (anyone can test an address against that).
    assert hashlib.sha256(EMAIL.encode()).hexdigest().encode() not in dump


async def test_staff_find_the_requester_by_email_through_the_keyed_hash(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    case_id = await _known_request(client, app, mailbox)
    again = await _known_request(client, app, mailbox)  # same subject, same type: a duplicate
    async with app.state.sessionmaker() as session:
        first = await session.get(Case, uuid.UUID(case_id))
        second = await session.get(Case, uuid.UUID(again))
    assert first is not None
    assert second is not None
    assert first.email_hash == second.email_hash
    assert first.email_hash is not None
    assert second.duplicate_of_id == first.id  # duplicate detection found it by the hash
    from dsr.cases import repository

    async with app.state.sessionmaker() as session:
        found = await repository.by_email(session, "  " + EMAIL.upper())
        assert {str(c.id) for c in found} == {case_id, again}
        assert await repository.by_email(session, "someone.else@example.org") == []


async def test_an_engine_without_keys_cannot_store_or_read_personal_data(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings
) -> None:
    case_id = await _known_request(client, app, mailbox)
    bare = create_async_engine(settings.database_url)  # not made by dsr.db.engine.make_engine
    try:
        async with AsyncSession(bare) as session:
            with pytest.raises(KeyringMissing):
                await session.get(Case, uuid.UUID(case_id))
        async with bare.begin() as conn:
            table = Case.__table__  # type: ignore[attr-defined]
            with pytest.raises(sa.exc.StatementError) as caught:
                await conn.execute(
                    sa.update(table).where(table.c.id == uuid.UUID(case_id)).values(email="x@y.z")
                )
            assert isinstance(caught.value.orig, KeyringMissing)
    finally:
        await bare.dispose()
    # A value written behind dsr's back in clear is refused when read, not served.
    async with app.state.engine.begin() as conn:
        await conn.execute(
            sa.text("UPDATE case_record SET full_name = 'Plain Text'"),
        )
    async with app.state.sessionmaker() as session:
        with pytest.raises(DecryptionError):
            await session.get(Case, uuid.UUID(case_id))


def _run_dsr(settings: Settings, cwd: Path, keys: str, *args: str) -> Any:
    env = {
        **os.environ,
        "DSR_DATABASE_URL": settings.database_url,
        "DSR_SECRET_KEY": settings.secret_key,
        "DSR_VAR_DIR": str(cwd),
        "DSR_ENCRYPTION_KEYS": keys,
    }
    return subprocess.run(
        [str(DSR), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


async def _stored_key_ids(app: FastAPI) -> set[bytes | None]:
    async with app.state.engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT email, full_name, details, type_data FROM case_record")
        )
        ids = {sealed_key_id(v) for row in rows for v in row if v is not None}
        rows = await conn.execute(sa.text("SELECT recipient, context FROM outbox_message"))
        ids |= {sealed_key_id(v) for row in rows for v in row if v is not None}
    return ids


async def test_keys_rotate_reencrypts_everything_and_can_be_run_again(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox, settings: Settings, tmp_path: Path
) -> None:
    case_id = await _known_request(client, app, mailbox)
    old = settings.encryption_keys
    new = base64.b64encode(secrets.token_bytes(32)).decode()
    old_id, new_id = Keyring.from_setting(old).current_id, Keyring.from_setting(new).current_id
    assert await _stored_key_ids(app) == {old_id}
    async with app.state.sessionmaker() as session:
        before = await session.get(Case, uuid.UUID(case_id))
    assert before is not None

    r = _run_dsr(settings, tmp_path, f"{new},{old}", "keys", "rotate")
    assert r.returncode == 0, r.stderr
    assert "case_record" in r.stderr
    assert "#" in r.stderr
    assert '"reencrypted": 0' not in r.stdout
    assert '"rehashed": 1' in r.stdout
    assert await _stored_key_ids(app) == {new_id}

    again = _run_dsr(settings, tmp_path, f"{new},{old}", "keys", "rotate")
    assert again.returncode == 0, again.stderr
    assert '"reencrypted": 0' in again.stdout
    assert '"rehashed": 0' in again.stdout

    # The old key can now go: with the new key alone, the case reads and is found by e-mail.
    from dsr.cases import repository
    from dsr.db.engine import make_engine, make_sessionmaker

    only_new = Settings(database_url=settings.database_url, secret_key="x", encryption_keys=new)
    engine = make_engine(only_new)
    try:
        async with make_sessionmaker(engine)() as session:
            case = await session.get(Case, uuid.UUID(case_id))
            assert case is not None
            assert case.email == EMAIL
            assert case.type_data == before.type_data
            assert [str(c.id) for c in await repository.by_email(session, EMAIL)] == [case_id]
    finally:
        await engine.dispose()
