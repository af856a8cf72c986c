"""An example data system for the fulfilment tests: a shop with its own `orders` table in a
PostgreSQL database of its own, reached by dsr through signed webhooks.

It is the README's receiver (docs/examples/webhook_receiver.py: verifies with standardwebhooks,
acknowledges at once, works after the answer) with real work behind it: an access task is
answered by POSTing the subject's rows to the task's `results_url` and completing it; a deletion
deletes them and completes with `records_affected`. It calls dsr's task API with a token bound
to the system, as a real system would. Nothing of dsr's own code is used here."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import httpx
from starlette.applications import Starlette

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "webhook_receiver.py"

SCHEMA = """
CREATE TABLE orders (
    id serial PRIMARY KEY,
    email text NOT NULL,
    account_id text,
    item text NOT NULL,
    total_cents integer NOT NULL
)
"""


def owner_guide_receiver() -> ModuleType:
    """The README's receiver module, loaded from its file."""
    spec = importlib.util.spec_from_file_location("webhook_receiver", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Shop:
    def __init__(self, dsn: str, token: str, secret: str) -> None:
        self.dsn, self.token, self.secret = dsn, token, secret
        self.answered: list[str] = []  # task ids completed
        self.errors: list[str] = []  # what went wrong in background work (the test shows it)

    async def create(self, rows: list[tuple[str, str | None, str, int]]) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.execute(SCHEMA)
            await conn.executemany(
                "INSERT INTO orders (email, account_id, item, total_cents) VALUES ($1, $2, $3, $4)",
                rows,
            )
        finally:
            await conn.close()

    async def orders_of(self, email: str | None, account_id: str | None) -> list[dict[str, Any]]:
        conn = await asyncpg.connect(self.dsn)
        try:
            records = await conn.fetch(
                "SELECT item, total_cents FROM orders WHERE email = $1 OR account_id = $2"
                " ORDER BY id",
                email,
                account_id,
            )
        finally:
            await conn.close()
        return [dict(r) for r in records]

    async def erase(self, email: str | None, account_id: str | None) -> int:
        conn = await asyncpg.connect(self.dsn)
        try:
            status = await conn.execute(
                "DELETE FROM orders WHERE email = $1 OR account_id = $2", email, account_id
            )
        finally:
            await conn.close()
        return int(status.split()[-1])  # "DELETE n"

    async def work_on(self, task: dict[str, Any]) -> None:
        try:
            await self._work_on(task)
        except Exception as exc:  # background work: record it for the test to show
            self.errors.append(f"{type(exc).__name__}: {exc}")

    async def _work_on(self, task: dict[str, Any]) -> None:
        email, account_id = task["subject"]["email"], task["subject"]["account_id"]
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(headers=headers, timeout=10) as dsr:
            outcome: dict[str, Any]
            if task["request_type"] == "access":
                rows = await self.orders_of(email, account_id)
                if rows:
                    r = await dsr.post(task["results_url"], json=rows)
                    r.raise_for_status()
                outcome = {"outcome": "done" if rows else "not_found"}
            elif task["request_type"] == "deletion":
                erased = await self.erase(email, account_id)
                outcome = {"outcome": "done" if erased else "not_found"}
                outcome |= {"records_affected": erased}
            else:
                return  # corrections are left to a person in this shop
            r = await dsr.post(task["complete_url"], json=outcome)
            r.raise_for_status()
        self.answered.append(task["id"])

    def app(self) -> Starlette:
        app: Starlette = owner_guide_receiver().make_app(self.secret, self.work_on)
        return app
