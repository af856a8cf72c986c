"""What the case page shows: the request, its deadlines, tasks, notes, the timeline, and a form
for each action the state machine allows this user now (with the reason when a guard, not the
status, holds an action back)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.appeals.repository import current_for_case
from dsr.auth import repository as auth_repo
from dsr.auth.principal import Principal
from dsr.auth.roles import Role
from dsr.cases import actions, data_systems, presenters, proofs, repository, timeline
from dsr.cases.models import Case, CaseEvent
from dsr.domain.due import case_due
from dsr.domain.offers import case_held_back
from dsr.domain.vocabulary import TaskStatus
from dsr.domain.workflow import allowed_actions
from dsr.fulfilment import results
from dsr.notifications import delivery
from dsr.notifications.delivery import plain_reason
from dsr.settings import Settings
from dsr.web.console import labels, names
from dsr.web.console.session import can_handle
from dsr.web.result_views import views


@dataclass(frozen=True)
class TimelineRow:
    seq: int
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    details: list[str]


def _actor(ev: CaseEvent, emails: dict[uuid.UUID, str]) -> str:
    if ev.actor_kind == "staff" and ev.actor_id:
        try:
            return emails.get(uuid.UUID(ev.actor_id), "a former staff member")
        except ValueError:
            return ev.actor_id
    if ev.actor_kind == "service":
        return f"service token {ev.actor_id}" if ev.actor_id else "a service"
    return {"requester": "the requester", "system": "the system", "agent": "the agent"}.get(
        ev.actor_kind, ev.actor_kind
    )


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _delivery_details(data: dict[str, Any]) -> list[str]:
    """An e-mail's outcome: which message, to whom (never the address), which try, and why."""
    to = names.RECIPIENTS.get(str(data.get("to")), "")
    out = [f"{names.message_kind(data['kind'])} to {to}".strip()]
    if data.get("attempt"):
        out.append(f"attempt {data['attempt']}")
    if data.get("error"):
        out.append(f"why: {plain_reason(data['error'])}")
    return out


def _details(ev: CaseEvent, emails: dict[uuid.UUID, str]) -> list[str]:
    data = ev.data or {}
    out = []
    if ev.action in ("assign", "appeal_assign") and (who := _uuid(data.get("assignee_id"))):
        out.append(f"to {emails.get(who, 'a former staff member')}")
    if ev.action in ("appeal", "appeal_extend") and data.get("appeal_respond_by"):
        out.append(f"appeal to be decided by {data['appeal_respond_by']}")
    if ev.action in ("extend", "request_info", "info_received") and data.get("respond_by"):
        out.append(f"respond by {data['respond_by']}")
    if data.get("reason_code"):
        out.append(
            f"reason code: {labels.DENIAL_REASONS.get(data['reason_code'], data['reason_code'])}"
        )
    if data.get("system"):
        out.append(f"system: {data['system']}")
    if ev.action in ("mark_duplicate", "duplicate_linked") and data.get("reference"):
        out.append(f"case {data['reference']}")
    if ev.action.startswith("message_") and data.get("kind"):
        out.extend(_delivery_details(data))
    if ev.action == "submit" and data.get("channel"):
        out.append(f"via {labels.CHANNEL.get(data['channel'], data['channel'])}")
    return out


# Who opened a case by `verify` says what was checked: the requester only confirmed the address;
# staff recorded the request as identity-verified when entering it; the system opened it
# without a confirmation (a power of attorney).
_VERIFY_LABELS = {
    "requester": "E-mail address confirmed",
    "staff": "Identity verified by staff (request entered)",
    "system": "Opened without an e-mail confirmation",
}


def event_label(ev: CaseEvent) -> str:
    if ev.action == "verify":
        return _VERIFY_LABELS.get(ev.actor_kind, labels.event(ev.action))
    return labels.event(ev.action)


def identity_facts(events: list[CaseEvent], emails: dict[uuid.UUID, str]) -> dict[str, Any]:
    """When the requester confirmed their address, and each identity check staff recorded (on
    entering the request, or with the confirm_identity action and how they did it)."""
    confirmed = next(
        (ev.at for ev in events if ev.action == "verify" and ev.actor_kind == "requester"), None
    )
    checks = [
        {"who": _actor(ev, emails), "at": ev.at, "how": ev.reason}
        for ev in events
        if ev.action == "confirm_identity" or (ev.action == "verify" and ev.actor_kind == "staff")
    ]
    return {"email_confirmed_at": confirmed, "identity_checks": checks}


