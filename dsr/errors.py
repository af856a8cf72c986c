"""The DsrError family: each error knows its HTTP status. One handler maps them to responses.
Messages are written for the person reading them and never carry personal data."""

from __future__ import annotations

from dsr.domain import errors as domain


class DsrError(Exception):
    status_code = 400
    code = "bad_request"
    keep_changes = False  # True: the request's transaction commits what it wrote before the error

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


# Codes finer than a class's own, for the errors callers tell apart (the console words a stale
# form differently from other conflicts; a missing case is a page's 404, a missing task a
# refusal shown on the case page).
STALE = "stale"  # a version check failed: someone else changed the record since it was read
CASE_NOT_FOUND = "case_not_found"
APPEAL_NOT_FOUND = "appeal_not_found"
TASK_NOT_FOUND = "task_not_found"
DATA_SYSTEM_NOT_FOUND = "data_system_not_found"
DATA_SYSTEM_NAME_TAKEN = "data_system_name_taken"


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


class AlreadyConfirmed(Conflict):
    """The right verification link, used again: only its holder learns this, so saying so
    reveals nothing a wrong or guessed token could (those stay InvalidLink)."""

    code = "already_confirmed"

    def __init__(
        self,
        message: str = (
            "This request is already confirmed. The e-mail we sent when you confirmed it has a "
            "link where you can follow it."
        ),
    ) -> None:
        super().__init__(message)


class InvalidInput(DsrError):
    status_code = 422
    code = "invalid"


class PayloadTooLarge(DsrError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(DsrError):
    status_code = 415
    code = "unsupported_media_type"


class RateLimited(DsrError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# Said for a lost race (a stale version, a concurrent timeline append): never a person's data.
CONCURRENT_CHANGE = "the case was changed by someone else at the same time; reload it and try again"

# The one map from the domain's refusals to HTTP: the error handlers answer with it, and bulk
# actions report it per case.
_WORKFLOW: dict[type[domain.WorkflowError], type[DsrError]] = {
    domain.NotPermitted: Forbidden,
    domain.NotAllowed: Conflict,
    domain.InvalidInput: InvalidInput,
}


def for_workflow(exc: domain.WorkflowError) -> type[DsrError]:
    """The DsrError class (status and code) a domain refusal is answered with: that of the
    nearest mapped class, so a more specific refusal (OriginalDecider) keeps its family's."""
    return next((_WORKFLOW[k] for k in type(exc).__mro__ if k in _WORKFLOW), Conflict)


def workflow_status(exc: domain.WorkflowError) -> int:
    return for_workflow(exc).status_code


def ensure_version(current: int, expected: int | None, noun: str) -> None:
    """Optimistic locking for a caller that says which version it saw: a change by someone else
    since then is a 409, never a silent overwrite."""
    if expected is not None and current != expected:
        raise Conflict(
            f"the {noun} was changed by someone else since you loaded it; reload it and try again",
            code=STALE,
        )
