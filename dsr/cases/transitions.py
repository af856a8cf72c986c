"""The one way a case changes: apply a Decision of the state machine. Status, timestamps and
the case's own state change as the decision's effects say; its event goes on the hash-chained
timeline; its notices go to the outbox; training exclusions follow the outcome. All in the
caller's transaction (docs/architecture.md, "The life of a request")."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases import agents, data_systems, deadlines, effects, repository, timeline
from dsr.cases.messages import CASE_MESSAGES, Builder, NoticeInput
from dsr.cases.models import Case, CaseEvent
from dsr.domain.context import SYSTEM, Actor, CaseContext
from dsr.domain.transitions import Effect
from dsr.domain.vocabulary import FULFILLED_STATUSES, CaseAction, CaseStatus, RequestType
from dsr.domain.workflow import Decision, decide
from dsr.drp import callbacks as drp_callbacks
from dsr.fulfilment import package
from dsr.notifications.outbox import enqueue_many
from dsr.settings import Settings

# Free text goes in the event's `reason`; the assignee's e-mail is personal data: its id is kept.
_NOT_DATA = frozenset({"reason", "explanation", "text", "assignee"})
# Set in session.info while the console's check step rehearses a decision (rolled back after).
REHEARSAL = "dsr_rehearsal"
_MOVE_DEADLINES = frozenset(
    {Effect.CLOCK_PAUSED, Effect.CLOCK_RESUMED, Effect.EXTENDED, Effect.REOPENED}
)


async def apply_case_decision(
    session: AsyncSession,
    *,
    settings: Settings,
    case: Case,
    decision: Decision,
    assignee_id: uuid.UUID | None = None,
    recorded_as: Actor | None = None,
    data: Mapping[str, Any] | None = None,
    previous: CaseEvent | None = None,
    messages: Mapping[Any, Builder] = CASE_MESSAGES,
    notice_extra: Mapping[str, Any] | None = None,
) -> CaseEvent:
    """Apply `decision` (from :func:`decide` with a context that has `now`) to `case`.

    `recorded_as` names the actor on the timeline when it differs from the one the state machine
    judged (staff who confirmed identity by post open the case through the system actor);
    `data` adds facts to the event; `messages` are the builders of the decision's notices."""
    recorded = decision.event()  # what happened, when and by whom, as the state machine decided
    now, actor = recorded.at, recorded_as or decision.actor
    assert actor is not None  # decision.event() needs one
    _change(case, decision, settings, assignee_id)
    case.status = decision.to_status
    case.updated_at = now
    event_data = {k: v for k, v in decision.params.items() if k not in _NOT_DATA}
    if decision.does(Effect.ASSIGNED):
        event_data["assignee_id"] = str(assignee_id)
    event_data.update(data or {})
    event_data["respond_by"] = case.respond_by.isoformat()
    event = await timeline.append(
        session,
        case.id,
        at=now,
        actor_kind=actor.kind,
        actor_id=actor.id,
        action=recorded.action,
        from_status=recorded.from_status,
        to_status=recorded.to_status,
        reason=recorded.reason,
        data=event_data,
        previous=previous,
    )
    notice = NoticeInput(session, settings, case, decision, now, event.seq, notice_extra or {})
    for kind in decision.notices:
        built = await messages[kind](notice)
        await enqueue_many(session, [*built, *agents.copies_for_agent(case, built)])
    # A DRP request's agent hears of every change by its status callback (dsr.drp.callbacks).
    await drp_callbacks.after_change(session, settings, case, event.seq)
    await _follow_up(session, settings, case, decision, now)
    return event


async def mirror_case_decision(
    session: AsyncSession, *, settings: Settings, case: Case, decision: Decision
) -> None:
    """Apply a case decision that mirrors an appeal step (appeal_assigned, appeal_upheld,
    appeal_overturned): the case changes and its effects follow, while the timeline event and
    the notices are the appeal's (dsr.appeals.transitions)."""
    now = decision.at
    if now is None:
        raise ValueError("mirror_case_decision needs a decision whose context had `now`")
    _change(case, decision, settings, None)
    case.status = decision.to_status
    case.updated_at = now
    # No case event to key the DRP callback by: the appeal step and its moment are unique.
    step = f"{decision.action}@{now.isoformat()}"
    await drp_callbacks.after_change(session, settings, case, step)
    await _follow_up(session, settings, case, decision, now)


