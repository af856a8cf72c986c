"""Domain events and the hash chain that makes their history tamper-evident.

Each stored event keeps ``prev_hash`` (the hash of the event before it, or GENESIS_HASH)
and ``hash = sha256(prev_hash + canonical_json(payload))``. Changing, removing, inserting
or reordering any event breaks the link at that position, which verify_chain reports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the workflow builds events from its decisions
    from dsr.domain.context import Actor
    from dsr.domain.workflow import Decision

GENESIS_HASH = "0" * 64


def canonical_json(payload: Mapping[str, Any]) -> str:
    """One spelling per payload: sorted keys, no spaces, non-JSON values as str()."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(prev_hash: str, payload: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode("utf-8")).hexdigest()


def verify_chain(
    events: Iterable[tuple[Mapping[str, Any], str, str]], start: str = GENESIS_HASH
) -> int | None:
    """Check ``(payload, prev_hash, hash)`` triples in stored order.

    Returns the index of the first event whose link or hash is wrong, or None if the chain
    holds. ``start`` is the hash the first event must point at (GENESIS_HASH for a whole
    chain; the last trusted hash when checking a tail).
    """
    expected_prev = start
    for index, (payload, prev_hash, stored_hash) in enumerate(events):
        if prev_hash != expected_prev or event_hash(prev_hash, payload) != stored_hash:
            return index
        expected_prev = stored_hash
    return None


def reason_of(params: Mapping[str, Any]) -> str | None:
    # The human reason a timeline shows: why info was requested, the extension's reason,
    # the decision's explanation, or a note's text.
    for key in ("reason", "explanation", "text"):
        value = params.get(key)
        if isinstance(value, str) and value:
            return value
    return None


@dataclass(frozen=True)
class CaseEvent:
    """One step on a case's timeline (also used for appeals, with ``subject="appeal"``)."""

    action: str
    from_status: str
    to_status: str
    actor_kind: str
    actor_id: str | None
    reason: str | None
    data: Mapping[str, Any]
    at: datetime
    subject: str = "case"

    @classmethod
    def from_decision(
        cls, decision: Decision, actor: Actor, at: datetime, subject: str = "case"
    ) -> CaseEvent:
        """The event recording an applied workflow Decision."""
        params = decision.params
        return cls(
            action=decision.action,
            from_status=str(decision.from_status),
            to_status=str(decision.to_status),
            actor_kind=str(actor.kind),
            actor_id=actor.id,
            reason=reason_of(params),
            data=dict(params),
            at=at,
            subject=subject,
        )

    @property
    def changes_status(self) -> bool:
        return self.from_status != self.to_status

    def payload(self, **ids: Any) -> dict[str, Any]:
        """The hashed form: every field, plus identifiers the store adds (case id, seq)."""
        return {
            "subject": self.subject,
            "action": self.action,
            "from_status": self.from_status,
            "to_status": self.to_status,
            "actor_kind": self.actor_kind,
            "actor_id": self.actor_id,
            "reason": self.reason,
            "data": dict(self.data),
            "at": self.at.isoformat(),
            **ids,
        }


@dataclass(frozen=True)
class ChainedEvent:
    """A payload as stored, with its links."""

    payload: Mapping[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def append(cls, prev_hash: str, payload: Mapping[str, Any]) -> ChainedEvent:
        return cls(dict(payload), prev_hash, event_hash(prev_hash, payload))

    def as_tuple(self) -> tuple[Mapping[str, Any], str, str]:
        return (self.payload, self.prev_hash, self.hash)
