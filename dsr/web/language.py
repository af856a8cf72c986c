"""Which language a public page is served in (README, "Languages"): `?lang=` when given, else
the browser's Accept-Language (Babel's negotiation), else English. A pure ASGI middleware, so the
choice is in force for everything the request renders; the console and the APIs are left alone
(English). A page may narrow it further, e.g. the form page after a submission in French."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from dsr import i18n
from dsr.i18n.catalogues import language

ENGLISH_ONLY = ("/console", "/api", "/drp", "/static", "/metrics", "/health")


def requested_language(scope: Scope) -> str:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    explicit = (query.get("lang") or [None])[0]
    accept = None
    for name, value in scope.get("headers", []):
        if name == b"accept-language":
            accept = value.decode("latin-1")
            break
    return i18n.choose(explicit=explicit, accept_language=accept)


def page_language(request: Request) -> str | None:
    """What the request itself asked for (`?lang=`, Accept-Language), or None when nothing we
    speak was asked for: then the jurisdiction's default may apply (dsr.i18n.choose)."""
    explicit = request.query_params.get("lang")
    return i18n.normalise(explicit) or i18n.negotiate(
        i18n.parse_accept_language(request.headers.get("accept-language"))
    )


class PageLanguage:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ENGLISH_ONLY):
            await self.app(scope, receive, send)
            return
        with language(requested_language(scope)):
            await self.app(scope, receive, send)
