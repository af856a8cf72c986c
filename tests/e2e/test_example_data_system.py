"""The example data system (tests/example_data_system.py) against dsr served for real: its own
`orders` table on PostgreSQL, reached by signed webhook; access is answered with its rows through
the task API and deletion deletes them, each task completed by the system itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI

from dsr.fulfilment import results
from tests.example_data_system import Shop
from tests.fulfilment_helpers import make_system_token, register_system, task_of
from tests.helpers import (
    REQUESTER,
    Mailbox,
    create_pg_database,
    drop_pg_database,
    events,
    free_port,
    make_staff,
    open_case,
)
from tests.receivers import serving

OTHER = "leaving@example.org"


@pytest.fixture
async def shop_dsn() -> AsyncIterator[str]:
    """The shop's own PostgreSQL database (whatever database dsr runs on)."""
    name, url = await create_pg_database()
    yield url.replace("postgresql+asyncpg://", "postgresql://", 1)
    await drop_pg_database(name)


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_example_data_system_answers_access_and_deletes_on_deletion(
    app: FastAPI,
    client: httpx.AsyncClient,
    mailbox: Mailbox,
    live_server: str,
    shop_dsn: str,
) -> None:
    del live_server  # served: results_url and complete_url point at it (settings_overrides)
    admin = await make_staff(app, "admin@example.com", "admin")
    port = free_port()
    system_id = await register_system(
        client,
        admin,
        "shop",
        integration="webhook",
        webhook_url=f"http://127.0.0.1:{port}/dsr/tasks",
        request_types=["access", "deletion"],
    )
    # The secret is shown once, on creation: rotate to learn it here as an admin would.
    r = await client.post(
        f"/api/v1/data-systems/{system_id}/rotate-secret",
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert r.status_code == 200, r.text
    shop = Shop(
        shop_dsn, await make_system_token(app, system_id, "shop"), r.json()["signing_secret"]
    )
    await shop.create(
        [
            (REQUESTER, "acct-1", "tea", 450),
            (REQUESTER, None, "cups", 990),
            (OTHER, "acct-2", "kettle", 2500),
            ("someone.else@example.org", "acct-3", "spoon", 120),
        ]
    )
    async with serving(shop.app(), port):
        access = await open_case(client, app, mailbox, account_id="acct-1")
        await until(lambda: len(shop.answered) == 1 or bool(shop.errors))
        assert shop.errors == []
        deletion = await open_case(client, app, mailbox, type="deletion", email=OTHER)
        await until(lambda: len(shop.answered) == 2 or bool(shop.errors))
        assert shop.errors == []

    access_task = await task_of(app, access, system_id)
    assert (access_task.status, access_task.records_affected) == ("done", None)
    async with app.state.sessionmaker() as session:
        found = await results.results_for_tasks(session, [access_task.id])
    assert [results.read_json(app.state.settings, x) for x in found[access_task.id]] == [
        [{"item": "tea", "total_cents": 450}, {"item": "cups", "total_cents": 990}]
    ]
    deletion_task = await task_of(app, deletion, system_id)
    assert (deletion_task.status, deletion_task.records_affected) == ("done", 1)
    assert await shop.orders_of(OTHER, "acct-2") == []
    assert await shop.orders_of("someone.else@example.org", None) == [
        {"item": "spoon", "total_cents": 120}
    ]
    assert len(await shop.orders_of(REQUESTER, None)) == 2  # access changed nothing
    assert "task_done" in await events(app, deletion)
