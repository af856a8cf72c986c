"""Who exported the request log, when, for which dates and whether with contact data: the log
is personal data in bulk, so each export is on record (issue 13)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlmodel import Field, SQLModel

from dsr.db.columns import now_ts


class ReportExport(SQLModel, table=True):
    __tablename__ = "report_export"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=20)  # request_log
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id")
    from_date: date
    to_date: date
    include_contact: bool = False
    at: datetime = now_ts()
