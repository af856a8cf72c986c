"""Case and appeal state machines: one transition table each, with named guards.

Pure: no I/O, no clock (``today`` arrives in the context). The service assembles the
context, calls :func:`decide` / :func:`decide_appeal` and applies the returned Decision.
Checks run in a fixed order so the HTTP mapping is predictable:
unknown action (422) -> role (403) -> status (409) -> fields (422) -> guards (409, or the
guard's own error). Messages name actions, statuses, fields and roles, never personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from dsr.domain.errors import InvalidInput, NotAllowed, NotPermitted, WorkflowError


class CaseStatus(StrEnum):
    PENDING_VERIFICATION = "pending_verification"
    UNVERIFIED = "unverified"
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    AWAITING_INFO = "awaiting_info"
    FULFILLED = "fulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"
    DUPLICATE = "duplicate"
    APPEALED = "appealed"
    APPEAL_IN_REVIEW = "appeal_in_review"
    APPEAL_UPHELD = "appeal_upheld"


class AppealStatus(StrEnum):
    APPEALED = "appealed"
    APPEAL_IN_REVIEW = "appeal_in_review"
    APPEAL_UPHELD = "appeal_upheld"
    OVERTURNED = "overturned"


class Role(StrEnum):
    ADMIN = "admin"
    HANDLER = "handler"
    REVIEWER = "reviewer"
    AUDITOR = "auditor"


S = CaseStatus
TERMINAL_STATUSES: frozenset[CaseStatus] = frozenset(
    {S.UNVERIFIED, S.FULFILLED, S.WITHDRAWN, S.DUPLICATE, S.APPEAL_UPHELD}
)
# A decided case can still be appealed, so it is not terminal until the window closes.
DECIDED_STATUSES: frozenset[CaseStatus] = frozenset({S.DENIED, S.PARTIALLY_FULFILLED})
ACTIVE_STATUSES: frozenset[CaseStatus] = frozenset({S.OPEN, S.IN_PROGRESS, S.AWAITING_INFO})

DENIAL_REASON_CODES: frozenset[str] = frozenset(
    {
        "identity_not_verified",
        "exception_applies",
        "manifestly_unfounded_or_excessive",
        "not_covered",
        "outside_jurisdiction",
        "other",
    }
)
MAX_TEXT_LENGTH = 10_000  # backstop; the API layer sets its own (usually tighter) limits


@dataclass(frozen=True)
class Actor:
    kind: Literal["staff", "requester", "system"]
    id: str | None = None
    role: Role | None = None

    @property
    def principal(self) -> str | None:
        """What the tables' ``roles`` are matched against: a staff role, or the actor kind."""
        if self.kind != "staff":
            return self.kind
        try:
            return Role(self.role).value if self.role is not None else None
        except ValueError:  # an unknown role may do nothing
            return None


@dataclass(frozen=True)
class CaseContext:
    status: CaseStatus
    today: date
    verified: bool = False
    extended: bool = False
    extension_available: bool = False
    original_respond_by: date | None = None
    open_tasks: int = 0
    appeal_available: bool = False
    appeal_window_ends: date | None = None
    duplicate_of: str | None = None
    assignee_role: Role | None = None
    decided_by: str | None = None  # staff id of the deny/partial decision, for the appeal


@dataclass(frozen=True)
class AppealContext:
    status: AppealStatus
    today: date
    original_decider_id: str | None = None
    assignee_id: str | None = None  # resolved from params["assignee"] by the service
    assignee_role: Role | None = None
    # Colorado lets the controller extend the appeal period (C.R.S. 6-1-1306(3) [U]):
    extension_available: bool = False
    extended: bool = False
    respond_by: date | None = None


@dataclass(frozen=True)
class Decision:
    action: str
    from_status: str
    to_status: str
    params: Mapping[str, Any]


GuardFn = Callable[[Any, Actor], str | None]


@dataclass(frozen=True)
class Guard:
    check: GuardFn
    error: type[WorkflowError] = NotAllowed
    field: str | None = None  # for InvalidInput: the field the problem is in
    # Input guards judge the request's own inputs (e.g. who is being assigned), so
    # allowed_actions() cannot evaluate them and skips them.
    on_input: bool = False


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str | None  # None: status unchanged
    roles: frozenset[str]
    guards: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # non-blank text fields
    optional: tuple[str, ...] = ()  # text fields that may be absent
    records: tuple[str, ...] = ()  # context facts copied into Decision.params for the event


