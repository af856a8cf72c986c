"""Two staff acting on one case at once: one wins, the other gets 409; the timeline stays one
unbroken chain."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from dsr.audit import verify_all
from tests.helpers import Mailbox, act, auth, make_staff, open_case


async def test_conflicting_decisions_one_wins(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    a = await make_staff(app, "a@example.com", "handler")
    b = await make_staff(app, "b@example.com", "handler")
    for _ in range(3):
        case_id = await open_case(client, app, mailbox)
        await act(client, a, case_id, "assign", assignee="a@example.com")
        r1, r2 = await asyncio.gather(
            act(client, a, case_id, "deny", reason_code="other", explanation="No data held."),
            act(client, b, case_id, "fulfil"),
        )
        assert sorted([r1.status_code, r2.status_code]) == [200, 409], (r1.text, r2.text)
        case = (await client.get(f"/api/v1/cases/{case_id}", headers=auth(a))).json()
        winner = r1 if r1.status_code == 200 else r2
        assert case["status"] == winner.json()["status"]
    result = await verify_all(app.state.engine)
    assert result.ok, result


async def test_many_concurrent_notes_never_fork_the_chain(
    app: FastAPI, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    a = await make_staff(app, "a@example.com", "handler")
    case_id = await open_case(client, app, mailbox)
    responses = await asyncio.gather(
        *(act(client, a, case_id, "note", text=f"note {i}") for i in range(8))
    )
    codes = [r.status_code for r in responses]
    assert set(codes) <= {200, 409}
    assert 200 in codes
    events = (await client.get(f"/api/v1/cases/{case_id}/events", headers=auth(a))).json()
    notes = [e for e in events if e["action"] == "note"]
    assert len(notes) == codes.count(200)  # every acknowledged note is there, no lost or extra one
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert (await verify_all(app.state.engine)).ok
