"""The Data Rights Protocol against a live `dsr serve`, driven by a small agent written from
the specification (tests/drp_agent.py) with its own key pair, registered with `dsr agents add`.
Status callbacks go to a real HTTP receiver through the outbox worker: a refused one is retried
and none is lost or doubled."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from dsr.db.types import utcnow
from dsr.notifications.dispatcher import dispatch_once
from tests.drp_agent import Agent, stamp
from tests.helpers import Mailbox, free_port, link_in, token_of
from tests.live_server import DSR, LiveServer
from tests.receivers import CallbackReceiver, serving

BUSINESS = "DSR_LIVE_BUSINESS"


def _env(app: FastAPI) -> dict[str, str]:
    s = app.state.settings
    return {
        "DSR_SECRET_KEY": s.secret_key,
        "DSR_ENCRYPTION_KEYS": s.encryption_keys,
        "DSR_DRP_BUSINESS_ID": BUSINESS,
        "DSR_RATE_LIMIT_DRP": "1000/minute",
        "DSR_DRP_CALLBACK_PRIVATE_HOSTS": "true",  # the agent's receiver is on 127.0.0.1
        "DSR_RATE_LIMIT_IP": "1000/minute",
    }


@pytest.fixture
async def server(app: FastAPI, tmp_path: Path) -> AsyncIterator[LiveServer]:
    s = LiveServer(app.state.settings.database_url, tmp_path, **_env(app))
    s.env["DSR_BASE_URL"] = s.url
    await s.start()
    yield s
    await s.stop()


async def cli(app: FastAPI, tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "DSR_DATABASE_URL": app.state.settings.database_url,
        "DSR_VAR_DIR": str(tmp_path),
        **_env(app),
    }
    proc = await asyncio.create_subprocess_exec(
        str(DSR), "agents", *args, env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_an_agent_drives_every_endpoint_of_a_live_server(
    app: FastAPI, server: LiveServer, tmp_path: Path, mailbox: Mailbox
) -> None:
    receiver = CallbackReceiver(script=[503])
    port = free_port()
    callback = f"http://127.0.0.1:{port}/drp/callback"
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=10) as c,
        serving(receiver.app(), port),
    ):
        agent = Agent(c, "LIVE_AGENT", BUSINESS)
        other = Agent(c, "OTHER_AGENT", BUSINESS)
        code, out = await cli(
            app, tmp_path, "add", "--id", agent.agent_id, "--verify-key", agent.verify_key,
            "--name", "Live Agent",
        )  # fmt: skip
        assert code == 0, out
        assert (
            await cli(app, tmp_path, "add", "--id", "OTHER_AGENT", "--verify-key", other.verify_key)
        )[0] == 0
        code, out = await cli(app, tmp_path, "add", "--id", "BAD", "--verify-key", "short")
        assert code == 1
        assert "verify key" in out
        code, out = await cli(app, tmp_path, "list")
        assert "LIVE_AGENT\tenabled\tLive Agent" in out

        # Pair-wise set-up: a forged signature is 403 with no body; the real one a token.
        forged = await agent.pair(key=other.key)
        assert (forged.status_code, forged.content) == (403, b"")
        assert (await agent.pair()).status_code == 200
        assert (await other.pair()).status_code == 200
        info = await c.get(f"/drp/v1/agent/{agent.agent_id}/", headers=agent.headers())
        assert info.status_code == 200

        # Refusals, each before anything is stored.
        now = datetime.now(UTC)
        expired = agent.exercise_claims()
        expired.update(
            {
                "issued-at": stamp(now - timedelta(minutes=20)),
                "expires-at": stamp(now - timedelta(minutes=10)),
            }
        )
        future = agent.exercise_claims()
        future.update(
            {
                "issued-at": stamp(now + timedelta(minutes=10)),
                "expires-at": stamp(now + timedelta(minutes=12)),
            }
        )
        assert (await agent.exercise(expired)).json()["fatal"] is True
        assert (await agent.exercise(future)).status_code == 400
        wrong = await agent.exercise({**agent.exercise_claims(), "business-id": "ELSEWHERE"})
        assert (wrong.status_code, wrong.content) == (403, b"")
        forged = await agent.exercise(agent.exercise_claims(), key=other.key)
        assert (forged.status_code, forged.content) == (403, b"")

        # The exercise: a case waiting for the consumer's own confirmation.
        r = await agent.exercise(agent.exercise_claims("deletion", status_callback=callback))
        assert r.status_code == 200, r.text
        status = r.json()
        request_id = status["request_id"]
        assert status["reason"] == "need_user_verification"
        assert status["user_verification_url"].startswith(server.url)
        page = await c.get(
            status["user_verification_url"],
            params={"request_id": request_id, "redirect_to": f"http://127.0.0.1:{port}/done"},
        )
        assert page.status_code == 200
        assert f'href="http://127.0.0.1:{port}/done"' in page.text
        elsewhere = await c.get(
            status["user_verification_url"], params={"redirect_to": "https://evil.example/"}
        )
        assert "evil.example" not in elsewhere.text
        assert (await other.status(request_id)).status_code == 403
        assert (await other.revoke(request_id)).status_code == 403

        # The consumer confirms by the e-mailed link: the case opens, the agent is called back.
        factory = app.state.sessionmaker
        # The agent's receiver is on 127.0.0.1, which callbacks refuse by default.
        settings = app.state.settings.model_copy(update={"drp_callback_private_hosts": True})
        assert await dispatch_once(factory, settings) == (1, 0)
        link = link_in(mailbox.messages[0], "/verify")
        case_id = link.split("/requests/")[1].split("/")[0]
        r = await c.post(f"/requests/{case_id}/verify", data={"token": token_of(link)})
        assert r.status_code == 200
        assert await dispatch_once(factory, settings) == (1, 1)  # the acknowledgement; 503
        assert await dispatch_once(factory, settings, now=utcnow() + timedelta(hours=2)) == (1, 0)
        assert len(receiver.arrivals) == 2
        assert receiver.arrivals[0][0] == receiver.arrivals[1][0]  # one id on every attempt
        (first,) = receiver.acknowledged.values()
        assert (first["request_id"], first["status"], first["reason"]) == (
            request_id,
            "in_progress",
            None,
        )
        assert first["expected_by"] == (await agent.status(request_id)).json()["expected_by"]

        # Revoke: the case is withdrawn and the agent hears of it once.
        r = await agent.revoke(request_id)
        assert r.json()["status"] == "revoked"
        await dispatch_once(factory, settings, now=utcnow() + timedelta(hours=4))
        await dispatch_once(factory, settings, now=utcnow() + timedelta(hours=8))
        assert [b["status"] for b in receiver.acknowledged.values()] == ["in_progress", "revoked"]
        assert len(receiver.arrivals) == 3
        assert (await agent.status(request_id)).json()["status"] == "revoked"

        # The registry from the command line: an agent with requests is kept, only disabled.
        code, out = await cli(app, tmp_path, "remove", "--id", agent.agent_id)
        assert code == 1
        assert "disable it" in out
        assert (await cli(app, tmp_path, "disable", "--id", agent.agent_id))[0] == 0
        refused = await agent.status(request_id)
        assert (refused.status_code, refused.content) == (403, b"")
        assert (await cli(app, tmp_path, "remove", "--id", other.agent_id))[0] == 0
        assert (await other.status(request_id)).status_code == 403
        code, out = await cli(app, tmp_path, "list")
        assert out.split() == [agent.agent_id, "disabled", "Live", "Agent"]
