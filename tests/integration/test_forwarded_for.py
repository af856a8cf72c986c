"""Issue 12, defect 5: X-Forwarded-For is believed only from DSR_TRUSTED_PROXIES. Without it
(the default), a client that rotates the header is still counted under its own address, by the
login limit and the intake limit alike; from a configured proxy, the header names the client."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from dsr.settings import Settings
from tests.live_server import LiveServer

LIMITS = {"DSR_RATE_LIMIT_LOGIN": "3/minute", "DSR_RATE_LIMIT_IP": "3/minute"}
StartServer = Callable[..., Awaitable[LiveServer]]


@pytest.fixture
async def start_server(app: FastAPI, tmp_path: Path) -> AsyncIterator[StartServer]:
    servers: list[LiveServer] = []

    async def start(**env: str) -> LiveServer:
        s = LiveServer(app.state.settings.database_url, tmp_path, **LIMITS, **env)
        servers.append(s)
        await s.start()
        return s

    yield start
    for s in servers:
        await s.stop()


async def logins(server: LiveServer, forwarded: list[str]) -> list[int]:
    """One failed login per X-Forwarded-For value (each for another account, so that only the
    per-address limit can answer 429)."""
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as c:
        return [
            (
                await c.post(
                    "/api/v1/auth/token",
                    data={"username": f"nobody{n}@example.com", "password": "wrong-password"},
                    headers={"x-forwarded-for": ip},
                )
            ).status_code
            for n, ip in enumerate(forwarded)
        ]


async def intakes(server: LiveServer, forwarded: list[str]) -> list[int]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as c:
        return [
            (
                await c.post(
                    "/api/v1/requests",
                    json={
                        "type": "deletion",
                        "jurisdiction": "US-CA",
                        "email": f"person{n}@example.org",
                        "full_name": "Ada Lovelace",
                    },
                    headers={"x-forwarded-for": ip},
                )
            ).status_code
            for n, ip in enumerate(forwarded)
        ]


KEY = base64.b64encode(bytes(32)).decode()
ROTATING = [f"198.51.100.{n}" for n in range(1, 5)]


async def test_rotating_the_header_does_not_escape_the_login_or_intake_limit(
    start_server: StartServer,
) -> None:
    server = await start_server()  # DSR_TRUSTED_PROXIES unset: not even loopback is believed
    assert await logins(server, ROTATING) == [401, 401, 401, 429]
    assert await intakes(server, ROTATING) == [201, 201, 201, 429]


async def test_a_proxy_not_listed_is_not_believed(start_server: StartServer) -> None:
    server = await start_server(DSR_TRUSTED_PROXIES="10.0.0.0/8, 192.0.2.1")
    assert await logins(server, ROTATING) == [401, 401, 401, 429]


async def test_a_configured_proxys_header_names_the_client(start_server: StartServer) -> None:
    server = await start_server(DSR_TRUSTED_PROXIES="127.0.0.1")
    # Each address the proxy names is counted apart ...
    assert await logins(server, ROTATING) == [401, 401, 401, 401]
    # ... and one address is limited, whatever other clients the proxy carries.
    assert await logins(server, ["203.0.113.9"] * 4) == [401, 401, 401, 429]
    assert await intakes(server, ["203.0.113.9"] * 4) == [201, 201, 201, 429]


@pytest.mark.parametrize("value", ["*", "localhost", "10.0.0.0/33", "127.0.0.1;10.0.0.1"])
def test_a_setting_that_is_not_addresses_or_networks_stops_start_up(value: str) -> None:
    with pytest.raises(ValidationError, match="DSR_TRUSTED_PROXIES"):
        Settings(trusted_proxies=value, secret_key="x", encryption_keys=KEY)


def test_addresses_and_networks_are_accepted_as_listed() -> None:
    settings = Settings(
        trusted_proxies=" 10.0.0.0/8 ,, ::1,192.0.2.1", secret_key="x", encryption_keys=KEY
    )
    assert settings.trusted_proxy_list == ["10.0.0.0/8", "::1", "192.0.2.1"]
