"""The named guards of the state machines. Each returns None when satisfied, or the reason in
plain words; the transition tables name them, so a rule is written once and read by name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dsr.domain.context import Actor, AppealContext, CaseContext
from dsr.domain.errors import InvalidInput, NotAllowed, OriginalDecider, WorkflowError
from dsr.domain.vocabulary import Role

GuardFn = Callable[[Any, Actor], str | None]


@dataclass(frozen=True)
class Guard:
    check: GuardFn
    error: type[WorkflowError] = NotAllowed
    field: str | None = None  # for InvalidInput: the field the problem is in
    # Input guards judge the request's own inputs (e.g. who is being assigned), so
    # allowed_actions() cannot evaluate them and skips them.
    on_input: bool = False


_STAFF_ASSIGNABLE = frozenset({Role.ADMIN, Role.HANDLER})
_APPEAL_ASSIGNABLE = frozenset({Role.ADMIN, Role.REVIEWER})


def _extension_allowed(ctx: CaseContext, _actor: Actor) -> str | None:
    return None if ctx.extension_available else "this jurisdiction allows no extension"


def _not_yet_extended(ctx: CaseContext, _actor: Actor) -> str | None:
    return "the case was already extended" if ctx.extended else None


def _within_first_period(ctx: CaseContext, _actor: Actor) -> str | None:
    if ctx.original_respond_by is None:
        return "the case has no original deadline"
    if ctx.today > ctx.original_respond_by:
        return "the first response period has ended"
    return None


def _identity_verified(ctx: CaseContext, _actor: Actor) -> str | None:
    return None if ctx.verified else "the requester's identity is not verified"


def _has_agent(ctx: CaseContext, _actor: Actor) -> str | None:
    return None if ctx.has_agent else "the request was not made by an agent"


def _all_tasks_closed(ctx: CaseContext, _actor: Actor) -> str | None:
    if ctx.open_tasks > 0:
        if ctx.open_tasks == 1:
            return "1 data-system task is still open"
        return f"{ctx.open_tasks} data-system tasks are still open"
    return None


def _nothing_retained(ctx: CaseContext, _actor: Actor) -> str | None:
    if ctx.retained_tasks > 0:
        systems = (
            "1 data system" if ctx.retained_tasks == 1 else f"{ctx.retained_tasks} data systems"
        )
        return (
            f"{systems} retained data under an exception, so the request can only be partially "
            "fulfilled"
        )
    return None


def _appeal_available(ctx: CaseContext, _actor: Actor) -> str | None:
    return None if ctx.appeal_available else "no appeal is available for this case"


def _within_appeal_window(ctx: CaseContext, _actor: Actor) -> str | None:
    if ctx.appeal_window_ends is None or ctx.today > ctx.appeal_window_ends:
        return "the appeal period has ended"
    return None


def _is_duplicate(ctx: CaseContext, _actor: Actor) -> str | None:
    return None if ctx.duplicate_of else "no earlier case to link it to"


def _has_assignee(ctx: CaseContext, _actor: Actor) -> str | None:
    if ctx.assignee_role not in _STAFF_ASSIGNABLE:
        return "assignee must be a staff user with role admin or handler"
    return None


def _has_reviewer(ctx: AppealContext, _actor: Actor) -> str | None:
    if ctx.assignee_role not in _APPEAL_ASSIGNABLE:
        return "assignee must be a staff user with role admin or reviewer"
    return None


def _assignee_not_original_decider(ctx: AppealContext, _actor: Actor) -> str | None:
    if ctx.original_decider_id is not None and ctx.assignee_id == ctx.original_decider_id:
        return "assignee made the original decision and may not review the appeal"
    return None


def _appeal_extension_allowed(ctx: AppealContext, _actor: Actor) -> str | None:
    return None if ctx.extension_available else "this jurisdiction allows no extension of an appeal"


def _appeal_not_yet_extended(ctx: AppealContext, _actor: Actor) -> str | None:
    return "the appeal was already extended" if ctx.extended else None


def _within_appeal_period(ctx: AppealContext, _actor: Actor) -> str | None:
    if ctx.respond_by is None or ctx.today > ctx.respond_by:
        return "the appeal's first period has ended"
    return None


def _not_original_decider(ctx: AppealContext, actor: Actor) -> str | None:
    if ctx.original_decider_id is not None and actor.id == ctx.original_decider_id:
        return "the person who made the original decision may not decide the appeal"
    return None


GUARDS: Mapping[str, Guard] = {
    "extension_allowed": Guard(_extension_allowed),
    "not_yet_extended": Guard(_not_yet_extended),
    "within_first_period": Guard(_within_first_period),
    "identity_verified": Guard(_identity_verified),
    "all_tasks_closed": Guard(_all_tasks_closed),
    "has_agent": Guard(_has_agent),
    "nothing_retained": Guard(_nothing_retained),
    "appeal_available": Guard(_appeal_available),
    "within_appeal_window": Guard(_within_appeal_window),
    "is_duplicate": Guard(_is_duplicate),
    "has_assignee": Guard(_has_assignee, InvalidInput, "assignee", on_input=True),
    "has_reviewer": Guard(_has_reviewer, InvalidInput, "assignee", on_input=True),
    "assignee_not_original_decider": Guard(
        _assignee_not_original_decider, InvalidInput, "assignee", on_input=True
    ),
    "not_original_decider": Guard(_not_original_decider, OriginalDecider),
    "appeal_extension_allowed": Guard(_appeal_extension_allowed),
    "appeal_not_yet_extended": Guard(_appeal_not_yet_extended),
    "within_appeal_period": Guard(_within_appeal_period),
}
