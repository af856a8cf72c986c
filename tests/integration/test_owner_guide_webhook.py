"""The README's webhook receiver for system owners (docs/examples/webhook_receiver.py), served
for real: dsr delivers a task to it and it verifies, acknowledges and works on it once; a bad
signature is refused. The README shows that very file."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from standardwebhooks import Webhook

from tests.example_data_system import EXAMPLE, owner_guide_receiver
from tests.helpers import REQUESTER, Mailbox, auth, free_port, make_staff, open_case
from tests.receivers import serving

ROOT = Path(__file__).resolve().parents[2]


def test_readme_shows_the_example_as_it_is() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "```python\n" + EXAMPLE.read_text() + "```" in readme


async def until(condition: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_example_receiver_takes_a_delivered_task_once(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    admin = await make_staff(app, "admin@example.com", "admin")
    port = free_port()
    r = await client.post(
        "/api/v1/data-systems",
        json={
            "name": "shop",
            "owner_email": "shop-owner@example.com",
            "request_types": ["deletion"],
            "integration": "webhook",
            "webhook_url": f"http://127.0.0.1:{port}/dsr/tasks",
        },
        headers=auth(admin),
    )
    assert r.status_code == 201, r.text
    secret = r.json()["signing_secret"]
    worked: list[dict[str, Any]] = []

    async def work_on(task: dict[str, Any]) -> None:
        worked.append(task)

    receiver = owner_guide_receiver().make_app(secret, work_on)
    url = f"http://127.0.0.1:{port}/dsr/tasks"
    async with serving(receiver, port):
        await open_case(client, app, mailbox, type="deletion", account_id="acct-9")
        await until(lambda: len(worked) == 1)
        [task] = worked
        assert task["request_type"] == "deletion"
        assert task["subject"] == {"email": REQUESTER, "account_id": "acct-9"}

        # A delivery seen again (same webhook-id) is acknowledged and not worked on twice.
        body = '{"type":"task.created","timestamp":"2026-12-01T00:00:00Z","data":{"id":"x"}}'
        now = datetime.now(UTC)
        headers = {
            "webhook-id": "msg_replayed",
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign("msg_replayed", now, body),
        }
        async with httpx.AsyncClient() as http:
            first = await http.post(url, content=body, headers=headers)
            again = await http.post(url, content=body, headers=headers)
            forged = await http.post(url, content=body.replace('"x"', '"y"'), headers=headers)
        assert (first.status_code, again.status_code, forged.status_code) == (202, 204, 401)
        await until(lambda: len(worked) == 2)
        await asyncio.sleep(0.1)
    assert [t["id"] for t in worked] == [task["id"], "x"]
