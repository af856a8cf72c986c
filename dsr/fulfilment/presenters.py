"""Task rows -> the TASK object data systems receive (docs/architecture.md, "Fulfilment")."""

from __future__ import annotations

from dsr.cases.data_system_models import CaseTask, DataSystem
from dsr.cases.models import Case
from dsr.domain.vocabulary import Identity, RequestType
from dsr.fulfilment.schemas import SystemTaskOut, TaskSubject


def system_task(task: CaseTask, system: DataSystem, case: Case, base_url: str) -> SystemTaskOut:
    """The task with the subject's identities the system receives, and nothing else of the
    requester: no name, no free-text details."""
    receives = set(system.identities)
    subject = TaskSubject(
        email=case.email if Identity.EMAIL in receives else None,
        account_id=case.account_id if Identity.ACCOUNT_ID in receives else None,
    )
    type_object = case.type_data if case.type_data else None
    url = f"{base_url.rstrip('/')}/api/v1/tasks/{task.id}"
    return SystemTaskOut(
        id=task.id,
        case_reference=case.reference,
        request_type=case.type,
        status=task.status,
        respond_by=case.respond_by,
        subject=subject,
        correction=type_object if case.type == RequestType.CORRECTION else None,
        output_removal=type_object if case.type == RequestType.OUTPUT_REMOVAL else None,
        results_url=f"{url}/results",
        complete_url=f"{url}/complete",
    )
