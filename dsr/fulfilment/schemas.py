"""The task as a data system sees it (webhook body, GET /api/v1/tasks/{id}, the pull list)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import BaseModel, Field


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
