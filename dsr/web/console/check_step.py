"""The check step before a decision that e-mails a requester (issue 14): the decision is
rehearsed in a savepoint, the e-mails it queued are read and rendered from the very templates
the requester will receive, and the savepoint is rolled back, so the handler sees what will be
sent before anything is. The confirm form carries the version the rehearsal saw: a case changed
in between is refused with 409 and nothing is sent."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, NoReturn

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth.principal import Principal
from dsr.cases.transitions import REHEARSAL
from dsr.errors import STALE, Conflict
from dsr.notifications import outbox
from dsr.notifications.render import preview
from dsr.settings import Settings
from dsr.web.console.render import page

# Decisions that e-mail the requester: the console shows what will be sent first.
CASE_ACTIONS = frozenset({"request_info", "extend", "fulfil", "partially_fulfil", "deny"})
APPEAL_ACTIONS = frozenset({"uphold", "overturn", "extend"})

# What the handler is about to do: (one case, several cases).
CASE_DOING: dict[str, tuple[str, str]] = {
    "deny": ("refuse this request", "refuse {n} requests"),
    "fulfil": ("close this request as fulfilled", "close {n} requests as fulfilled"),
    "partially_fulfil": ("close this request as partially fulfilled", ""),
    "extend": ("extend this request's deadline", ""),
    "request_info": ("ask the requester for more information", ""),
}
APPEAL_DOING: dict[str, str] = {
    "uphold": "uphold the refusal (the appeal fails)",
    "overturn": "overturn the refusal (the request is worked on again)",
    "extend": "extend the appeal's deadline",
}

CHANGED_SINCE_CHECK = (
    "This {noun} was changed by someone else after you checked the notice, so nothing was done "
    "and no e-mail was sent. Reload the {noun} to see what changed, then check again."
)

# What a requester (or their agent) receives; staff e-mails are not part of the check.
_REQUESTER_KINDS = frozenset(
    {
        "acknowledgement",
        "info_needed",
        "extension",
        "decision",
        "appeal_received",
        "appeal_outcome",
        "package_ready",
        "agent_notice",
    }
)
_WAKE = "outbox_enqueued"  # the session flag that wakes the dispatcher after commit (dsr.deps)


@dataclass(frozen=True)
class Outgoing:
    """One e-mail a decision will send, as its recipient will read it (plain-text part)."""

    recipient: str
    to_agent: bool
    subject: str
    body: str


class Rehearsed(Exception):  # not an error: how a rehearsal leaves its savepoint
    def __init__(self, outgoing: list[Outgoing]) -> None:
        super().__init__("rehearsed")
        self.outgoing = outgoing


async def rehearse(
    session: AsyncSession,
    settings: Settings,
    case_id: uuid.UUID,
    run: Callable[[], Awaitable[Any]],
) -> NoReturn:
    """Run `run` in a savepoint and raise Rehearsed with the requester e-mails it queued on
    `case_id`; leaving the savepoint by that exception rolls everything back. A refusal raises
    as `run` raises it."""
    woke = session.info.get(_WAKE)
    session.info[REHEARSAL] = True
    try:
        async with session.begin_nested():
            before = await outbox.queued_ids(session, case_id)
            await run()
            await session.flush()
            rows = await outbox.queued_since(session, case_id, before)
            raise Rehearsed(_outgoing(settings, rows))
    finally:
        session.info.pop(REHEARSAL, None)
        if woke is None:
            session.info.pop(_WAKE, None)
        else:
            session.info[_WAKE] = woke


def _outgoing(settings: Settings, rows: Iterable[Any]) -> list[Outgoing]:
    out = []
    for kind, recipient, context in rows:
        if kind not in _REQUESTER_KINDS:
            continue
        subject, body = preview(kind, dict(context), settings)
        out.append(Outgoing(recipient, kind == "agent_notice", subject, body))
    return out


def changed_since_check(noun: str) -> Callable[[Exception], tuple[int, str] | None]:
    """Words a stale confirmation: the check step showed an older version of the record."""

    def explain(exc: Exception) -> tuple[int, str] | None:
        if isinstance(exc, Conflict) and exc.code == STALE:
            return 409, CHANGED_SINCE_CHECK.format(noun=noun)
        return None

    return explain


def people(outgoing: Iterable[Outgoing]) -> str:
    n = len({o.recipient.lower() for o in outgoing})
    return "1 person" if n == 1 else f"{n} people"


def hidden_fields(values: dict[str, str], names: Iterable[str]) -> list[tuple[str, str]]:
    return [(name, values[name]) for name in names if values.get(name)]


def check_page(
    request: Request,
    principal: Principal,
    *,
    summary: str,
    groups: list[dict[str, Any]],
    fields: list[tuple[str, str]],
    post_to: str,
    button: str,
    cancel: str,
    danger: bool,
    nav: str = "queue",
    left_out: list[dict[str, Any]] | None = None,
    package_follows: bool = False,
    can_confirm: bool = True,
) -> HTMLResponse:
    """The confirmation page: what will happen, each e-mail in full, and one button to do it."""
    context = {
        "nav": nav,
        "summary": summary,
        "groups": groups,
        "fields": [*fields, ("confirm", "yes")],
        "post_to": post_to,
        "button": button,
        "cancel": cancel,
        "danger": danger,
        "left_out": left_out or [],
        "package_follows": package_follows,
        "can_confirm": can_confirm,
    }
    return page(request, "check.html", context, principal)
