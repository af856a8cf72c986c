from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PrivateAttr,
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


# The NAME of the variable that holds an sql system's database URL. dsr's own settings (DSR_...)
# hold its secrets, so a dataset may not point at them.
def _not_dsr_own(name: str) -> str:
    if name.upper().startswith("DSR_"):
        raise ValueError("must not be one of dsr's own settings (DSR_...)")
    return name


ConnectionEnv = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=100, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$"),
    AfterValidator(_not_dsr_own),
]
DatasetText = Annotated[str, StringConstraints(min_length=1, max_length=200_000)]


class ActionIn(BaseModel):
    """One state-machine action. Which fields an action needs is the state machine's business:
    a missing one is a 422 naming it."""

    model_config = ConfigDict(extra="forbid")

    action: Action
    assignee: EmailStr | None = Field(default=None, description="assign: a staff user's e-mail")
    reason: Details | None = Field(
        default=None,
        description="request_info, extend, withdraw; confirm_identity: how staff verified who "
        "the requester is (beyond the e-mail address)",
    )
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
    # The refusal itself, for the console to word plainly (not part of the API's answer).
    _error: Exception | None = PrivateAttr(default=None)

    def with_error(self, exc: Exception) -> BulkItem:
        self._error = exc
        return self

    @property
    def error(self) -> Exception | None:
        return self._error


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
    integration: Literal[
        Integration.MANUAL, Integration.WEBHOOK, Integration.PULL, Integration.SQL
    ] = Field(
        default=Integration.MANUAL,
        description="manual (e-mail and a task page), webhook (signed push), pull or sql",
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
    connection_env: ConnectionEnv | None = Field(
        default=None,
        description="sql: the NAME of the environment variable holding the database URL "
        "(postgresql://, mysql:// or sqlite:///); the URL itself is never stored",
    )
    dataset: DatasetText | None = Field(
        default=None, description="sql: the dataset (YAML), checked against the live database"
    )

    @model_validator(mode="after")
    def _webhook_needs_url(self) -> DataSystemIn:
        if self.integration == Integration.WEBHOOK and self.webhook_url is None:
            raise ValueError("a webhook system needs a webhook_url")
        if self.integration == Integration.SQL and not (self.connection_env and self.dataset):
            raise ValueError("an sql system needs a connection_env and a dataset")
        return self


class SqlTestIn(BaseModel):
    """A dry run of an sql system's dataset for one subject."""

    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, StringConstraints(min_length=1, max_length=254)] | None = None
    account_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class SqlTableOut(BaseModel):
    category: str | None
    erase: str
    retain_reason: str | None
    count: int
    rows: list[dict[str, Any]]


class SqlTestOut(BaseModel):
    tables: dict[str, SqlTableOut]
    warnings: list[str]


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
    connection_env: str | None = None
    dataset: str | None = None


class DataSystemCreatedOut(DataSystemOut):
    signing_secret: str | None = Field(
        default=None,
        description="webhook systems: the Standard Webhooks secret (whsec_...), shown only once",
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="sql systems: what works but should be fixed (an edge column without index)",
    )


class TaskOut(BaseModel):
    id: uuid.UUID
    system: str
    status: str
    note: str | None
    closed_by: str | None
    last_error: str | None = None
