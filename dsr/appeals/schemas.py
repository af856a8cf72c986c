from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from dsr.cases.action_schemas import Action
from dsr.cases.schemas import Details, MediumText
from dsr.limits import Version


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(
        min_length=1, max_length=200, description="the status token from your e-mails"
    )
    reason: MediumText = Field(description="why you think the decision is wrong")


class AppealActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action = Field(description="assign, uphold, overturn or extend")
    assignee: EmailStr | None = Field(default=None, description="assign: a reviewer's e-mail")
    explanation: Details | None = Field(
        default=None, description="uphold, overturn: the decision in writing"
    )
    reason: Details | None = Field(default=None, description="extend: why more time is needed")
    expected_version: Version | None = None

    def params(self) -> dict[str, str]:
        return self.model_dump(exclude_none=True, exclude={"action", "expected_version"})


class AppealDeadlines(BaseModel):
    respond_by: date
    extended_respond_by: date | None
    extended: bool


class AppealCase(BaseModel):
    id: uuid.UUID
    reference: str
    type: str
    status: str
    jurisdiction: str
    decision_reason_code: str | None
    decision_explanation: str | None


class AppealOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    status: str
    statutory: bool
    reason: str
    received_at: datetime
    deadlines: AppealDeadlines
    assignee: str | None
    original_decider: str | None
    decided_by: str | None
    explanation: str | None
    version: int
    case: AppealCase


class AppealSummary(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    reference: str
    status: str
    jurisdiction: str
    respond_by: date
    days_left: int
    overdue: bool
    assignee: str | None


class AppealPage(BaseModel):
    items: list[AppealSummary]
    next_cursor: str | None


class PublicAppealOut(BaseModel):
    id: uuid.UUID
    status: str
    received_date: date
    respond_by: date
    explanation: str | None
