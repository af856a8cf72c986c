"""One way for console action forms (on cases and on appeals) to be checked and run, so that a
refusal always leaves the record unchanged and the form opens again with what was typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.domain.errors import WorkflowError
from dsr.errors import STALE, Conflict, DsrError, NotFound, workflow_status
from dsr.web.console import labels
from dsr.web.forms import FormModel

M = TypeVar("M", bound=BaseModel)


class ActionForm(FormModel):
    """The fields of every action form on the case and appeal pages; an action uses some."""

    action: str = ""
    expected_version: str = ""  # the version the page showed: a stale form is refused
    assignee: str = ""
    reason: str = ""
    reason_code: str = ""
    explanation: str = ""
    text: str = ""
    confirm: str = ""  # "yes" from the check step's page: the handler saw what will be sent


STALE_MESSAGE = (
    "This {noun} was changed by someone else since you opened it, so your change was not made. "
    "Reload the page to see the latest version, then try again."
)


def refusal(exc: Exception, noun: str) -> tuple[int, str]:
    """The status and the message shown for an action the service refused."""
    if isinstance(exc, Conflict) and exc.code == STALE:
        return 409, STALE_MESSAGE.format(noun=noun)
    if isinstance(exc, StaleDataError | IntegrityError):
        return 409, STALE_MESSAGE.format(noun=noun)
    if isinstance(exc, WorkflowError):
        return workflow_status(exc), labels.refusal(exc, noun) + "."
    if isinstance(exc, DsrError):
        return exc.status_code, exc.message[:1].upper() + exc.message[1:]
    raise exc


def _version(raw: object) -> int | None:
    try:
        return int(str(raw))
    except ValueError:
        return None


async def run_form_action(
    session: AsyncSession,
    submitted: ActionForm,
    params: tuple[str, ...],
    schema: type[M],
    run: Callable[[M, int], Awaitable[Any]],
    *,
    noun: str,
    explain: Callable[[Exception], tuple[int, str] | None] = lambda _exc: None,
) -> dict[str, Any] | None:
    """Validate the form against `schema` and call `run(body, expected_version)` in a savepoint.
    Returns None when the action was taken, or the error to show: status, message and what was
    typed. `explain` may word a refusal better than the service's message does."""
    form = submitted.model_dump()
    action = str(form.get("action") or "")
    expected = _version(form.get("expected_version"))
    error: dict[str, Any] | None = None
    if expected is None:
        error = {"status": 422, "message": f"The form has no {noun} version. Reload the page."}
    else:
        data = {k: str(form[k]) for k in params if form.get(k) not in (None, "")}
        try:
            body = schema.model_validate({"action": action, **data})
        except ValidationError as exc:
            field = ".".join(str(p) for p in exc.errors()[0]["loc"])
            error = {"status": 422, "message": f"Check the field '{field}': it is not valid."}
        else:
            try:
                async with session.begin_nested():
                    await run(body, expected)
            except (DsrError, WorkflowError, StaleDataError, IntegrityError) as exc:
                if isinstance(exc, NotFound):
                    raise
                status, message = explain(exc) or refusal(exc, noun)
                error = {"status": status, "message": message}
    if error is not None:
        error["code"] = action
        error["typed"] = {k: str(form.get(k) or "")[:10_000] for k in params}
    return error
