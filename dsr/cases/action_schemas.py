from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from dsr.cases.schemas import Details, Line
from dsr.domain.vocabulary import RequestType

Action = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]


class ActionIn(BaseModel):
    """One state-machine action. Which fields an action needs is the state machine's business:
    a missing one is a 422 naming it."""

    model_config = ConfigDict(extra="forbid")

    action: Action
    assignee: EmailStr | None = Field(default=None, description="assign: a staff user's e-mail")
    reason: Details | None = Field(default=None, description="request_info, extend, withdraw")
    reason_code: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description="deny: identity_not_verified, exception_applies, …"
    )
    explanation: Details | None = Field(
        default=None, description="deny, partially_fulfil, appeal decisions"
    )
    text: Details | None = Field(default=None, description="note")
    expected_version: int | None = Field(
        default=None, description="the case version you saw; 409 if it changed since"
    )

    def params(self) -> dict[str, str]:
        return self.model_dump(exclude_none=True, exclude={"action", "expected_version"})


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)
    action: Literal["assign", "deny"]
    assignee: EmailStr | None = None
    reason_code: Annotated[str, StringConstraints(max_length=40)] | None = None
    explanation: Details | None = None


class BulkItem(BaseModel):
    case_id: uuid.UUID
    ok: bool
    status: int
    detail: str | None = None
    new_status: str | None = None


class BulkOut(BaseModel):
    results: list[BulkItem]
    succeeded: int
    failed: int


class TaskCloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["done", "waived"]
    reason: Details | None = Field(default=None, description="required to waive")


class OwnerTaskCloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Details | None = None


class DataSystemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Line
    owner_email: EmailStr
    categories: list[Line] = Field(default_factory=list, max_length=50)
    request_types: list[RequestType] = Field(min_length=1)


class DataSystemOut(BaseModel):
    id: uuid.UUID
    name: str
    owner_email: str
    categories: list[str]
    request_types: list[str]
    active: bool


class TaskOut(BaseModel):
    id: uuid.UUID
    system: str
    status: str
    note: str | None
    closed_by: str | None
