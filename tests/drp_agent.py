"""A small Data Rights Protocol 1.0 authorized agent, written from the specification (§2, §3.07)
for the tests: its own Ed25519 key pair (PyNaCl), pair-wise set-up, exercise, status and revoke,
every signed body base64 text/plain with the signature prepended."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from nacl.signing import SigningKey

BASE = "/drp/v1"


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@dataclass
class Agent:
    client: httpx.AsyncClient
    agent_id: str
    business_id: str
    key: SigningKey = field(default_factory=SigningKey.generate)
    token: str | None = None

    @property
    def verify_key(self) -> str:
        """Base64 of the public key, as the DRP service directory lists it."""
        return base64.b64encode(bytes(self.key.verify_key)).decode()

    def envelope(self, *, issued: datetime | None = None, minutes: float = 5) -> dict[str, Any]:
        now = issued or datetime.now(UTC)
        return {
            "agent-id": self.agent_id,
            "business-id": self.business_id,
            "issued-at": stamp(now),
            "expires-at": stamp(now + timedelta(minutes=minutes)),
            "drp.version": "1.0",
        }

    def sign(self, claims: dict[str, Any], key: SigningKey | None = None) -> bytes:
        signed = (key or self.key).sign(json.dumps(claims).encode())  # signature + message
        return base64.b64encode(bytes(signed))

    def headers(self, token: str | None = None) -> dict[str, str]:
        h = {"content-type": "text/plain"}
        if token or self.token:
            h["authorization"] = f"Bearer {token or self.token}"
        return h

    async def pair(self, claims: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        body = self.sign(claims if claims is not None else self.envelope(), kw.pop("key", None))
        r = await self.client.post(
            f"{BASE}/agent/{kw.pop('path_id', self.agent_id)}", content=body, headers=self.headers()
        )
        if r.status_code == 200:
            self.token = r.json()["token"]
        return r

    def exercise_claims(self, exercise: str = "deletion", **extra: Any) -> dict[str, Any]:
        return {
            **self.envelope(),
            "exercise": exercise,
            "regime": "ccpa",
            "relationships": ["customer"],
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            "email_verified": True,
            **extra,
        }

    async def exercise(
        self, claims: dict[str, Any], *, path: str = f"{BASE}/data-rights-request", **kw: Any
    ) -> httpx.Response:
        body = kw.pop("body", None) or self.sign(claims, kw.pop("key", None))
        return await self.client.post(
            path, content=body, headers=self.headers(kw.pop("token", None))
        )

    async def status(self, request_id: str, token: str | None = None) -> httpx.Response:
        return await self.client.get(
            f"{BASE}/data-rights-request/{request_id}", headers=self.headers(token)
        )

    async def revoke(
        self, request_id: str, claims: dict[str, Any] | None = None, **kw: Any
    ) -> httpx.Response:
        body = self.sign(claims if claims is not None else {"reason": "changed my mind"})
        return await self.client.request(
            "DELETE",
            f"{BASE}/data-rights-request/{request_id}{kw.pop('slash', '')}",
            content=body,
            headers=self.headers(kw.pop("token", None)),
        )
