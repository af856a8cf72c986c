"""Case and appeal state machines: one transition table each (dsr.domain.transitions), with
named guards (dsr.domain.guards).

Pure: no I/O, no clock (``today`` and ``now`` arrive in the context). The service assembles the
context, calls :func:`decide` / :func:`decide_appeal` and applies the returned Decision with one
function (dsr.cases.transitions, dsr.appeals.transitions), which reads from the Decision what to
change (its effects), which event to record and whom to tell (its notices).
Checks run in a fixed order so the HTTP mapping is predictable:
unknown action (422) -> role (403) -> status (409) -> fields (422) -> guards (409, or the
guard's own error). Messages name actions, statuses, fields and roles, never personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dsr.domain.context import Actor, AppealContext, CaseContext
from dsr.domain.errors import InvalidInput, NotAllowed, NotPermitted, WorkflowError
from dsr.domain.events import CaseEvent, reason_of
from dsr.domain.guards import GUARDS
from dsr.domain.transitions import APPEAL_TRANSITIONS, CASE_TRANSITIONS, Effect, Notice, Transition
from dsr.domain.vocabulary import AppealStatus, CaseStatus, DenialReason, Role

__all__ = [
    "APPEAL_ACTIONS",
    "CASE_ACTIONS",
    "DENIAL_REASON_CODES",
    "Actor",
    "AppealContext",
    "AppealStatus",
    "CaseContext",
    "CaseStatus",
    "Decision",
    "Effect",
    "InvalidInput",
    "NotAllowed",
    "NotPermitted",
    "Notice",
    "Role",
    "WorkflowError",
    "allowed_actions",
    "allowed_appeal_actions",
    "decide",
    "decide_appeal",
]

DENIAL_REASON_CODES: frozenset[str] = frozenset(DenialReason)
MAX_TEXT_LENGTH = 10_000  # backstop; the API layer sets its own (usually tighter) limits


@dataclass(frozen=True)
class Decision:
    """What the state machine decided: the status change, the cleaned inputs, and what applying
    it must do. Equality looks at the outcome (action, statuses, params) only."""

    action: str
    from_status: str
    to_status: str
    params: Mapping[str, Any]
    effects: frozenset[Effect] = field(default=frozenset(), compare=False)
    notices: tuple[Notice, ...] = field(default=(), compare=False)
    mirror: str | None = field(default=None, compare=False)  # appeals: the case's own action
    actor: Actor | None = field(default=None, compare=False)
    at: datetime | None = field(default=None, compare=False)  # the context's `now`

    def does(self, effect: Effect) -> bool:
        return effect in self.effects

    @property
    def reason(self) -> str | None:
        """The human reason a timeline shows for it."""
        return reason_of(self.params)

    def event(self, subject: str = "case") -> CaseEvent:
        """The timeline event recording this decision (needs the context's `now`)."""
        if self.actor is None or self.at is None:
            raise ValueError("a decision records an event only when its context has `now`")
        return CaseEvent.from_decision(self, self.actor, self.at, subject)


class _Machine:
    def __init__(self, subject: str, transitions: tuple[Transition, ...]) -> None:
        self.subject = subject
        self.by_action: dict[str, list[Transition]] = {}
        for tr in transitions:
            self.by_action.setdefault(tr.action, []).append(tr)
        for action, trs in self.by_action.items():
            # One action, one set of roles: the role check runs before the status is known.
            sources = [s for tr in trs for s in tr.sources]
            if (
                len({tr.roles for tr in trs}) != 1
                or len(sources) != len(set(sources))
                or not all(g in GUARDS for tr in trs for g in tr.guards)
            ):
                raise ValueError(f"inconsistent {subject} transitions for {action}")
        self.actions = frozenset(self.by_action)

    def decide(
        self, ctx: Any, status: str, action: str, actor: Actor, params: Mapping[str, Any]
    ) -> Decision:
        tr = self._transition(status, action, actor)
        clean = _normalise(tr, params)
        self._check_guards(tr, ctx, actor, include_input=True)
        clean.update({name: getattr(ctx, name) for name in tr.records})
        return Decision(
            action,
            status,
            tr.target or status,
            clean,
            effects=frozenset(tr.effects),
            notices=tr.notices,
            mirror=tr.mirror,
            actor=actor,
            at=ctx.now,
        )

    def allowed(self, ctx: Any, status: str, actor: Actor) -> list[str]:
        allowed = []
        for action in self.by_action:
            try:
                tr = self._transition(status, action, actor)
                self._check_guards(tr, ctx, actor, include_input=False)
            except WorkflowError:
                continue
            allowed.append(action)
        return allowed

    def _transition(self, status: str, action: str, actor: Actor) -> Transition:
        trs = self.by_action.get(action) if isinstance(action, str) else None
        if not trs:
            raise InvalidInput(f"action is not a known {self.subject} action", field="action")
        roles = trs[0].roles
        if actor.principal not in roles:
            raise NotPermitted(f"{action} may only be done by: {', '.join(sorted(roles))}")
        for tr in trs:
            if status in tr.sources:
                return tr
        raise NotAllowed(
            f"{action} is not allowed while the {self.subject} is {status}",
            action=action,
            status=status,
        )

    @staticmethod
    def _check_guards(tr: Transition, ctx: Any, actor: Actor, include_input: bool) -> None:
        for name in tr.guards:
            guard = GUARDS[name]
            if guard.on_input and not include_input:
                continue
            problem = guard.check(ctx, actor)
            if problem is None:
                continue
            if guard.error is NotAllowed:
                raise NotAllowed(
                    f"{tr.action} is not allowed: {problem}", guard=name, action=tr.action
                )
            if guard.error is InvalidInput:
                raise InvalidInput(problem, field=guard.field)
            raise guard.error(problem)


def _normalise(tr: Transition, params: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name in (*tr.required, *tr.optional):
        value = params.get(name)
        if value is None:
            if name in tr.required:
                raise InvalidInput(f"{name} is required", field=name)
            continue
        if not isinstance(value, str):
            raise InvalidInput(f"{name} must be text", field=name)
        value = value.strip()
        if not value:
            if name in tr.required:
                raise InvalidInput(f"{name} must not be blank", field=name)
            continue
        if len(value) > MAX_TEXT_LENGTH:
            raise InvalidInput(f"{name} is longer than {MAX_TEXT_LENGTH} characters", field=name)
        clean[name] = value
    code = clean.get("reason_code")
    if code is not None and code not in DENIAL_REASON_CODES:
        raise InvalidInput(
            "reason_code must be one of: " + ", ".join(sorted(DENIAL_REASON_CODES)),
            field="reason_code",
        )
    return clean


_CASES = _Machine("case", CASE_TRANSITIONS)
_APPEALS = _Machine("appeal", APPEAL_TRANSITIONS)
CASE_ACTIONS: frozenset[str] = _CASES.actions
APPEAL_ACTIONS: frozenset[str] = _APPEALS.actions


def decide(ctx: CaseContext, action: str, actor: Actor, params: Mapping[str, Any]) -> Decision:
    """Judge one case action. Raises NotPermitted, NotAllowed or InvalidInput."""
    return _CASES.decide(ctx, CaseStatus(ctx.status).value, action, actor, params)


def decide_appeal(
    ctx: AppealContext, action: str, actor: Actor, params: Mapping[str, Any]
) -> Decision:
    """Judge one appeal action. Raises NotPermitted, NotAllowed or InvalidInput."""
    return _APPEALS.decide(ctx, AppealStatus(ctx.status).value, action, actor, params)


def allowed_actions(ctx: CaseContext, actor: Actor) -> list[str]:
    """Case actions this actor could take now (role, status and case-state guards pass).

    Guards on the request's own inputs (who is assigned, required fields) are not judged.
    """
    return _CASES.allowed(ctx, CaseStatus(ctx.status).value, actor)


def allowed_appeal_actions(ctx: AppealContext, actor: Actor) -> list[str]:
    return _APPEALS.allowed(ctx, AppealStatus(ctx.status).value, actor)
