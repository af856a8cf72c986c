"""The outbox message that has the worker carry out an `sql` task (dsr.connectors.sql.runner)."""

from __future__ import annotations

from dsr.cases.data_system_models import CaseTask, DataSystem
from dsr.notifications.outbox import Message

KIND = "task_sql"  # dsr.notifications.catalogue.DELIVERY_KINDS


def run_message(task: CaseTask, system: DataSystem) -> Message:
    """Ids and names only: the failed-notifications page shows the context."""
    return Message(
        kind=KIND,
        recipient=str(system.id),
        dedup_key=f"{KIND}:{task.id}",
        case_id=task.case_id,
        context={"task_id": str(task.id), "system": system.name},
    )
