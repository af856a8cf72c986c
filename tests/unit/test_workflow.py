"""State machines (dsr.domain.workflow) and the event hash chain (dsr.domain.events).

The expectation tables below are written out by hand from the README's state machine ("Staff API
and case work", "Appeals") and docs/architecture.md; they deliberately do not read the
implementation's tables.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from dsr.domain.events import (
    GENESIS_HASH,
    CaseEvent,
    ChainedEvent,
    canonical_json,
    event_hash,
    verify_chain,
)
from dsr.domain.workflow import (
    APPEAL_ACTIONS,
    CASE_ACTIONS,
    DENIAL_REASON_CODES,
    Actor,
    AppealContext,
    AppealStatus,
    CaseContext,
    CaseStatus,
    Decision,
    InvalidInput,
    NotAllowed,
    NotPermitted,
    Role,
    WorkflowError,
    allowed_actions,
    allowed_appeal_actions,
    decide,
    decide_appeal,
)

TODAY = date(2026, 3, 10)

ACTORS: dict[str, Actor] = {
    "admin": Actor("staff", "u-admin", Role.ADMIN),
    "handler": Actor("staff", "u-handler", Role.HANDLER),
    "reviewer": Actor("staff", "u-reviewer", Role.REVIEWER),
    "auditor": Actor("staff", "u-auditor", Role.AUDITOR),
    "roleless": Actor("staff", "u-nobody", None),
    "requester": Actor("requester", None, None),
    "system": Actor("system", None, None),
}

ALL_CASE_STATUSES = [
    "pending_verification",
    "unverified",
    "open",
    "in_progress",
    "awaiting_info",
    "fulfilled",
    "partially_fulfilled",
    "denied",
    "withdrawn",
    "duplicate",
    "appealed",
    "appeal_in_review",
    "appeal_upheld",
]
ACTIVE = ("open", "in_progress", "awaiting_info")
SAME = "="  # status unchanged

# action -> (who may, {source status: target status})
CASE_EXPECTED: dict[str, tuple[set[str], dict[str, str]]] = {
    "verify": ({"requester", "system"}, {"pending_verification": "open"}),
    "expire": ({"system"}, {"pending_verification": "unverified"}),
    "assign": (
        {"admin", "handler"},
        {"open": "in_progress", "in_progress": SAME, "awaiting_info": SAME},
    ),
    "request_info": ({"admin", "handler"}, {"in_progress": "awaiting_info"}),
    "info_received": ({"admin", "handler", "requester"}, {"awaiting_info": "in_progress"}),
    "extend": ({"admin", "handler"}, {"open": SAME, "in_progress": SAME, "awaiting_info": SAME}),
    "deny": (
        {"admin", "handler"},
        {"open": "denied", "in_progress": "denied", "awaiting_info": "denied"},
    ),
    "fulfil": ({"admin", "handler"}, {"in_progress": "fulfilled"}),
    "partially_fulfil": ({"admin", "handler"}, {"in_progress": "partially_fulfilled"}),
    "withdraw": (
        {"admin", "handler", "requester"},
        {
            "pending_verification": "withdrawn",
            "open": "withdrawn",
            "in_progress": "withdrawn",
            "awaiting_info": "withdrawn",
        },
    ),
    "mark_duplicate": ({"system"}, {"open": "duplicate"}),
    "open_without_verification": ({"system"}, {"pending_verification": "open"}),
    "accept_agent_proof": ({"admin", "handler"}, {"pending_verification": "open"}),
    "confirm_identity": (
        {"admin", "handler"},
        {"open": SAME, "in_progress": SAME, "awaiting_info": SAME},
    ),
    "note": ({"admin", "handler", "reviewer"}, dict.fromkeys(ALL_CASE_STATUSES, SAME)),
    "appeal": ({"requester"}, {"denied": "appealed", "partially_fulfilled": "appealed"}),
    "appeal_assigned": ({"system"}, {"appealed": "appeal_in_review"}),
    "appeal_upheld": ({"system"}, {"appeal_in_review": "appeal_upheld"}),
    "appeal_overturned": ({"system"}, {"appeal_in_review": "in_progress"}),
}

APPEAL_EXPECTED: dict[str, tuple[set[str], dict[str, str]]] = {
    "assign": (
        {"admin", "reviewer"},
        {"appealed": "appeal_in_review", "appeal_in_review": SAME},
    ),
    "uphold": ({"admin", "reviewer"}, {"appeal_in_review": "appeal_upheld"}),
    "overturn": ({"admin", "reviewer"}, {"appeal_in_review": "overturned"}),
    "extend": ({"admin", "reviewer"}, {"appealed": SAME, "appeal_in_review": SAME}),
}

# Every field any action takes, valid; each action must pick what it needs.
FULL_PARAMS: dict[str, Any] = {
    "assignee": "someone@example.com",
    "reason": "because",
    "reason_code": "exception_applies",
    "explanation": "the explanation",
    "text": "a note",
}


def happy_ctx(status: str, **overrides: Any) -> CaseContext:
    """A case whose every guard passes, so only role and status decide."""
    fields: dict[str, Any] = {
        "status": CaseStatus(status),
        "today": TODAY,
        "verified": True,
        "extended": False,
        "extension_available": True,
        "original_respond_by": TODAY + timedelta(days=10),
        "open_tasks": 0,
        "appeal_available": True,
        "appeal_window_ends": TODAY + timedelta(days=10),
        "duplicate_of": "case-1",
        "assignee_role": Role.HANDLER,
        "decided_by": "u-admin",
        "has_agent": True,
    }
    fields.update(overrides)
    return CaseContext(**fields)


def happy_appeal_ctx(status: str, **overrides: Any) -> AppealContext:
    fields: dict[str, Any] = {
        "status": AppealStatus(status),
        "today": TODAY,
        "original_decider_id": "u-original",
        "assignee_id": "u-reviewer",
        "assignee_role": Role.REVIEWER,
        "extension_available": True,
        "extended": False,
        "respond_by": TODAY + timedelta(days=10),
    }
    fields.update(overrides)
    return AppealContext(**fields)


def _expected(
    table: dict[str, tuple[set[str], dict[str, str]]], status: str, action: str, who: str
) -> str | type[WorkflowError]:
    roles, moves = table[action]
    if who not in roles:
        return NotPermitted
    if status not in moves:
        return NotAllowed
    return status if moves[status] == SAME else moves[status]


# --- exhaustive: status x action x role ---------------------------------------------------


def test_expectation_tables_cover_every_action_and_status() -> None:
    assert set(CASE_EXPECTED) == CASE_ACTIONS
    assert set(APPEAL_EXPECTED) == APPEAL_ACTIONS
    assert {s.value for s in CaseStatus} == set(ALL_CASE_STATUSES)
    assert {s.value for s in AppealStatus} == {
        "appealed",
        "appeal_in_review",
        "appeal_upheld",
        "overturned",
    }
    assert {r.value for r in Role} == {"admin", "handler", "reviewer", "auditor"}


@pytest.mark.parametrize(
    ("status", "action", "who"),
    list(itertools.product(ALL_CASE_STATUSES, sorted(CASE_EXPECTED), sorted(ACTORS))),
)
def test_case_matrix(status: str, action: str, who: str) -> None:
    expected = _expected(CASE_EXPECTED, status, action, who)
    ctx = happy_ctx(status)
    if isinstance(expected, str):
        decision = decide(ctx, action, ACTORS[who], FULL_PARAMS)
        assert (decision.action, decision.from_status, decision.to_status) == (
            action,
            status,
            expected,
        )
    else:
        with pytest.raises(WorkflowError) as info:
            decide(ctx, action, ACTORS[who], FULL_PARAMS)
        assert type(info.value) is expected


@pytest.mark.parametrize(
    ("status", "action", "who"),
    list(
        itertools.product([s.value for s in AppealStatus], sorted(APPEAL_EXPECTED), sorted(ACTORS))
    ),
)
def test_appeal_matrix(status: str, action: str, who: str) -> None:
    expected = _expected(APPEAL_EXPECTED, status, action, who)
    ctx = happy_appeal_ctx(status)
    if isinstance(expected, str):
        decision = decide_appeal(ctx, action, ACTORS[who], FULL_PARAMS)
        assert (decision.action, decision.from_status, decision.to_status) == (
            action,
            status,
            expected,
        )
    else:
        with pytest.raises(WorkflowError) as info:
            decide_appeal(ctx, action, ACTORS[who], FULL_PARAMS)
        assert type(info.value) is expected


def test_auditor_may_do_nothing() -> None:
    for status in ALL_CASE_STATUSES:
        assert allowed_actions(happy_ctx(status), ACTORS["auditor"]) == []
    for status in AppealStatus:
        assert allowed_appeal_actions(happy_appeal_ctx(status), ACTORS["auditor"]) == []


# --- messages -----------------------------------------------------------------------------


def test_status_message_names_action_and_status() -> None:
    with pytest.raises(NotAllowed) as info:
        decide(happy_ctx("fulfilled"), "deny", ACTORS["handler"], FULL_PARAMS)
    assert info.value.message == "deny is not allowed while the case is fulfilled"
    assert str(info.value) == info.value.message


def test_role_message_names_the_roles_that_may() -> None:
    with pytest.raises(NotPermitted) as info:
        decide(happy_ctx("open"), "deny", ACTORS["reviewer"], FULL_PARAMS)
    assert info.value.message == "deny may only be done by: admin, handler"
    with pytest.raises(NotPermitted) as info:
        decide_appeal(
            happy_appeal_ctx("appeal_in_review"), "uphold", ACTORS["handler"], FULL_PARAMS
        )
    assert info.value.message == "uphold may only be done by: admin, reviewer"


def test_appeal_status_message_speaks_of_the_appeal() -> None:
    with pytest.raises(NotAllowed) as info:
        decide_appeal(happy_appeal_ctx("appealed"), "uphold", ACTORS["reviewer"], FULL_PARAMS)
    assert info.value.message == "uphold is not allowed while the appeal is appealed"


def test_messages_never_echo_input() -> None:
    secret = "jane.doe@example.com"
    cases = [
        (happy_ctx("open"), "deny", {"reason_code": secret, "explanation": "x"}),
        (happy_ctx("open"), secret, {}),
        (happy_ctx("open", assignee_role=None), "assign", {"assignee": secret}),
        (happy_ctx("open"), "deny", {"reason_code": "other", "explanation": secret * 1000}),
    ]
    for ctx, action, params in cases:
        with pytest.raises(WorkflowError) as info:
            decide(ctx, action, ACTORS["handler"], params)
        assert secret not in info.value.message


def test_unknown_roles_and_kinds_may_do_nothing() -> None:
    odd = [
        Actor("staff", "u-x", "superuser"),  # type: ignore[arg-type]
        Actor("agent", "u-y", None),  # type: ignore[arg-type]
    ]
    for actor in odd:
        for status in ALL_CASE_STATUSES:
            assert allowed_actions(happy_ctx(status), actor) == []
        with pytest.raises(NotPermitted):
            decide(happy_ctx("open"), "note", actor, {"text": "x"})


# --- order of checks ----------------------------------------------------------------------


def test_unknown_action_comes_first() -> None:
    with pytest.raises(InvalidInput) as info:
        decide(happy_ctx("fulfilled"), "teleport", ACTORS["auditor"], {})
    assert info.value.field == "action"
    with pytest.raises(InvalidInput):
        decide_appeal(happy_appeal_ctx("appealed"), "deny", ACTORS["admin"], FULL_PARAMS)


def test_role_before_status() -> None:
    with pytest.raises(NotPermitted):
        decide(happy_ctx("fulfilled"), "deny", ACTORS["auditor"], {})


def test_status_before_fields() -> None:
    with pytest.raises(NotAllowed):
        decide(happy_ctx("fulfilled"), "deny", ACTORS["handler"], {})


def test_fields_before_guards() -> None:
    with pytest.raises(InvalidInput) as info:
        decide(happy_ctx("open", extended=True), "extend", ACTORS["handler"], {})
    assert info.value.field == "reason"


def test_guards_run_in_table_order() -> None:
    ctx = happy_ctx(
        "open",
        extension_available=False,
        extended=True,
        original_respond_by=TODAY - timedelta(days=1),
    )
    with pytest.raises(NotAllowed) as info:
        decide(ctx, "extend", ACTORS["handler"], {"reason": "complex"})
    assert info.value.message == "extend is not allowed: this jurisdiction allows no extension"


# --- guards -------------------------------------------------------------------------------


EXTEND = {"reason": "many systems to search"}


@pytest.mark.parametrize("status", ACTIVE)
def test_extend_succeeds_within_first_period(status: str) -> None:
    decision = decide(
        happy_ctx(status, original_respond_by=TODAY), "extend", ACTORS["handler"], EXTEND
    )
    assert decision.to_status == status
    assert decision.params == EXTEND


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"extension_available": False},
            "extend is not allowed: this jurisdiction allows no extension",
        ),
        ({"extended": True}, "extend is not allowed: the case was already extended"),
        (
            {"original_respond_by": TODAY - timedelta(days=1)},
            "extend is not allowed: the first response period has ended",
        ),
        ({"original_respond_by": None}, "extend is not allowed: the case has no original deadline"),
    ],
)
def test_extend_guards_fail(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(NotAllowed) as info:
        decide(happy_ctx("in_progress", **overrides), "extend", ACTORS["handler"], EXTEND)
    assert info.value.message == message


@pytest.mark.parametrize("action", ["fulfil", "partially_fulfil"])
def test_fulfil_guards(action: str) -> None:
    params = {"explanation": "some data is exempt"}
    decided = decide(happy_ctx("in_progress"), action, ACTORS["admin"], params)
    assert (
        decided.to_status
        == {"fulfil": "fulfilled", "partially_fulfil": "partially_fulfilled"}[action]
    )
    with pytest.raises(NotAllowed) as info:
        decide(happy_ctx("in_progress", verified=False), action, ACTORS["admin"], params)
    assert info.value.message == (
        f"{action} is not allowed: the requester's identity is not verified"
    )
    with pytest.raises(NotAllowed) as info:
        decide(happy_ctx("in_progress", open_tasks=2), action, ACTORS["admin"], params)
    assert info.value.message == f"{action} is not allowed: 2 data-system tasks are still open"


APPEAL = {"reason": "I think the exception does not apply"}


@pytest.mark.parametrize("status", ["denied", "partially_fulfilled"])
def test_appeal_guards_succeed_on_last_day(status: str) -> None:
    ctx = happy_ctx(status, appeal_window_ends=TODAY)
    decision = decide(ctx, "appeal", ACTORS["requester"], APPEAL)
    assert decision.to_status == "appealed"
    assert decision.params == APPEAL


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"appeal_available": False},
            "appeal is not allowed: no appeal is available for this case",
        ),
        (
            {"appeal_window_ends": TODAY - timedelta(days=1)},
            "appeal is not allowed: the appeal period has ended",
        ),
        ({"appeal_window_ends": None}, "appeal is not allowed: the appeal period has ended"),
    ],
)
def test_appeal_guards_fail(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(NotAllowed) as info:
        decide(happy_ctx("denied", **overrides), "appeal", ACTORS["requester"], APPEAL)
    assert info.value.message == message


@pytest.mark.parametrize("reason", [None, "", "   ", 5])
def test_appeal_needs_a_reason(reason: Any) -> None:
    params = {} if reason is None else {"reason": reason}
    with pytest.raises(InvalidInput) as info:
        decide(happy_ctx("denied"), "appeal", ACTORS["requester"], params)
    assert info.value.field == "reason"


def test_mark_duplicate_records_the_original() -> None:
    decision = decide(
        happy_ctx("open", duplicate_of="case-7"), "mark_duplicate", ACTORS["system"], {}
    )
    assert decision.to_status == "duplicate"
    assert decision.params == {"duplicate_of": "case-7"}
    with pytest.raises(NotAllowed) as info:
        decide(happy_ctx("open", duplicate_of=None), "mark_duplicate", ACTORS["system"], {})
    assert info.value.message == "mark_duplicate is not allowed: no earlier case to link it to"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.HANDLER])
def test_assign_to_handler_or_admin(role: Role) -> None:
    decision = decide(
        happy_ctx("open", assignee_role=role),
        "assign",
        ACTORS["handler"],
        {"assignee": "  h@example.com "},
    )
    assert decision.to_status == "in_progress"
    assert decision.params == {"assignee": "h@example.com"}


@pytest.mark.parametrize("role", [None, Role.REVIEWER, Role.AUDITOR])
def test_assign_to_someone_else_is_invalid(role: Role | None) -> None:
    with pytest.raises(InvalidInput) as info:
        decide(
            happy_ctx("in_progress", assignee_role=role),
            "assign",
            ACTORS["admin"],
            {"assignee": "x@example.com"},
        )
    assert info.value.field == "assignee"
    assert "admin or handler" in info.value.message


def test_reassign_keeps_status() -> None:
    for status in ("in_progress", "awaiting_info"):
        decision = decide(happy_ctx(status), "assign", ACTORS["admin"], {"assignee": "a@x.io"})
        assert decision.to_status == status


# --- field validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "params", "field"),
    [
        ("open", "assign", {}, "assignee"),
        ("open", "assign", {"assignee": "  "}, "assignee"),
        ("in_progress", "request_info", {}, "reason"),
        ("in_progress", "request_info", {"reason": "\n\t"}, "reason"),
        ("open", "extend", {"reason": ""}, "reason"),
        ("open", "deny", {"explanation": "x"}, "reason_code"),
        ("open", "deny", {"reason_code": "because", "explanation": "x"}, "reason_code"),
        ("open", "deny", {"reason_code": "OTHER", "explanation": "x"}, "reason_code"),
        ("open", "deny", {"reason_code": ["other"], "explanation": "x"}, "reason_code"),
        ("open", "deny", {"reason_code": "other"}, "explanation"),
        ("open", "deny", {"reason_code": "other", "explanation": "   "}, "explanation"),
        ("open", "deny", {"reason_code": "other", "explanation": 42}, "explanation"),
        ("open", "deny", {"reason_code": "other", "explanation": "x" * 10_001}, "explanation"),
        ("in_progress", "partially_fulfil", {}, "explanation"),
        ("in_progress", "partially_fulfil", {"explanation": " "}, "explanation"),
        ("fulfilled", "note", {}, "text"),
        ("fulfilled", "note", {"text": ""}, "text"),
        ("open", "withdraw", {"reason": 3}, "reason"),
    ],
)
def test_invalid_input_names_the_field(
    status: str, action: str, params: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        decide(happy_ctx(status), action, ACTORS["admin"], params)
    assert info.value.field == field
    assert info.value.message.startswith(field)


@pytest.mark.parametrize("code", sorted(DENIAL_REASON_CODES))
def test_every_denial_reason_code_is_accepted(code: str) -> None:
    decision = decide(
        happy_ctx("in_progress"),
        "deny",
        ACTORS["handler"],
        {"reason_code": f" {code} ", "explanation": " Not covered. "},
    )
    assert decision == Decision(
        "deny", "in_progress", "denied", {"reason_code": code, "explanation": "Not covered."}
    )


def test_denial_reason_codes_are_the_documented_set() -> None:
    assert {
        "identity_not_verified",
        "exception_applies",
        "manifestly_unfounded_or_excessive",
        "fraudulent",
        "not_covered",
        "outside_jurisdiction",
        "other",
    } == DENIAL_REASON_CODES


def test_params_are_stripped_and_limited_to_the_actions_fields() -> None:
    decision = decide(
        happy_ctx("open"),
        "note",
        ACTORS["reviewer"],
        {"text": "  checked ID  ", "action": "note", "status": "fulfilled"},
    )
    assert decision.params == {"text": "checked ID"}
    verify = decide(happy_ctx("pending_verification"), "verify", ACTORS["requester"], FULL_PARAMS)
    assert verify.params == {}


def test_optional_reason_may_be_absent_or_blank() -> None:
    for params in ({}, {"reason": None}, {"reason": "   "}):
        decision = decide(happy_ctx("awaiting_info"), "withdraw", ACTORS["requester"], params)
        assert decision.to_status == "withdrawn"
        assert decision.params == {}
    decision = decide(happy_ctx("open"), "withdraw", ACTORS["handler"], {"reason": " by phone "})
    assert decision.params == {"reason": "by phone"}


def test_status_given_as_plain_string_is_accepted() -> None:
    ctx = replace(happy_ctx("open"), status="in_progress")  # type: ignore[arg-type]
    assert decide(ctx, "fulfil", ACTORS["handler"], {}).to_status == "fulfilled"


def test_decision_statuses_are_plain_strings() -> None:
    decision = decide(happy_ctx("open"), "deny", ACTORS["handler"], FULL_PARAMS)
    assert type(decision.from_status) is str
    assert type(decision.to_status) is str


# --- allowed_actions ----------------------------------------------------------------------


def test_allowed_actions_for_handler_in_progress() -> None:
    assert allowed_actions(happy_ctx("in_progress"), ACTORS["handler"]) == [
        "assign",
        "request_info",
        "extend",
        "deny",
        "fulfil",
        "partially_fulfil",
        "withdraw",
        "confirm_identity",
        "note",
    ]


def test_allowed_actions_evaluate_case_guards() -> None:
    ctx = happy_ctx("in_progress", open_tasks=1, extended=True)
    assert allowed_actions(ctx, ACTORS["admin"]) == [
        "assign",
        "request_info",
        "deny",
        "withdraw",
        "confirm_identity",
        "note",
    ]
    ctx = happy_ctx("open", extension_available=False)
    assert "extend" not in allowed_actions(ctx, ACTORS["handler"])


def test_allowed_actions_skip_input_guards() -> None:
    # Whom to assign is chosen later, so assign is offered before an assignee is known.
    ctx = happy_ctx("open", assignee_role=None)
    assert allowed_actions(ctx, ACTORS["handler"]) == [
        "assign",
        "extend",
        "deny",
        "withdraw",
        "confirm_identity",
        "note",
    ]


def test_accepting_an_agents_proof_needs_an_agent() -> None:
    with pytest.raises(NotAllowed):
        decide(
            happy_ctx("pending_verification", has_agent=False),
            "accept_agent_proof",
            ACTORS["handler"],
            FULL_PARAMS,
        )


def test_allowed_actions_for_other_actors() -> None:
    assert allowed_actions(happy_ctx("denied"), ACTORS["requester"]) == ["appeal"]
    late = happy_ctx("denied", appeal_window_ends=TODAY - timedelta(days=1))
    assert allowed_actions(late, ACTORS["requester"]) == []
    assert allowed_actions(happy_ctx("pending_verification"), ACTORS["requester"]) == [
        "verify",
        "withdraw",
    ]
    assert allowed_actions(happy_ctx("pending_verification"), ACTORS["system"]) == [
        "verify",
        "open_without_verification",
        "expire",
    ]
    assert allowed_actions(happy_ctx("appeal_in_review"), ACTORS["system"]) == [
        "appeal_upheld",
        "appeal_overturned",
    ]
    for status in ALL_CASE_STATUSES:
        assert allowed_actions(happy_ctx(status), ACTORS["reviewer"]) == ["note"]
        assert allowed_actions(happy_ctx(status), ACTORS["roleless"]) == []


@pytest.mark.parametrize(("status", "who"), list(itertools.product(ALL_CASE_STATUSES, ACTORS)))
def test_allowed_actions_agree_with_decide(status: str, who: str) -> None:
    ctx = happy_ctx(status)
    expected = [
        a for a in CASE_EXPECTED if isinstance(_expected(CASE_EXPECTED, status, a, who), str)
    ]
    assert sorted(allowed_actions(ctx, ACTORS[who])) == sorted(expected)


# --- the appeal machine ------------------------------------------------------------------


@pytest.mark.parametrize("action", ["uphold", "overturn"])
def test_original_decider_may_not_decide_the_appeal(action: str) -> None:
    ctx = happy_appeal_ctx("appeal_in_review", original_decider_id="u-reviewer")
    with pytest.raises(NotPermitted) as info:
        decide_appeal(ctx, action, ACTORS["reviewer"], {"explanation": "fine"})
    assert "original decision" in info.value.message
    # Anyone else with the role may.
    decision = decide_appeal(ctx, action, ACTORS["admin"], {"explanation": " fine "})
    assert decision.params == {"explanation": "fine"}


def test_original_decider_is_not_offered_the_decision() -> None:
    ctx = happy_appeal_ctx("appeal_in_review", original_decider_id="u-admin")
    # Extending is procedural (Colorado's notice of more time), not a decision on the appeal.
    assert allowed_appeal_actions(ctx, ACTORS["admin"]) == ["assign", "extend"]
    assert allowed_appeal_actions(ctx, ACTORS["reviewer"]) == [
        "assign",
        "uphold",
        "overturn",
        "extend",
    ]


def test_unknown_original_decider_does_not_block() -> None:
    ctx = happy_appeal_ctx("appeal_in_review", original_decider_id=None)
    assert decide_appeal(ctx, "uphold", ACTORS["reviewer"], {"explanation": "ok"}).to_status == (
        "appeal_upheld"
    )


@pytest.mark.parametrize("action", ["uphold", "overturn"])
def test_appeal_decision_needs_explanation(action: str) -> None:
    with pytest.raises(InvalidInput) as info:
        decide_appeal(
            happy_appeal_ctx("appeal_in_review"), action, ACTORS["reviewer"], {"explanation": "  "}
        )
    assert info.value.field == "explanation"


def test_fields_checked_before_original_decider() -> None:
    ctx = happy_appeal_ctx("appeal_in_review", original_decider_id="u-reviewer")
    with pytest.raises(InvalidInput):
        decide_appeal(ctx, "uphold", ACTORS["reviewer"], {})


@pytest.mark.parametrize("role", [Role.ADMIN, Role.REVIEWER])
def test_appeal_assign_to_reviewer_or_admin(role: Role) -> None:
    ctx = happy_appeal_ctx("appealed", assignee_role=role, assignee_id="u-other")
    decision = decide_appeal(ctx, "assign", ACTORS["reviewer"], {"assignee": " r@x.io "})
    assert (decision.to_status, decision.params) == ("appeal_in_review", {"assignee": "r@x.io"})


@pytest.mark.parametrize("role", [None, Role.HANDLER, Role.AUDITOR])
def test_appeal_assign_to_others_is_invalid(role: Role | None) -> None:
    ctx = happy_appeal_ctx("appeal_in_review", assignee_role=role)
    with pytest.raises(InvalidInput) as info:
        decide_appeal(ctx, "assign", ACTORS["admin"], {"assignee": "h@x.io"})
    assert info.value.field == "assignee"
    assert "admin or reviewer" in info.value.message


def test_appeal_may_not_be_assigned_to_the_original_decider() -> None:
    ctx = happy_appeal_ctx("appealed", original_decider_id="u-reviewer", assignee_id="u-reviewer")
    with pytest.raises(InvalidInput) as info:
        decide_appeal(ctx, "assign", ACTORS["admin"], {"assignee": "r@x.io"})
    assert info.value.field == "assignee"


def test_appeal_assign_needs_assignee() -> None:
    with pytest.raises(InvalidInput) as info:
        decide_appeal(happy_appeal_ctx("appealed"), "assign", ACTORS["reviewer"], {})
    assert info.value.field == "assignee"


def test_full_appeal_round_trip() -> None:
    """Deny -> appeal -> review -> overturn brings the case back to work."""
    handler, requester, system = ACTORS["handler"], ACTORS["requester"], ACTORS["system"]
    steps = [
        ("in_progress", "deny", handler, {"reason_code": "not_covered", "explanation": "x"}),
        ("denied", "appeal", requester, APPEAL),
        ("appealed", "appeal_assigned", system, {}),
        ("appeal_in_review", "appeal_overturned", system, {}),
    ]
    status = "in_progress"
    for expected_from, action, actor, params in steps:
        assert status == expected_from
        status = decide(happy_ctx(status), action, actor, params).to_status
    assert status == "in_progress"
    decision = decide_appeal(
        happy_appeal_ctx("appeal_in_review"),
        "overturn",
        ACTORS["reviewer"],
        {"explanation": "exception misapplied"},
    )
    assert decision.to_status == "overturned"


# --- events and the hash chain -----------------------------------------------------------

AT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def test_event_hash_formula() -> None:
    payload = {"b": 2, "a": AT, "c": {"z": None, "y": "é"}}
    expected_json = '{"a":"2026-03-10 09:30:00+00:00","b":2,"c":{"y":"\\u00e9","z":null}}'
    assert canonical_json(payload) == expected_json
    assert (
        event_hash(GENESIS_HASH, payload)
        == hashlib.sha256((GENESIS_HASH + expected_json).encode()).hexdigest()
    )
    assert GENESIS_HASH == "0" * 64
    # Key order does not matter; content does.
    assert event_hash("x", {"a": 1, "b": 2}) == event_hash("x", {"b": 2, "a": 1})
    assert event_hash("x", {"a": 1}) != event_hash("y", {"a": 1})


def _chain(n: int) -> list[tuple[dict[str, Any], str, str]]:
    out: list[tuple[dict[str, Any], str, str]] = []
    prev = GENESIS_HASH
    for i in range(n):
        link = ChainedEvent.append(prev, {"seq": i, "action": "note", "data": {"text": f"n{i}"}})
        out.append((dict(link.payload), link.prev_hash, link.hash))
        prev = link.hash
    return out


def test_intact_chain_verifies() -> None:
    assert verify_chain([]) is None
    assert verify_chain(_chain(5)) is None
    assert verify_chain(iter(_chain(3))) is None


@pytest.mark.parametrize("index", range(5))
def test_tampered_payload_is_found_at_its_index(index: int) -> None:
    chain = _chain(5)
    payload, prev, h = chain[index]
    chain[index] = ({**payload, "data": {"text": "changed"}}, prev, h)
    assert verify_chain(chain) == index


def test_rehashed_tamper_is_found_at_the_next_link() -> None:
    chain = _chain(4)
    payload, prev, _ = chain[1]
    forged = {**payload, "action": "fulfil"}
    chain[1] = (forged, prev, event_hash(prev, forged))
    assert verify_chain(chain) == 2


def test_reordered_events_are_detected() -> None:
    chain = _chain(5)
    chain[2], chain[3] = chain[3], chain[2]
    assert verify_chain(chain) == 2
    assert verify_chain(list(reversed(_chain(3)))) == 0


def test_removed_and_forged_genesis_are_detected() -> None:
    chain = _chain(4)
    del chain[1]
    assert verify_chain(chain) == 1
    assert verify_chain(_chain(4)[1:]) == 0
    payload, _, _ = _chain(1)[0]
    assert verify_chain([(payload, "f" * 64, event_hash("f" * 64, payload))]) == 0


def test_tampered_stored_hash_is_detected() -> None:
    chain = _chain(3)
    payload, prev, _ = chain[2]
    chain[2] = (payload, prev, "0" * 64)
    assert verify_chain(chain) == 2


def test_verify_a_tail_from_a_trusted_hash() -> None:
    chain = _chain(5)
    assert verify_chain(chain[2:], start=chain[1][2]) is None
    assert verify_chain(chain[2:], start=chain[0][2]) == 0


def test_case_event_from_decision_and_payload() -> None:
    decision = decide(
        happy_ctx("open"),
        "deny",
        ACTORS["handler"],
        {"reason_code": "other", "explanation": " out of scope "},
    )
    event = CaseEvent.from_decision(decision, ACTORS["handler"], AT)
    assert event == CaseEvent(
        action="deny",
        from_status="open",
        to_status="denied",
        actor_kind="staff",
        actor_id="u-handler",
        reason="out of scope",
        data={"reason_code": "other", "explanation": "out of scope"},
        at=AT,
    )
    assert event.changes_status
    payload = event.payload(case_id="c-1", seq=3)
    assert payload == {
        "subject": "case",
        "action": "deny",
        "from_status": "open",
        "to_status": "denied",
        "actor_kind": "staff",
        "actor_id": "u-handler",
        "reason": "out of scope",
        "data": {"reason_code": "other", "explanation": "out of scope"},
        "at": "2026-03-10T09:30:00+00:00",
        "case_id": "c-1",
        "seq": 3,
    }
    # The payload is plain JSON and hashes stably.
    assert event_hash(GENESIS_HASH, payload) == event_hash(GENESIS_HASH, dict(payload))


def test_case_event_reason_prefers_reason_then_explanation_then_text() -> None:
    note = decide(happy_ctx("open"), "note", ACTORS["reviewer"], {"text": "called them"})
    assert CaseEvent.from_decision(note, ACTORS["reviewer"], AT).reason == "called them"
    verify = decide(happy_ctx("pending_verification"), "verify", ACTORS["requester"], {})
    event = CaseEvent.from_decision(verify, ACTORS["requester"], AT)
    assert (event.reason, event.actor_kind, event.actor_id) == (None, "requester", None)
    extend = decide(happy_ctx("open"), "extend", ACTORS["admin"], EXTEND)
    assert not CaseEvent.from_decision(extend, ACTORS["admin"], AT).changes_status


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"extension_available": False}, "no extension of an appeal"),
        ({"extended": True}, "already extended"),
        ({"respond_by": TODAY - timedelta(days=1)}, "first period has ended"),
    ],
)
def test_appeal_extension_guards(overrides: dict[str, Any], message: str) -> None:
    ctx = happy_appeal_ctx("appeal_in_review", **overrides)
    with pytest.raises(NotAllowed) as info:
        decide_appeal(ctx, "extend", ACTORS["reviewer"], {"reason": "complex"})
    assert message in info.value.message
