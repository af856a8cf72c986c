"""What people send from a form, on the owner's task page and on the case page: pasted JSON and
uploaded files, stored together or not at all (the caller runs this in a savepoint), and how a
task is closed from a form. Both pages call these, so an owner and a handler do the same thing."""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.cases.data_system_models import CaseTask
from dsr.cases.schemas import Details
from dsr.errors import InvalidInput
from dsr.fulfilment import results
from dsr.fulfilment.models import TaskResult
from dsr.limits import Count
from dsr.settings import Settings

INVALID_JSON = "invalid_json"
NOTHING_SENT = "nothing_sent"


@dataclass(frozen=True)
class Upload:
    """One file from a form."""

    filename: str
    content_type: str
    data: bytes


class TaskCloseFormIn(BaseModel):
    """An owner closing a task from the task page: the outcome (staff alone waive tasks), how
    many records it touched, and the note (the exception that applies, for `retained`)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["done", "not_found", "retained"]
    records_affected: Count | None = None
    note: Details | None = None

    @model_validator(mode="after")
    def _note_when_needed(self) -> TaskCloseFormIn:
        if self.outcome == "retained" and not (self.note and self.note.strip()):
            raise ValueError("name the exception that applies")
        return self


def file_type(upload: Upload) -> str:
    """The type a browser declared, or, when it is none dsr takes (Windows calls CSV
    `application/vnd.ms-excel`), the one the file's name implies."""
    declared = results.media_type(upload.content_type)
    if declared in results.FILE_TYPES:
        return declared
    guessed, _ = mimetypes.guess_type(upload.filename)
    return guessed or declared


async def add_results(
    session: AsyncSession,
    *,
    settings: Settings,
    task: CaseTask,
    pasted: str,
    uploads: list[Upload],
) -> list[TaskResult]:
    """Store the pasted JSON value (if any) and each file. 422 `invalid_json` when the text is
    not JSON, 422 `nothing_sent` when there is nothing; the results module's own answers (413,
    415, 409, 422) otherwise."""
    stored = []
    if pasted.strip():
        try:
            value = json.loads(pasted)
        except ValueError:
            raise InvalidInput("json: this is not valid JSON", code=INVALID_JSON) from None
        stored.append(await results.store_json(session, settings=settings, task=task, value=value))
    for upload in uploads:
        stored.append(
            await results.store_file(
                session,
                settings=settings,
                task=task,
                filename=upload.filename,
                content_type=file_type(upload),
                data=upload.data,
            )
        )
    if not stored:
        raise InvalidInput("paste JSON or choose a file to send", code=NOTHING_SENT)
    return stored
