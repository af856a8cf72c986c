"""The DsrError family: each error knows its HTTP status. One handler maps them to responses.
Messages are written for the person reading them and never carry personal data."""

from __future__ import annotations


class DsrError(Exception):
    status_code = 400
    code = "bad_request"
    keep_changes = False  # True: the request's transaction commits what it wrote before the error

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class Unauthorized(DsrError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DsrError):
    status_code = 403
    code = "forbidden"


class NotFound(DsrError):
    status_code = 404
    code = "not_found"


class InvalidLink(NotFound):
    """A wrong, used or expired capability link. The failed attempt it counted is kept."""

    keep_changes = True

    def __init__(
        self,
        message: str = (
            "This link is not valid: it may be mistyped, already used or expired. "
            "If you did not confirm your request in time, please submit it again."
        ),
    ) -> None:
        super().__init__(message)


class Conflict(DsrError):
    status_code = 409
    code = "conflict"


class InvalidInput(DsrError):
    status_code = 422
    code = "invalid"


class RateLimited(DsrError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
