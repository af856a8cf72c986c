"""ASGI middleware: request body size limits and security headers.

A body is held to the public limit (DSR_MAX_BODY_BYTES) until the route has authenticated its
caller from the headers: only then may it raise the limit to its path's larger one
(`allow_large_body`). FastAPI reads a declared body before it runs any dependency, so a route
that takes a large body declares none and reads it itself after authenticating; a route that
forgets is safe, since whatever it reads early is counted against the public limit (issue 12,
defect 1: four anonymous 16 MB bodies once took the process past 1 GB)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _too_large_message(limit: int) -> str:
    return f"request body too large: the limit is {limit // 1024} KB"


class BodyTooLarge(HTTPException):
    """Raised from receive() once a streamed body passes the limit. An HTTPException on purpose
    (as Starlette's own body limit does): FastAPI's body parser turns any other exception into
    a 400 "error parsing the body", but re-raises HTTPException, so the app's handler answers
    413 in the format the client expects."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=_too_large_message(limit))


BODY_ALLOWANCE = "dsr.body_allowance"


class BodyAllowance:
    """What the request may still stream: the public limit until `allow_large_body` is called."""

    def __init__(self, public: int, ceiling: int) -> None:
        self.limit = public
        self.ceiling = ceiling


def allow_large_body(request: HTTPConnection) -> None:
    """Called by a route once its caller is authenticated (a token, a console session, a task
    link's capability), before it reads the body: from here on the path's own limit applies."""
    allowance = request.scope.get(BODY_ALLOWANCE)
    if allowance is not None:
        allowance.limit = allowance.ceiling


class BodySizeLimit:
    """Refuses bodies over the limit with 413 before the endpoint reads them: by Content-Length
    when given, otherwise by counting the streamed chunks. Bulk endpoints get their own limit,
    but only once the route has authenticated the caller (see the module's docstring)."""

    def __init__(
        self, app: ASGIApp, default: int, overrides: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.default = default
        self.overrides = dict(overrides or {})

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.overrides.items():
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        ceiling = self.limit_for(scope["path"])
        allowance = BodyAllowance(min(self.default, ceiling), ceiling)
        scope[BODY_ALLOWANCE] = allowance
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        # A declared length up to the path's ceiling waits for the route: the server reads
        # nothing of the body until something asks for it.
        if length is not None and (not length.isdigit() or int(length) > ceiling):
            await _reject(send, ceiling)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > allowance.limit:
                    raise BodyTooLarge(allowance.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # Only reached when nothing inside handled it (e.g. an app without the handler).
            if not started:
                await _reject(send, allowance.limit)


async def _reject(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "detail": _too_large_message(limit),
            "code": "payload_too_large",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# Pages: scripts and styles from this site only (static/), none inline, so markup that slipped
# past escaping could run nothing and restyle nothing; no framing (clickjacking); forms post here
# only. Capability links carry their token in the query string: no Referer, ever.
PAGE_POLICY = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Everything else (JSON, files, downloads): nothing in it may load or run anything if a browser
# is made to render it.
OTHER_POLICY = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Security headers on every response (issue 12, item 16); a header the route set itself
    is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                policy = PAGE_POLICY if kind.startswith(b"text/html") else OTHER_POLICY
                for name, value in [*COMMON, (b"content-security-policy", policy)]:
                    if name not in present:
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
