"""The access log (issue 12, item 13; README, "Access log"): one row per staff view of a case's
personal data, written in the view's own transaction, so a view that is answered is logged."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsr.db.columns import now_ts


class CaseAccess(SQLModel, table=True):
    __tablename__ = "case_access"
    # The case's log, newest first: one index range per case.
    __table_args__ = (sa.Index("ix_case_access_case", "case_id", "viewed_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="case_record.id")
    # Who: the staff user (id, and their address at the time, as the timeline names actors).
    user_id: uuid.UUID | None = Field(default=None, foreign_key="staff_user.id")
    actor: str = Field(max_length=254)
    kind: str = Field(max_length=40)  # what was seen: see dsr.cases.access_log.VIEW_KINDS
    viewed_at: datetime = now_ts()
