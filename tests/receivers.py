"""Real HTTP receivers for webhook tests: a Starlette app served by uvicorn on a free port in the
test's event loop. The receiver verifies every delivery with the `standardwebhooks` library's own
`Webhook.verify`, records what arrived, and answers as the test tells it to."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp


@dataclass
class Arrival:
    webhook_id: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    secret: str = ""
    # Answers to give, in turn, before the verified 204s: a status, or seconds to stall.
    script: list[int | float] = field(default_factory=list)
    arrivals: list[Arrival] = field(default_factory=list)
    # Verified and acknowledged (2xx sent), by webhook-id: what a real receiver would act on.
    acknowledged: dict[str, Any] = field(default_factory=dict)
    refused: int = 0  # deliveries whose signature did not verify

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        headers = dict(request.headers)
        self.arrivals.append(Arrival(headers.get("webhook-id", ""), headers, body))
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            self.refused += 1
            return Response(status_code=400)
        if self.script:
            answer = self.script.pop(0)
            if isinstance(answer, float):
                await asyncio.sleep(answer)  # longer than dsr waits: a timeout
            else:
                return Response(status_code=answer)
        self.acknowledged.setdefault(headers["webhook-id"], payload)
        return Response(status_code=204)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hooks", self.handle, methods=["POST"])])


@contextlib.asynccontextmanager
async def serving(app: ASGIApp, port: int) -> AsyncIterator[None]:
    """Serve the app on 127.0.0.1:port until the block ends."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises why it could not start
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task


@dataclass
class CallbackReceiver:
    """An authorized agent's DRP status-callback endpoint: records every POST with its
    DRP-Callback-Id, answers the scripted statuses first, then 200."""

    script: list[int] = field(default_factory=list)
    arrivals: list[tuple[str, Any]] = field(default_factory=list)
    acknowledged: dict[str, Any] = field(default_factory=dict)

    async def handle(self, request: Request) -> Response:
        callback_id = request.headers.get("drp-callback-id", "")
        body = await request.json()
        self.arrivals.append((callback_id, body))
        if self.script:
            return Response(status_code=self.script.pop(0))
        self.acknowledged.setdefault(callback_id, body)
        return Response(status_code=200)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/drp/callback", self.handle, methods=["POST"])])
