"""The SQL connector on real SQLite, PostgreSQL and MariaDB databases (the example chat schema):
exactly the subject's rows are read and erased, never a neighbour's, whatever the identity holds;
erasure runs twice without harm; the schema check names what is missing; statements time out."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from dsr.connectors.sql import plan, service
from dsr.connectors.sql import target as sql_target
from dsr.connectors.sql.dataset import parse
from dsr.errors import InvalidInput
from dsr.settings import Settings
from tests.sql_targets import ASKED_EMAIL, DATASET, SUBJECT_ROWS, Target

ENV = "DSR_TEST_TARGET_URL_FOR_PLAN"  # only the tests' own variable: the schema refuses DSR_


@pytest.fixture
def env(chat_db: Target, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(ENV, chat_db.url)
    return ENV


def _settings() -> Settings:
    return Settings(database_url="sqlite+aiosqlite:///:memory:", secret_key="k" * 32)


async def _read(env: str, subject: plan.Subject, dataset: str = DATASET) -> dict[str, list[Any]]:
    found, _ = await service.read(
        settings=_settings(), connection_env=env, dataset=parse(dataset), subject=subject
    )
    return {t: [r["id"] for r in rows] for t, rows in found.rows.items()}


async def test_access_reads_the_subjects_rows_and_no_neighbours(env: str) -> None:
    by_email = await _read(env, plan.Subject(email=ASKED_EMAIL))
    assert by_email == SUBJECT_ROWS
    by_account = await _read(env, plan.Subject(account_id="1"))
    assert by_account == SUBJECT_ROWS
    found, _ = await service.read(
        settings=_settings(),
        connection_env=env,
        dataset=parse(DATASET),
        subject=plan.Subject(email=ASKED_EMAIL),
    )
    message = next(r for r in found.rows["messages"] if r["id"] == 100)
    assert message["content"] == "hi ' %"
    assert found.rows["invoices"][0]["issued_on"] == "2026-01-01"


@pytest.mark.parametrize(
    ("email", "account_id"),
    [
        ("%", None),
        ("_%@example.com", None),
        ("zoë.o'brien+__1@example.com", None),
        ("' OR '1'='1", None),
        ("x@example.com'; DROP TABLE accounts; --", None),
        (None, "1 OR 1=1"),
        (None, "%"),
        (None, "_"),
        (None, "1'--"),
        (None, "\uff11"),  # a full-width digit one is not the account 1
    ],
)
async def test_hostile_identities_match_nothing(
    env: str, chat_db: Target, email: str | None, account_id: str | None
) -> None:
    found = await _read(env, plan.Subject(email=email, account_id=account_id))
    assert all(ids == [] for ids in found.values()), found
    assert sorted(await chat_db.rows("accounts")) == [1, 2, 3]  # nothing dropped either


def _others(snapshot: dict[str, dict[int, dict[str, Any]]]) -> dict[str, dict[int, Any]]:
    return {
        t: {i: r for i, r in rows.items() if i not in SUBJECT_ROWS[t]}
        for t, rows in snapshot.items()
    }


async def test_erasure_applies_each_tables_erase_and_spares_the_neighbours(
    env: str, chat_db: Target
) -> None:
    before = await chat_db.snapshot()
    erased, retained = await service.erase(
        settings=_settings(),
        system_name="chat",
        connection_env=env,
        dataset=parse(DATASET),
        subject=plan.Subject(email=ASKED_EMAIL, account_id="1"),
    )
    assert erased == {
        "attachments": 2,
        "feedback": 1,
        "messages": 4,
        "conversations": 2,
        "accounts": 1,
    }
    assert retained == {"invoices": 1}
    after = await chat_db.snapshot()
    assert _others(after) == _others(before)  # every neighbour row is as it was
    assert sorted(after["conversations"]) == [20, 30]
    assert sorted(after["messages"]) == [103, 105, 106]
    assert sorted(after["attachments"]) == [1002]
    assert after["feedback"][1]["comment"] is None
    assert after["feedback"][1]["rating"] == 5
    assert after["invoices"] == before["invoices"]
    account = after["accounts"][1]
    assert account["email"].startswith("erased-")
    assert account["display_name"].startswith("erased-")
    assert "Zo" not in account["email"]

    again = await service.erase(
        settings=_settings(),
        system_name="chat",
        connection_env=env,
        dataset=parse(DATASET),
        subject=plan.Subject(email=ASKED_EMAIL, account_id="1"),
    )
    # Run twice: nothing more is deleted; the masked row masks to the same values again.
    assert again[0] == {"feedback": 1, "accounts": 1}
    assert await chat_db.snapshot() == after


async def test_an_erasure_that_fails_changes_nothing(env: str, chat_db: Target) -> None:
    # Nulling a NOT NULL column fails at the messages: the attachments deleted before them in
    # the same transaction come back, and nothing else is touched.
    dataset = DATASET.replace(
        "    from: {conversations.id: conversation_id, accounts.id: author_id}\n    erase: delete",
        "    from: {conversations.id: conversation_id, accounts.id: author_id}\n"
        "    erase: {null: [content]}",
    )
    before = await chat_db.snapshot()
    with pytest.raises(sa.exc.DBAPIError) as err:
        await service.erase(
            settings=_settings(),
            system_name="chat",
            connection_env=env,
            dataset=parse(dataset),
            subject=plan.Subject(account_id="1"),
        )
    assert await chat_db.snapshot() == before
    described = service.describe_failure(err.value)
    assert described.startswith("the database refused a statement (")
    assert "Zo" not in described


async def test_the_schema_check_names_a_missing_table_or_column_and_warns_of_scans(
    env: str, chat_db: Target
) -> None:
    settings = _settings()
    assert await service.check(settings=settings, connection_env=env, dataset_text=DATASET) == []
    missing_table = DATASET.replace("  invoices:", "  invoice_lines:")
    with pytest.raises(Exception, match="table 'invoice_lines' does not exist"):
        await service.check(settings=settings, connection_env=env, dataset_text=missing_table)
    missing_column = DATASET.replace("erase: {null: [comment]}", "erase: {null: [remark]}")
    with pytest.raises(Exception, match="column 'remark' does not exist in table 'feedback'"):
        await service.check(settings=settings, connection_env=env, dataset_text=missing_column)
    drop = {
        "postgresql": "DROP INDEX invoices_account_id",
        "sqlite": "DROP INDEX invoices_account_id",
        "mariadb": "ALTER TABLE invoices DROP FOREIGN KEY invoices_account, "
        "DROP INDEX invoices_account_id",
    }[chat_db.kind]
    await chat_db.execute(drop)
    warnings = await service.check(settings=settings, connection_env=env, dataset_text=DATASET)
    assert len(warnings) == 1
    assert warnings[0].startswith("invoices.account_id has no index")


async def test_the_url_comes_from_the_environment_and_is_never_in_an_error(
    chat_db: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(sql_target.TargetError) as err:
        sql_target.url_from_env(ENV)
    assert ENV in str(err.value)
    if chat_db.kind == "postgresql":
        monkeypatch.setenv(ENV, "postgresql://user:s3cret-pw@127.0.0.1:1/db")
        with pytest.raises(InvalidInput) as failed:
            await service.check(settings=_settings(), connection_env=ENV, dataset_text=DATASET)
        assert "s3cret" not in str(failed.value)
        assert "127.0.0.1" not in str(failed.value)


async def test_every_statement_has_a_timeout(env: str, chat_db: Target) -> None:
    engine = sql_target.make_engine(env)
    try:
        async with sql_target.transaction(engine, 1) as conn:
            if chat_db.kind == "postgresql":
                assert (await conn.exec_driver_sql("SHOW statement_timeout")).scalar() == "1s"
                with pytest.raises(sa.exc.DBAPIError) as err:
                    await conn.exec_driver_sql("SELECT pg_sleep(3)")
                assert "ran past the timeout" in service.describe_failure(err.value)
            elif chat_db.kind == "mariadb":
                value = (await conn.exec_driver_sql("SELECT @@max_statement_time")).scalar()
                assert float(str(value)) == 1.0
                with pytest.raises(sa.exc.DBAPIError) as err:
                    # A statement that reads rows (SLEEP alone is only interrupted, not failed).
                    await conn.exec_driver_sql(
                        "SELECT COUNT(*) FROM messages a, messages b, messages c, messages d, "
                        "messages e, messages f, messages g, messages h, messages i WHERE SLEEP(0.5) = 0"
                    )
                assert "ran past the timeout" in service.describe_failure(err.value)
    finally:
        await engine.dispose()
