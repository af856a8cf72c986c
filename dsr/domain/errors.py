"""Errors the pure domain raises when it refuses something. Each has a stable ``code`` so callers
(the API, the console) recognise an error by its code, never by matching its message text."""

from __future__ import annotations


class WorkflowError(Exception):
    code = "workflow"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotPermitted(WorkflowError):
    """The actor's role may not do this (HTTP 403)."""

    code = "not_permitted"


class OriginalDecider(NotPermitted):
    """The person who made the refused decision may not decide its appeal (HTTP 403)."""

    code = "original_decider"


class NotAllowed(WorkflowError):
    """Not possible in the current status or state of the case (HTTP 409). `guard` names the
    guard that refused, or `status` the status that did, so the console can word it for people."""

    code = "not_allowed"

    def __init__(
        self,
        message: str,
        guard: str | None = None,
        action: str | None = None,
        status: str | None = None,
    ) -> None:
        super().__init__(message)
        self.guard = guard
        self.action = action
        self.status = status  # when the status, not a guard, refused


class InvalidInput(WorkflowError):
    """A field is missing or invalid (HTTP 422)."""

    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
