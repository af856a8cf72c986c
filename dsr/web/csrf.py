"""CSRF protection for the staff console's forms and for API calls authenticated by the console's
session cookie, with fastapi-csrf-protect's signed double-submit cookie.

The raw token goes into each form (or the X-CSRF-Token header); the cookie holds it signed with the
secret key. We also keep the raw token in the (signed) session and require it to match, which
binds the token to the login: a cookie planted by a sibling site cannot pass for it. One token per
session, rotated at login and every half of the session's life, so several open tabs keep
working."""

from __future__ import annotations

import hmac
import time

from fastapi import Request, Response
from fastapi_csrf_protect.exceptions import CsrfProtectError
from fastapi_csrf_protect.flexible import CsrfProtect

from dsr.errors import Forbidden
from dsr.http import CSRF_HEADER as HEADER
from dsr.http import CSRF_HEADER_MESSAGE as HEADER_MESSAGE
from dsr.settings import Settings

COOKIE = "dsr_csrf"
FIELD = "csrf_token"
_SESSION_TOKEN = "csrf"  # noqa: S105 - a session key name, not a secret
_SESSION_ISSUED = "csrf_at"

FORM_MESSAGE = (
    "This form has expired or did not come from this console. Reload the page and try again; "
    "nothing was changed."
)


class Csrf:
    def __init__(self, settings: Settings) -> None:
        # The library keeps its configuration on the class: a class per app keeps apps (and
        # their secret keys) apart, e.g. in tests.
        class _Protect(CsrfProtect):
            pass

        self.max_age = settings.session_max_age_seconds
        config = [
            ("secret_key", settings.secret_key),
            ("cookie_key", COOKIE),
            # As the session cookie: lax, so arriving from an e-mail link keeps the token (and
            # other tabs' forms) valid; a cross-site POST still carries neither cookie.
            ("cookie_samesite", "lax"),
            ("cookie_secure", settings.base_url.startswith("https://")),
            ("httponly", True),
            ("max_age", self.max_age),
            ("header_name", HEADER),
            ("token_key", FIELD),
        ]
        _Protect.load_config(lambda: config)
        self._protect = _Protect()

    def token(self, request: Request, *, rotate: bool = False) -> str:
        """The session's token for a page being rendered; a new one when there is none, the
        cookie is gone, it is old, or `rotate` (login)."""
        session = request.session
        token = session.get(_SESSION_TOKEN)
        age = time.time() - float(session.get(_SESSION_ISSUED, 0))
        if rotate or not token or COOKIE not in request.cookies or age > self.max_age / 2:
            token, signed = self._protect.generate_csrf_tokens()
            session[_SESSION_TOKEN] = token
            session[_SESSION_ISSUED] = int(time.time())
            request.state.dsr_csrf_cookie = signed
        return str(token)

    def attach(self, request: Request, response: Response) -> None:
        """Set the cookie on the response when token() made a new token for this request."""
        signed = getattr(request.state, "dsr_csrf_cookie", None)
        if signed:
            self._protect.set_csrf_cookie(signed, response)

    def clear(self, response: Response) -> None:
        self._protect.unset_csrf_cookie(response)

    async def validate_form(self, request: Request) -> None:
        form = await request.form()  # parsed once; the library reads the cached form
        await self._validate(request, str(form.get(FIELD) or ""), FORM_MESSAGE)

    async def validate_header(self, request: Request) -> None:
        await self._validate(request, request.headers.get(HEADER, ""), HEADER_MESSAGE)

    async def _validate(self, request: Request, submitted: str, message: str) -> None:
        if not submitted:
            raise Forbidden(message, code="csrf")
        try:
            await self._protect.validate_csrf(request)
        except CsrfProtectError:
            raise Forbidden(message, code="csrf") from None
        expected = str(request.session.get(_SESSION_TOKEN, ""))
        if not expected or not hmac.compare_digest(submitted.encode(), expected.encode()):
            raise Forbidden(message, code="csrf")
