"""The outbox: SMTP down delays notices but loses none; a dead message can be retried by an
admin and is then sent once."""

from __future__ import annotations

import sqlalchemy as sa

from tests.helpers import auth, deliver, make_staff


async def test_failed_notification_listed_and_retried(app, client, mailbox, settings):
    admin = await make_staff(app, "admin@example.com", "admin")
    handler = await make_staff(app, "handler@example.com", "handler")
    mailbox.refuse = True
    r = await client.post(
        "/api/v1/requests",
        json={
            "type": "deletion",
            "jurisdiction": "GB",
            "email": "gone@example.org",
            "full_name": "Gone Girl",
        },
    )
    assert r.status_code == 201
    for _ in range(settings.outbox_max_attempts):
        assert await deliver(app) == (0, 1)
        async with app.state.engine.begin() as conn:  # skip the backoff wait
            await conn.execute(sa.text("UPDATE outbox_message SET next_attempt_at = created_at"))
    assert await deliver(app) == (0, 0)
    r = await client.get("/api/v1/notifications", headers=auth(admin))
    assert r.status_code == 200
    [failed] = r.json()
    assert failed["kind"] == "verification" and failed["status"] == "failed"
    assert "gone@example.org" not in r.text and "451" in failed["last_error"]
    assert (await client.get("/api/v1/notifications", headers=auth(handler))).status_code == 403

    mailbox.refuse = False
    r = await client.post(f"/api/v1/notifications/{failed['id']}/retry", headers=auth(admin))
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert await deliver(app) == (1, 0)
    assert await deliver(app) == (0, 0)
    assert len(mailbox.to("gone@example.org")) == 1
    r = await client.post(f"/api/v1/notifications/{failed['id']}/retry", headers=auth(admin))
    assert r.status_code == 409