def timeline_rows(events: list[CaseEvent], emails: dict[uuid.UUID, str]) -> list[TimelineRow]:
    """The case's events as the timeline table shows them (the case and appeal pages)."""
    return [
        TimelineRow(
            seq=ev.seq,
            at=ev.at,
            actor=_actor(ev, emails),
            action=event_label(ev),
            from_status=ev.from_status,
            to_status=ev.to_status,
            reason=ev.reason,
            details=_details(ev, emails),
        )
        for ev in events
    ]


def staff_ids(case: Case, events: list[CaseEvent], task_rows: list[Any]) -> set[uuid.UUID]:
    ids = {i for i in (case.assignee_id, case.decided_by_id) if i}
    for ev in events:
        if ev.actor_kind == "staff" and (i := _uuid(ev.actor_id)):
            ids.add(i)
        if i := _uuid((ev.data or {}).get("assignee_id")):
            ids.add(i)
    for task, _ in task_rows:
        if i := _uuid(task.closed_by):
            ids.add(i)
    return ids


async def case_context(
    session: AsyncSession, settings: Settings, case: Case, principal: Principal, now: datetime
) -> dict[str, Any]:
    ctx = await actions.context_for(session, case, settings, now)
    allowed = allowed_actions(ctx, actions.actor_of(principal))
    events = await timeline.events_for(session, case.id)
    task_rows = await data_systems.tasks_for(session, case.id)
    emails = await auth_repo.emails_by_id(session, staff_ids(case, events, task_rows))
    assignee = emails.get(case.assignee_id) if case.assignee_id else None
    rows = timeline_rows(events, emails)
    duplicate_of = (
        await repository.get(session, case.duplicate_of_id) if case.duplicate_of_id else None
    )
    duplicates = [
        (_uuid(ev.data.get("duplicate")), ev.data.get("reference"))
        for ev in events
        if ev.action == "duplicate_linked"
    ]
    found = await results.results_for_tasks(session, [t.id for t, _ in task_rows])
    task_list = [
        {
            "id": t.id,
            "system": s.name,
            "integration": s.integration,
            "status": t.status,
            "status_label": labels.TASK_STATUS.get(t.status, t.status),
            "note": t.note,
            "records_affected": t.records_affected,
            "last_error": t.last_error if t.status == "open" else None,
            "closed_by": emails.get(u, t.closed_by) if (u := _uuid(t.closed_by)) else t.closed_by,
            "closed_at": t.closed_at,
            "results": views(settings, found[t.id]),
        }
        for t, s in task_rows
    ]
    problems = await delivery.problems_of_case(session, case.id)
    return {
        "nav": "queue",
        "case": case,
        # E-mails about this case that failed or are being retried (none: no banner).
        "delivery_problems_here": [
            {
                "kind": names.message_kind(m.kind),
                "failed": m.status == "failed",
                "attempts": m.attempts,
                "why": plain_reason(m.last_error),
            }
            for m in problems
        ],
        "summary": presenters.summary(case, ctx.today, assignee),
        "due": case_due(case.status, case.respond_by, ctx.today),
        "assignee": assignee,
        "decided_by": emails.get(case.decided_by_id) if case.decided_by_id else None,
        "forms": [a for a in labels.ACTIONS if a in allowed],
        "held_back": case_held_back(ctx, actions.actor_of(principal), allowed),
        "timeline": rows,
        "notes": [r for r, ev in zip(rows, events, strict=True) if ev.action == "note"],
        "tasks": task_list,
        # A kept exception: only a partial fulfilment is possible (guard nothing_retained).
        "retained": [t for t in task_list if t["status"] == TaskStatus.RETAINED],
        "task_outcomes": labels.TASK_CLOSE_CHOICES,
        "max_mb": settings.max_result_bytes // (1024 * 1024),
        "can_close_tasks": can_handle(principal) and case.closed_at is None,
        "duplicate_of": duplicate_of,
        "appeal": await current_for_case(session, case.id),
        "duplicates": [(i, ref) for i, ref in duplicates if i],
        "staff": await auth_repo.users_with_role(session, Role.ADMIN, Role.HANDLER),
        "deny_reasons": labels.DENIAL_REASONS,
        "agent_proof_accepted": any(ev.action == "accept_agent_proof" for ev in events),
        # The agent's uploads, numbered as their download names are (dsr.web.console.proofs).
        "agent_proofs": list(enumerate(await proofs.proofs_of(session, case.id), start=1)),
        **identity_facts(events, emails),
    }