async def _follow_up(
    session: AsyncSession, settings: Settings, case: Case, decision: Decision, now: datetime
) -> None:
    """What a decision sets going beyond the case row: tasks, duplicates, training exclusions,
    the requester's copy of their data."""
    if decision.does(Effect.OPENED):
        await data_systems.create_for_case(session, case, now, settings=settings)
        await _link_duplicate(session, settings, case, now)
        await effects.after_opening(session, case, now)
    if decision.does(Effect.REOPENED):
        await effects.after_overturn(session, case, now)
    await effects.after_transition(session, case, decision, now)
    fulfilled = decision.to_status in FULFILLED_STATUSES
    if (
        fulfilled
        # The console's check step rehearses a decision and rolls it back: no package is built
        # (its file would outlive the rollback), the page says a download link follows.
        and not session.info.get(REHEARSAL)
        and decision.from_status not in FULFILLED_STATUSES
        and case.type == RequestType.ACCESS
    ):
        # Access is answered by the data itself: fulfilling builds the package and sends its link.
        notice = await package.build_for_case(session, settings=settings, case=case, now=now)
        await enqueue_many(session, notice)


def _change(
    case: Case, decision: Decision, settings: Settings, assignee_id: uuid.UUID | None
) -> None:
    """The case's own fields, as the decision's effects name them."""
    now = decision.at
    assert now is not None  # checked by the callers
    change = _Change(case, decision, now, settings.today(now).isoformat(), assignee_id)
    for effect in decision.effects:
        _CHANGES.get(effect, _unchanged)(change)
    if decision.effects & _MOVE_DEADLINES:
        deadlines.refresh(case)


@dataclass(frozen=True)
class _Change:
    case: Case
    decision: Decision
    now: datetime
    today: str  # ISO date in DSR_TIMEZONE, as clock stops record it
    assignee_id: uuid.UUID | None


def _verified(c: _Change) -> None:
    c.case.verified_at = c.now
    c.case.expires_at = None


def _assigned(c: _Change) -> None:
    c.case.assignee_id = c.assignee_id


def _clock_paused(c: _Change) -> None:
    c.case.clock_stops = [*c.case.clock_stops, {"requested": c.today, "received": None}]


def _clock_resumed(c: _Change) -> None:
    c.case.clock_stops = [
        {**stop, "received": stop.get("received") or c.today} for stop in c.case.clock_stops
    ]


def _extended(c: _Change) -> None:
    c.case.extended = True


def _decided(c: _Change) -> None:
    actor, p = c.decision.actor, c.decision.params
    c.case.decided_by_id = uuid.UUID(actor.id) if actor is not None and actor.id else None
    c.case.decided_at = c.now
    c.case.decision_reason_code = p.get("reason_code")
    c.case.decision_explanation = p.get("explanation")


def _closed(c: _Change) -> None:
    c.case.closed_at = c.now


def _linked(c: _Change) -> None:
    c.case.duplicate_of_id = uuid.UUID(str(c.decision.params["duplicate_of"]))


def _reopened(c: _Change) -> None:
    # The refusal is withdrawn: the request must now be done by the appeal's deadline, which
    # the appeals service set as respond_by_override before applying.
    c.case.closed_at = None
    c.case.decision_reason_code = c.case.decision_explanation = None
    c.case.decided_at = c.case.decided_by_id = None


def _unchanged(c: _Change) -> None:
    """Effects that change nothing on the case row itself (OPENED acts in _follow_up)."""


_CHANGES: Mapping[Effect, Callable[[_Change], None]] = {
    Effect.VERIFIED: _verified,
    Effect.ASSIGNED: _assigned,
    Effect.CLOCK_PAUSED: _clock_paused,
    Effect.CLOCK_RESUMED: _clock_resumed,
    Effect.EXTENDED: _extended,
    Effect.DECIDED: _decided,
    Effect.CLOSED: _closed,
    Effect.LINKED: _linked,
    Effect.REOPENED: _reopened,
}


async def _link_duplicate(
    session: AsyncSession, settings: Settings, case: Case, now: datetime
) -> None:
    """A second open request of the same type from the same verified subject is linked to the
    first and closed as a duplicate, so it is not worked twice (docs/architecture.md)."""
    first = await repository.earliest_open_duplicate(session, case)
    if first is None:
        return
    ctx = CaseContext(
        status=CaseStatus(case.status),
        today=settings.today(now),
        now=now,
        duplicate_of=str(first.id),
    )
    decision = decide(ctx, CaseAction.MARK_DUPLICATE, SYSTEM, {})
    await apply_case_decision(
        session,
        settings=settings,
        case=case,
        decision=decision,
        data={"reference": first.reference},
    )
    await timeline.record(
        session,
        first,
        at=now,
        actor_kind=SYSTEM.kind,
        actor_id=None,
        action="duplicate_linked",
        data={"duplicate": str(case.id), "reference": case.reference},
    )