def _t(
    action: str,
    sources: Any,
    target: str | None,
    roles: str,
    guards: str = "",
    req: str = "",
    opt: str = "",
    records: str = "",
) -> Transition:
    # Space-separated names keep one transition per line; plain strings (not enums) make
    # Decisions serialise and compare simply.
    return Transition(
        action,
        frozenset(str(s) for s in sources),
        None if target is None else str(target),
        frozenset(roles.split()),
        tuple(guards.split()),
        tuple(req.split()),
        tuple(opt.split()),
        tuple(records.split()),
    )


# --- guards: each returns None when satisfied, or a plain-words reason -----------------

_STAFF_ASSIGNABLE = frozenset({Role.ADMIN, Role.HANDLER})
_APPEAL_ASSIGNABLE = frozenset({Role.ADMIN, Role.REVIEWER})


def _extension_allowed(ctx: CaseContext, actor: Actor) -> str | None:
    return None if ctx.extension_available else "this jurisdiction allows no extension"


def _not_yet_extended(ctx: CaseContext, actor: Actor) -> str | None:
    return "the case was already extended" if ctx.extended else None


def _within_first_period(ctx: CaseContext, actor: Actor) -> str | None:
    if ctx.original_respond_by is None:
        return "the case has no original deadline"
    if ctx.today > ctx.original_respond_by:
        return "the first response period has ended"
    return None


def _identity_verified(ctx: CaseContext, actor: Actor) -> str | None:
    return None if ctx.verified else "the requester's identity is not verified"


def _all_tasks_closed(ctx: CaseContext, actor: Actor) -> str | None:
    if ctx.open_tasks > 0:
        return f"{ctx.open_tasks} data-system task(s) are still open"
    return None


def _appeal_available(ctx: CaseContext, actor: Actor) -> str | None:
    return None if ctx.appeal_available else "no appeal is available for this case"


def _within_appeal_window(ctx: CaseContext, actor: Actor) -> str | None:
    if ctx.appeal_window_ends is None or ctx.today > ctx.appeal_window_ends:
        return "the appeal period has ended"
    return None


def _is_duplicate(ctx: CaseContext, actor: Actor) -> str | None:
    return None if ctx.duplicate_of else "no earlier case to link it to"


def _has_assignee(ctx: CaseContext, actor: Actor) -> str | None:
    if ctx.assignee_role not in _STAFF_ASSIGNABLE:
        return "assignee must be a staff user with role admin or handler"
    return None


def _has_reviewer(ctx: AppealContext, actor: Actor) -> str | None:
    if ctx.assignee_role not in _APPEAL_ASSIGNABLE:
        return "assignee must be a staff user with role admin or reviewer"
    return None


def _assignee_not_original_decider(ctx: AppealContext, actor: Actor) -> str | None:
    if ctx.original_decider_id is not None and ctx.assignee_id == ctx.original_decider_id:
        return "assignee made the original decision and may not review the appeal"
    return None


def _appeal_extension_allowed(ctx: AppealContext, actor: Actor) -> str | None:
    return None if ctx.extension_available else "this jurisdiction allows no extension of an appeal"


def _appeal_not_yet_extended(ctx: AppealContext, actor: Actor) -> str | None:
    return "the appeal was already extended" if ctx.extended else None


def _within_appeal_period(ctx: AppealContext, actor: Actor) -> str | None:
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
    "appeal_available": Guard(_appeal_available),
    "within_appeal_window": Guard(_within_appeal_window),
    "is_duplicate": Guard(_is_duplicate),
    "has_assignee": Guard(_has_assignee, InvalidInput, "assignee", on_input=True),
    "has_reviewer": Guard(_has_reviewer, InvalidInput, "assignee", on_input=True),
    "assignee_not_original_decider": Guard(
        _assignee_not_original_decider, InvalidInput, "assignee", on_input=True
    ),
    "not_original_decider": Guard(_not_original_decider, NotPermitted),
    "appeal_extension_allowed": Guard(_appeal_extension_allowed),
    "appeal_not_yet_extended": Guard(_appeal_not_yet_extended),
    "within_appeal_period": Guard(_within_appeal_period),
}

