"""The SQL connector's services: the check when a system is saved, the dry run, and reading
rows for a task. The worker's run of a task is dsr.connectors.sql.runner.

Errors never carry the URL, a statement's parameters or a row: only table and column names,
the variable's name and the driver's error class."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import sqlalchemy as sa

from dsr.connectors.sql import plan, target
from dsr.connectors.sql.dataset import Dataset, DatasetError, parse
from dsr.errors import DsrError, InvalidInput
from dsr.settings import Settings

MARIADB_STATEMENT_TIMEOUT = 1969  # ER_STATEMENT_TIMEOUT: max_statement_time was exceeded


def describe_failure(exc: BaseException) -> str:
    """A failure in words safe to store and show: no URL, parameters or values."""
    if isinstance(exc, DatasetError | target.TargetError | plan.TooManyKeys | DsrError):
        return str(exc)
    if isinstance(exc, sa.exc.DBAPIError):
        # The driver's own exception (asyncpg's is wrapped once more by SQLAlchemy's adapter).
        orig = exc.orig.__cause__ or exc.orig if exc.orig is not None else exc
        name = type(orig).__name__
        code = orig.args[0] if orig.args else None
        if "Cancel" in name or "Timeout" in name or code == MARIADB_STATEMENT_TIMEOUT:
            return f"a statement ran past the timeout ({name})"
        if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
            return f"could not reach the database ({name})"
        return f"the database refused a statement ({name})"
    if isinstance(exc, OSError | TimeoutError):
        return f"could not reach the database ({type(exc).__name__})"
    return f"unexpected failure ({type(exc).__name__})"


async def check(*, settings: Settings, connection_env: str, dataset_text: str) -> list[str]:
    """The dataset parsed and checked against the live database. 422 naming what is wrong
    (a table or column that does not exist, a cycle, an unset variable); returns warnings
    (edges without an index)."""
    try:
        dataset = parse(dataset_text)
        engine = target.make_engine(connection_env)
    except (DatasetError, target.TargetError) as exc:
        raise InvalidInput(_field(exc) + str(exc)) from None
    try:
        async with target.transaction(engine, settings.sql_statement_timeout_seconds) as conn:
            schema = await target.reflect(conn, dataset, indexes=True)
            await conn.rollback()
    except target.TargetError as exc:
        raise InvalidInput(str(exc)) from None
    except Exception as exc:  # any driver failure: said without the URL
        raise InvalidInput("connection_env: " + describe_failure(exc)) from None
    finally:
        await engine.dispose()
    return schema.warnings


def _field(exc: BaseException) -> str:
    return "" if isinstance(exc, DatasetError) else "connection_env: "


async def read(
    *,
    settings: Settings,
    connection_env: str,
    dataset: Dataset,
    subject: plan.Subject,
    warn: bool = False,
) -> tuple[plan.Found, list[str]]:
    """Every row of the subject, read in one transaction that changes nothing."""
    engine = target.make_engine(connection_env)
    try:
        async with target.transaction(engine, settings.sql_statement_timeout_seconds) as conn:
            schema = await target.reflect(conn, dataset, indexes=warn)
            found = await plan.find(conn, dataset, schema, subject, rows=True)
            await conn.rollback()
    finally:
        await engine.dispose()
    return found, schema.warnings


async def erase(
    *,
    settings: Settings,
    system_name: str,
    connection_env: str,
    dataset: Dataset,
    subject: plan.Subject,
) -> tuple[dict[str, int], dict[str, int]]:
    """Erase the subject's rows in one transaction: all of it happens or none."""
    engine = target.make_engine(connection_env)
    key = hmac.new(settings.secret_key.encode(), b"dsr-sql-mask", hashlib.sha256).digest()
    who = f"{subject.email or ''}\x00{subject.account_id or ''}".lower().encode()

    def mask(table: str, column: str) -> str:
        # A keyed mask: the same subject's value in a column always masks to the same text
        # (rows stay joinable), and without dsr's secret key it cannot be linked back.
        tag = f"{system_name}\x00{table}\x00{column}\x00".encode()
        return "erased-" + hmac.new(key, tag + who, hashlib.sha256).hexdigest()[:24]

    try:
        async with target.transaction(engine, settings.sql_statement_timeout_seconds) as conn:
            schema = await target.reflect(conn, dataset)
            return await plan.erase(conn, dataset, schema, subject, mask=mask)
    finally:
        await engine.dispose()


async def dry_run(
    *, settings: Settings, connection_env: str, dataset_text: str, subject: plan.Subject
) -> dict[str, Any]:
    """What each table would give (access) and lose (deletion), changing nothing."""
    if subject.email is None and subject.account_id is None:
        raise InvalidInput("email: give an email or an account_id to test with")
    try:
        dataset = parse(dataset_text)
        found, warnings = await read(
            settings=settings,
            connection_env=connection_env,
            dataset=dataset,
            subject=subject,
            warn=True,
        )
    except Exception as exc:
        raise InvalidInput(describe_failure(exc)) from None
    tables = {}
    for name in dataset.order:
        spec = dataset.tables[name]
        rows = found.rows.get(name, [])
        tables[name] = {
            "category": spec.category,
            "erase": spec.erase.describe(),
            "retain_reason": spec.erase.reason,
            "count": len(rows),
            "rows": rows,
        }
    return {"tables": tables, "warnings": warnings}
