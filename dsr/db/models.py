"""Imports every table module so that metadata is complete (Alembic, tests)."""

from dsr.appeals.models import Appeal
from dsr.auth.models import ApiToken, StaffUser
from dsr.cases.data_system_models import CaseTask, DataSystem
from dsr.cases.models import Case, CaseEvent, CaseToken
from dsr.consent.models import (
    ConsentRecord,
    Exclusion,
    OptOut,
    OutputSuppression,
    TrainingChange,
)
from dsr.db.base import metadata
from dsr.fulfilment.models import AccessPackage, AccessPackageChunk, TaskLink, TaskResult
from dsr.notifications.models import OutboxMessage

__all__ = [
    "AccessPackage",
    "AccessPackageChunk",
    "ApiToken",
    "Appeal",
    "Case",
    "CaseEvent",
    "CaseTask",
    "CaseToken",
    "ConsentRecord",
    "DataSystem",
    "Exclusion",
    "OptOut",
    "OutboxMessage",
    "OutputSuppression",
    "StaffUser",
    "TaskLink",
    "TaskResult",
    "TrainingChange",
    "metadata",
]