# --- tables ------------------------------------------------------------------------------

_ALL = frozenset(S)
_ACTIVE = ACTIVE_STATUSES
_STAFF = "admin handler"
_STAFF_OR_REQUESTER = "admin handler requester"
_FULFIL = "identity_verified all_tasks_closed"
_EXTEND = "extension_allowed not_yet_extended within_first_period"
_APPEAL = "appeal_available within_appeal_window"

CASE_TRANSITIONS: tuple[Transition, ...] = (
    _t("verify", {S.PENDING_VERIFICATION}, S.OPEN, "requester system"),
    _t("expire", {S.PENDING_VERIFICATION}, S.UNVERIFIED, "system"),
    _t("assign", {S.OPEN}, S.IN_PROGRESS, _STAFF, "has_assignee", req="assignee"),
    _t("assign", {S.IN_PROGRESS, S.AWAITING_INFO}, None, _STAFF, "has_assignee", req="assignee"),
    _t("request_info", {S.IN_PROGRESS}, S.AWAITING_INFO, _STAFF, req="reason"),
    _t("info_received", {S.AWAITING_INFO}, S.IN_PROGRESS, _STAFF_OR_REQUESTER, opt="reason"),
    _t("extend", _ACTIVE, None, _STAFF, _EXTEND, req="reason"),
    _t("deny", _ACTIVE, S.DENIED, _STAFF, req="reason_code explanation"),
    _t("fulfil", {S.IN_PROGRESS}, S.FULFILLED, _STAFF, _FULFIL, opt="explanation"),
    _t(
        "partially_fulfil",
        {S.IN_PROGRESS},
        S.PARTIALLY_FULFILLED,
        _STAFF,
        _FULFIL,
        req="explanation",
    ),
    _t(
        "withdraw",
        {S.PENDING_VERIFICATION, *_ACTIVE},
        S.WITHDRAWN,
        _STAFF_OR_REQUESTER,
        opt="reason",
    ),
    _t("mark_duplicate", {S.OPEN}, S.DUPLICATE, "system", "is_duplicate", records="duplicate_of"),
    _t("note", _ALL, None, "admin handler reviewer", req="text"),
    _t("appeal", DECIDED_STATUSES, S.APPEALED, "requester", _APPEAL, req="reason"),
    # The case mirrors its appeal; the appeals service applies these as the system.
    _t("appeal_assigned", {S.APPEALED}, S.APPEAL_IN_REVIEW, "system"),
    _t("appeal_upheld", {S.APPEAL_IN_REVIEW}, S.APPEAL_UPHELD, "system"),
    _t("appeal_overturned", {S.APPEAL_IN_REVIEW}, S.IN_PROGRESS, "system"),
)

A = AppealStatus
_REVIEW = "admin reviewer"
_ROUTE = "has_reviewer assignee_not_original_decider"
_DECIDER = "not_original_decider"
APPEAL_TRANSITIONS: tuple[Transition, ...] = (
    _t("assign", {A.APPEALED}, A.APPEAL_IN_REVIEW, _REVIEW, _ROUTE, req="assignee"),
    _t("assign", {A.APPEAL_IN_REVIEW}, None, _REVIEW, _ROUTE, req="assignee"),
    _t("uphold", {A.APPEAL_IN_REVIEW}, A.APPEAL_UPHELD, _REVIEW, _DECIDER, req="explanation"),
    _t("overturn", {A.APPEAL_IN_REVIEW}, A.OVERTURNED, _REVIEW, _DECIDER, req="explanation"),
    _t(
        "extend",
        {A.APPEALED, A.APPEAL_IN_REVIEW},
        None,
        _REVIEW,
        "appeal_extension_allowed appeal_not_yet_extended within_appeal_period",
        req="reason",
    ),
)


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
        return Decision(action, status, tr.target or status, clean)

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
        raise NotAllowed(f"{action} is not allowed while the {self.subject} is {status}")

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
                raise NotAllowed(f"{tr.action} is not allowed: {problem}")
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
