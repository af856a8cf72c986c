"""The task as a data system sees it (webhook body, GET /api/v1/tasks/{id}, the pull list)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dsr.cases.schemas import Details
from dsr.domain.vocabulary import TaskStatus
from dsr.limits import Count


class TaskSubject(BaseModel):
    """Only the identities the system is registered to receive."""

    email: str | None = None
    account_id: str | None = None


class SystemTaskOut(BaseModel):
    id: uuid.UUID
    case_reference: str
    request_type: str
    status: str = Field(description="open, done, not_found, retained or waived")
    respond_by: date
    subject: TaskSubject
    correction: dict[str, Any] | None = None
    output_removal: dict[str, Any] | None = None
    results_url: str
    complete_url: str


class TaskPage(BaseModel):
    items: list[SystemTaskOut]
    next_cursor: str | None = None


class TaskResultOut(BaseModel):
    """One stored result: what was received, never its contents."""

    id: uuid.UUID
    kind: str = Field(description="json or file")
    filename: str | None
    content_type: str
    size: int
    sha256: str


class TaskResultsOut(BaseModel):
    results: list[TaskResultOut]


class TaskCompleteIn(BaseModel):
    """POST /api/v1/tasks/{id}/complete: what the system did."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal[TaskStatus.DONE, TaskStatus.NOT_FOUND, TaskStatus.RETAINED]
    records_affected: Count | None = None
    note: Details | None = Field(
        default=None, description="required for retained: the exception that applies"
    )

    @model_validator(mode="after")
    def _retained_names_the_exception(self) -> TaskCompleteIn:
        if self.outcome == TaskStatus.RETAINED and not (self.note and self.note.strip()):
            raise ValueError("note: retained needs the exception that applies")
        return self
