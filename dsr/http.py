"""Small pieces of HTTP shared by the JSON routers, the pages and the request dependencies.

It sits below both the API and the web layer (it imports neither), so `deps.py` and the routers
can use it without reaching into `dsr.web` or into another router module."""

from __future__ import annotations

from typing import Protocol

from starlette.requests import Request

from dsr.errors import Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_HEADER_MESSAGE = (
    "requests authenticated by the console session must carry the X-CSRF-Token header; "
    "programs should use a bearer token instead"
)


def client_ip(request: Request) -> str:
    """The address rate limits count by."""
    return request.client.host if request.client else "unknown"


class HeaderCheck(Protocol):
    """What the console installs as `app.state.csrf` (dsr.web.csrf.Csrf): the API side only
    needs its header check, so it depends on this shape rather than on the web layer."""

    async def validate_header(self, request: Request) -> None: ...


async def require_csrf_header(request: Request) -> None:
    """For API calls authenticated by the session cookie: unsafe methods need the header. Without
    a console (no `app.state.csrf`) no such call can be valid."""
    if request.method in SAFE_METHODS:
        return
    csrf: HeaderCheck | None = getattr(request.app.state, "csrf", None)
    if csrf is None:
        raise Forbidden(CSRF_HEADER_MESSAGE, code="csrf")
    await csrf.validate_header(request)
