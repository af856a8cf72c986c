"""The migrations build exactly the schema the models describe, on both databases, and the
first migration's naming convention names every constraint."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from dsr.db.engine import make_engine
from dsr.db.models import metadata
from dsr.settings import Settings


def _diff(connection: Any) -> list[Any]:
    ctx = MigrationContext.configure(connection, opts={"compare_type": False})
    return list(compare_metadata(ctx, metadata))


async def test_migrated_schema_matches_models(database_url: str) -> None:
    engine = make_engine(Settings(database_url=database_url, secret_key="x"))
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff)
    finally:
        await engine.dispose()
    assert diff == []


async def test_constraints_are_named_by_convention(database_url: str) -> None:
    engine = make_engine(Settings(database_url=database_url, secret_key="x"))
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(
                lambda c: {
                    t: [u["name"] for u in sa.inspect(c).get_unique_constraints(t)]
                    for t in sa.inspect(c).get_table_names()
                    if t != "alembic_version"
                }
            )
    finally:
        await engine.dispose()
    for table, uniques in names.items():
        for name in uniques:
            assert name, (table, name)
            assert name.startswith(f"uq_{table}_"), (table, name)


def test_migrations_form_one_line() -> None:
    """Work on two branches must be relinked before it lands: two heads would let a deployment
    apply them in either order, and `dsr db upgrade` to one head would silently skip the other."""
    from alembic.script import ScriptDirectory

    from dsr.db.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, script.get_heads()
    assert len(list(script.walk_revisions())) >= 5
