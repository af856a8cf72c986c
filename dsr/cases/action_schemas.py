from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from dsr.cases.schemas import Details, Line, ShortText
from dsr.domain.text_rules import no_control_characters
from dsr.domain.vocabulary import Identity, Integration, RequestType
from dsr.limits import Version

Action = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]
WebhookUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://[^\s]+$"),
    AfterValidator(no_control_characters),
]


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
    expected_version: Version | None = Field(
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


class DataSystemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ShortText
    owner_email: EmailStr
    categories: list[Line] = Field(default_factory=list, max_length=50)
    request_types: list[RequestType] = Field(min_length=1)
    integration: Literal[Integration.MANUAL, Integration.WEBHOOK, Integration.PULL] = Field(
        default=Integration.MANUAL,
        description="manual (e-mail and a task page), webhook (signed push) or pull",
    )
    webhook_url: WebhookUrl | None = Field(
        default=None, description="webhook: where dsr POSTs each task (http or https)"
    )
    identities: list[Identity] = Field(
        default_factory=lambda: [Identity.EMAIL, Identity.ACCOUNT_ID],
        min_length=1,
        description="which requester identities the system receives in its tasks",
    )
    purposes: Details | None = Field(default=None, description="shown in the requester's copy")
    recipients: Details | None = None
    retention: Details | None = None
    source: Details | None = None

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> DataSystemIn:
        if self.integration == Integration.WEBHOOK and self.webhook_url is None:
            raise ValueError("a webhook system needs a webhook_url")
        return self


class DataSystemOut(BaseModel):
    id: uuid.UUID
    name: str
    owner_email: str
    categories: list[str]
    request_types: list[str]
    active: bool
    integration: str
    webhook_url: str | None
    identities: list[str]
    purposes: str | None
    recipients: str | None
    retention: str | None
    source: str | None


class DataSystemCreatedOut(DataSystemOut):
    signing_secret: str | None = Field(
        default=None,
        description="webhook systems: the Standard Webhooks secret (whsec_...), shown only once",
    )


class TaskOut(BaseModel):
    id: uuid.UUID
    system: str
    status: str
    note: str | None
    closed_by: str | None
