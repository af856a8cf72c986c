"""A data system's receiver for dsr's task webhooks (README, "Webhook systems").

Run it with `DSR_WEBHOOK_SECRET=whsec_... uvicorn --factory webhook_receiver:main --port 8080`
and register `http://your-host:8080/dsr/tasks` as the system's `webhook_url`. Every delivery is
checked with the `standardwebhooks` library; a bad or stale signature is refused with 401. The
task is acknowledged at once (dsr waits DSR_WEBHOOK_TIMEOUT_SECONDS, then retries) and worked on
after the answer is sent. A retried delivery has the same `webhook-id`: one already taken is
acknowledged again and not worked on twice."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TaskHandler = Callable[[dict[str, Any]], Awaitable[None]]


def make_app(secret: str, work_on: TaskHandler) -> Starlette:
    webhook = Webhook(secret)
    taken: set[str] = set()  # webhook-ids already taken; a real system keeps them in its database

    async def receive(request: Request) -> Response:
        body = await request.body()
        try:
            event = webhook.verify(body, dict(request.headers))
        except WebhookVerificationError:
            return Response(status_code=401)
        delivery = request.headers["webhook-id"]
        if delivery in taken or event["type"] != "task.created":
            return Response(status_code=204)
        taken.add(delivery)
        # event["data"] is the TASK: id, case_reference, request_type, subject, results_url, ...
        return Response(status_code=202, background=BackgroundTask(work_on, event["data"]))

    return Starlette(routes=[Route("/dsr/tasks", receive, methods=["POST"])])


async def print_task(task: dict[str, Any]) -> None:
    print(task["id"], task["request_type"], task["case_reference"])


def main() -> Starlette:
    return make_app(os.environ["DSR_WEBHOOK_SECRET"], print_task)
