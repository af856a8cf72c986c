"""Who acts, and what the state machine needs to know about a case or an appeal to judge an
action. The services assemble these from the database; the domain never reads it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from dsr.domain.vocabulary import AppealStatus, CaseStatus, Role


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


REQUESTER = Actor(kind="requester")
SYSTEM = Actor(kind="system")


@dataclass(frozen=True)
class CaseContext:
    status: CaseStatus
    today: date  # the controller's calendar date (DSR_TIMEZONE): guards compare deadlines to it
    verified: bool = False
    extended: bool = False
    extension_available: bool = False
    original_respond_by: date | None = None
    open_tasks: int = 0
    retained_tasks: int = 0  # tasks closed as `retained` under a legal exception
    appeal_available: bool = False
    appeal_window_ends: date | None = None
    duplicate_of: str | None = None
    assignee_role: Role | None = None
    decided_by: str | None = None  # staff id of the deny/partial decision, for the appeal
    has_agent: bool = False  # submitted by an authorized agent for the consumer
    now: datetime | None = None  # the moment the decision takes effect: its timeline event's time


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
    now: datetime | None = None
