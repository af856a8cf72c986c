"""What the pages offer a person, decided here rather than in handlers or templates: whether a
requester may appeal now (and if not, why), and which actions a guard, not the status, holds
back from staff on a case or an appeal (with the guard's reason). Pure: callers pass the
context, the actor and today."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from enum import StrEnum

from dsr.domain.errors import NotAllowed, NotPermitted, WorkflowError
from dsr.domain.transitions import APPEAL_TRANSITIONS, CASE_TRANSITIONS
from dsr.domain.vocabulary import APPEALABLE_STATUSES, AppealAction, AppealStatus, CaseAction
from dsr.domain.workflow import (
    Actor,
    AppealContext,
    CaseContext,
    decide,
    decide_appeal,
)


class AppealBar(StrEnum):
    """Why a requester may not appeal now."""

    NOT_REFUSED = "not_refused"  # only a refused or partly refused request can be appealed
    NOT_AVAILABLE = "not_available"  # no law grants one and no internal review is configured
    WINDOW_ENDED = "window_ended"


def appeal_bar(
    status: str, available: bool, window_ends: date | None, today: date
) -> AppealBar | None:
    """None when the requester may appeal today; else the first reason they may not."""
    if status not in APPEALABLE_STATUSES:
        return AppealBar.NOT_REFUSED
    if not available:
        return AppealBar.NOT_AVAILABLE
    if window_ends is None or today > window_ends:
        return AppealBar.WINDOW_ENDED
    return None


# Case actions whose guards (not their status) can hold them back: the case page says why.
EXPLAINED_CASE_ACTIONS = (CaseAction.EXTEND, CaseAction.FULFIL, CaseAction.PARTIALLY_FULFIL)
EXPLAINED_APPEAL_ACTIONS = (AppealAction.UPHOLD, AppealAction.OVERTURN, AppealAction.EXTEND)
# Stand-ins for the free text an action needs, so a guard is judged without the form.
_CASE_PLACEHOLDERS = {"reason": "-", "explanation": "-", "text": "-"}
_APPEAL_PLACEHOLDERS = {"reason": "-", "explanation": "-"}


def case_held_back(
    ctx: CaseContext, actor: Actor, allowed: Collection[str]
) -> dict[str, WorkflowError]:
    """For each explained action possible in this status but refused now: the guard's refusal
    (its message, and the guard's name for the console's wording)."""
    reasons: dict[str, WorkflowError] = {}
    for action in EXPLAINED_CASE_ACTIONS:
        in_status = any(
            tr.action == action and ctx.status.value in tr.sources for tr in CASE_TRANSITIONS
        )
        if action in allowed or not in_status:
            continue
        try:
            decide(ctx, action, actor, _CASE_PLACEHOLDERS)
        except NotAllowed as exc:
            reasons[action] = exc
        except WorkflowError:
            continue
    return reasons


def appeal_held_back(
    ctx: AppealContext, actor: Actor, allowed: Collection[str]
) -> dict[str, WorkflowError]:
    """Why a decision or extension cannot be made now, for a reviewer."""
    reasons: dict[str, WorkflowError] = {}
    for action in EXPLAINED_APPEAL_ACTIONS:
        if action in allowed:
            continue
        in_status = any(
            tr.action == action and ctx.status.value in tr.sources for tr in APPEAL_TRANSITIONS
        )
        if not in_status:
            if action != AppealAction.EXTEND and ctx.status == AppealStatus.APPEALED:
                reasons[action] = NotAllowed(
                    "assign the appeal first; it is decided once it is in review"
                )
            continue
        try:
            decide_appeal(ctx, action, actor, _APPEAL_PLACEHOLDERS)
        except (NotAllowed, NotPermitted) as exc:
            reasons[action] = exc
    return reasons
