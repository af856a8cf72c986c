"""Imports every table module so that metadata is complete (Alembic, tests)."""

from dsr.appeals.models import Appeal
from dsr.auth.models import ApiToken, LoginThrottle, StaffSession, StaffUser
from dsr.cases.access_models import CaseAccess
from dsr.cases.data_system_models import CaseTask, DataSystem
from dsr.cases.models import Case, CaseEvent, CaseToken
from dsr.cases.proof_models import AgentProof
from dsr.consent.models import (
    ConsentRecord,
    Exclusion,
    OptOut,
    OutputSuppression,
    TrainingChange,
)
from dsr.db.base import metadata
from dsr.drp.models import DrpAgent, DrpRequest, DrpToken
from dsr.fulfilment.models import AccessPackage, AccessPackageChunk, TaskLink, TaskResult
from dsr.notifications.models import OutboxMessage
from dsr.reports.models import ReportExport

__all__ = [
    "AccessPackage",
    "AccessPackageChunk",
    "AgentProof",
    "ApiToken",
    "Appeal",
    "Case",
    "CaseAccess",
    "CaseEvent",
    "CaseTask",
    "CaseToken",
    "ConsentRecord",
    "DataSystem",
    "DrpAgent",
    "DrpRequest",
    "DrpToken",
    "Exclusion",
    "LoginThrottle",
    "OptOut",
    "OutboxMessage",
    "OutputSuppression",
    "ReportExport",
    "StaffSession",
    "StaffUser",
    "TaskLink",
    "TaskResult",
    "TrainingChange",
    "metadata",
]
