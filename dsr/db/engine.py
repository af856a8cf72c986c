"""Engine and session factories. The request's session dependency owns the transaction;
services and repositories never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.db.sealed_columns import install_keyring
from dsr.db.sqlfuncs import register as register_sqlite_functions
from dsr.settings import Settings


def make_engine(settings: Settings, **kwargs: Any) -> AsyncEngine:
    engine = _make_engine(settings, **kwargs)
    # Sealed columns (dsr.db.sealed_columns) find their keys on the dialect: every engine dsr
    # makes can encrypt and decrypt personal data, and no other path to the tables can.
    install_keyring(engine.sync_engine.dialect, settings.keyring)
    return engine


def _make_engine(settings: Settings, **kwargs: Any) -> AsyncEngine:
    # Statement parameters are personal data (addresses, names): keep them out of exception
    # messages and therefore out of logs and tracebacks.
    kwargs.setdefault("hide_parameters", True)
    url = settings.database_url
    if settings.is_sqlite:
        path = settings.sqlite_path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # WAL lets readers run beside the single writer; synchronous=FULL keeps an acknowledged
        # request on disk through a power cut; foreign keys are off by default in SQLite.
        # The driver's own transaction handling is turned off so that BEGIN IMMEDIATE below
        # takes the write lock up front: no deferred-upgrade deadlocks between writers.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()
        register_sqlite_functions(dbapi_conn)

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name
