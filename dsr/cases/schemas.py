"""Request and response bodies. Every string is bounded and control characters are refused, so
hostile input gets a 422 before anything is written."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from dsr.domain.text_rules import no_control_characters, single_line
from dsr.domain.vocabulary import AgentKind, Channel, RequestType
from dsr.i18n import LANGUAGES, normalise

# The vocabulary's enums: the same accepted values (and JSON strings) as before, defined once.
REQUEST_TYPES: tuple[RequestType, ...] = tuple(RequestType)

_clean = AfterValidator(no_control_characters)
_one_line = AfterValidator(single_line)


def _bounded(max_length: int, min_length: int = 1) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


# Line and ShortText are single lines (names, ids, categories, models); the others are free text.
Line = Annotated[str, _bounded(200), _one_line]
ShortText = Annotated[str, _bounded(100), _one_line]
MediumText = Annotated[str, _bounded(2000), _clean]
LongText = Annotated[str, _bounded(4000), _clean]
Details = Annotated[str, _bounded(10_000, 0), _clean]
Jurisdiction = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=10, pattern=r"^[A-Za-z]{2}([-_][A-Za-z0-9]{1,3})?$"
    ),
]


def _language(value: str) -> str:
    found = normalise(value)
    if found is None:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    return found


Language = Annotated[str, StringConstraints(max_length=8), AfterValidator(_language)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CorrectionIn(Strict):
    inaccurate_data: MediumText = Field(description="What is wrong")
    corrected_data: MediumText = Field(description="The correct value")


class OutputRemovalIn(Strict):
    personal_data: MediumText = Field(description="The personal data to suppress")
    examples: list[LongText] = Field(
        default_factory=list,
        max_length=10,
        description="Example prompts or outputs where it appeared",
    )
    models: list[ShortText] = Field(
        min_length=1, max_length=20, description="The models or products concerned"
    )


class AgentIn(Strict):
    name: Line = Field(description="The agent's name (a person or a business)")
    email: EmailStr = Field(max_length=254, description="Where the agent hears of the request")
    kind: AgentKind = Field(
        description="authorized_agent: the consumer confirms directly; power_of_attorney: no "
        "confirmation needed"
    )


class RequestIn(Strict):
    type: RequestType
    jurisdiction: Jurisdiction = Field(description="ISO 3166 code, e.g. DE, GB, US-CA, CA-QC")
    email: EmailStr = Field(max_length=254)
    full_name: Line
    account_id: Line | None = None
    details: Details | None = None
    correction: CorrectionIn | None = None
    output_removal: OutputRemovalIn | None = None
    agent: AgentIn | None = Field(
        default=None, description="Set when an authorized agent submits for the consumer"
    )
    language: Language | None = Field(
        default=None,
        description="BCP 47: en, fr, fr-CA, de or es; every notice is written in it. Unset: "
        "French for CA-QC, else English",
    )
    # Honeypot: a field people never see on the form. Bots that fill every field get a 422.
    website: str | None = Field(default=None, max_length=200, description="Leave empty")

    @model_validator(mode="after")
    def _type_fields(self) -> RequestIn:
        for name in ("correction", "output_removal"):
            given = getattr(self, name) is not None
            if self.type == name and not given:
                raise ValueError(f"a {name} request needs the '{name}' object")
            if self.type != name and given:
                raise ValueError(f"'{name}' is only for {name} requests")
        if self.website:
            raise ValueError("submission rejected")
        return self

    def type_data(self) -> dict[str, Any] | None:
        obj = self.correction or self.output_removal
        return obj.model_dump() if obj is not None else None


class StaffCaseIn(RequestIn):
    received_at: date | datetime = Field(description="When the request really arrived")
    channel: Channel
    identity_verified: bool = Field(
        default=False,
        description="Staff verified the requester's identity already (not only their e-mail "
        "address); skips the e-mail check",
    )


class SubmissionOut(BaseModel):
    id: uuid.UUID
    reference: str
    status: str
    agent_proof_token: str | None = Field(
        default=None,
        description="An agent's request: the capability for POST /api/v1/requests/{id}/agent-proof "
        "(header X-Agent-Proof-Token), which uploads the signed permission and reads nothing",
    )


class AgentProofOut(BaseModel):
    id: uuid.UUID
    content_type: str = Field(description="application/pdf, image/png or image/jpeg, by content")
    size: int
    sha256: str
    uploaded_at: datetime


class VerifyIn(Strict):
    token: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class WithdrawIn(Strict):
    token: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="Status token from the e-mail"
    )
    version: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,  # the column's integer
        description="Optional: refuse (409) if the request changed since",
    )


class Deadlines(BaseModel):
    acknowledge_by: date | None
    respond_by: date
    extended_respond_by: date | None
    extended: bool


class RequestStatusOut(BaseModel):
    id: uuid.UUID
    reference: str
    type: str
    status: str
    received_date: date
    respond_by: date
    extended: bool
    decision_reason_code: str | None = None
    decision_explanation: str | None = None
    appeal: dict[str, Any] | None = None


class CaseOut(BaseModel):
    id: uuid.UUID
    reference: str
    type: str
    status: str
    channel: str
    jurisdiction: str
    jurisdiction_input: str
    jurisdiction_known: bool
    language: str = Field(description="The language of the requester's notices (BCP 47)")
    email: str
    full_name: str
    account_id: str | None
    details: str | None
    type_data: dict[str, Any] | None
    received_at: datetime
    verified_at: datetime | None = Field(
        description="When the request was opened as verified. Usually the requester confirmed "
        "their e-mail address through the link e-mailed to them: that shows control of the "
        "address, not who they are. Staff who verified identity by other means record it with "
        "the confirm_identity action (a timeline event with how they did it), or when entering "
        "the request (identity_verified)"
    )
    assignee: str | None = None
    duplicate_of: uuid.UUID | None = None
    deadlines: Deadlines
    clock_paused: bool
    version: int
    decision_reason_code: str | None = None
    decision_explanation: str | None = None
    policy: dict[str, Any]
    agent: dict[str, str] | None = Field(
        default=None, description="{name, email, kind} when an authorized agent submitted"
    )


class CaseSummary(BaseModel):
    id: uuid.UUID
    reference: str
    type: str
    status: str
    jurisdiction: str
    respond_by: date
    days_left: int
    overdue: bool
    assignee: str | None = None
    duplicate_of: uuid.UUID | None = None


class CasePage(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None


class AccessLogEntryOut(BaseModel):
    """One staff view of a case's personal data (README, "Access log")."""

    viewed_at: datetime
    actor: str = Field(description="the staff member's e-mail address when they viewed it")
    user_id: uuid.UUID | None
    kind: str = Field(description="api_case, api_timeline, console_case, console_search, …")


class EventOut(BaseModel):
    seq: int
    at: datetime
    actor_kind: str
    actor_id: str | None
    action: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    data: dict[str, Any]
    hash: str
