"""Request and response bodies of the consent, training and suppression APIs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from dsr.domain.eligibility import (
    SUBJECT_MAX_LENGTH,
    SUBJECT_PATTERN,
    Reason,
    first_bad_email_key,
    subject_problem,
)

MAX_BATCH = 10_000

Category = Literal["prompts", "outputs", "customer_content", "public_web"]
Purpose = Literal["base_model_training", "model_evaluation"]
# The eligibility API also answers the opt-out purposes (domain.eligibility.OPT_OUT_PURPOSES):
# recorded by GPC signals and opt_out requests, not by consent records.
EligibilityPurpose = Literal[
    "base_model_training", "model_evaluation", "sale_or_sharing", "targeted_advertising"
]
# The shape is checked in pydantic-core (fast for 10,000 keys); the email_sha256 digits by
# _check_email_keys below, since the pattern engine has no look-ahead.
Subject = Annotated[
    str,
    StringConstraints(max_length=SUBJECT_MAX_LENGTH, pattern=SUBJECT_PATTERN),
    Field(description="A subject key: account:<id>, email_sha256:<64 hex digits>, or ns:value"),
]
Source = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[ -~]+$")]


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+05:00
        raise ValueError("date out of range") from None


# A moment with an explicit offset, held in UTC.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]


def _check_email_keys(subjects: list[str], field: str) -> None:
    bad = first_bad_email_key(subjects)
    if bad is not None:
        raise ValueError(f"{field}[{bad}]: {subject_problem(subjects[bad])}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConsentRecordIn(Strict):
    subject: Subject
    category: Category
    purpose: Purpose
    granted: bool = Field(strict=True, description="true: consent given; false: withdrawn")
    recorded_at: UtcDatetime = Field(description="When the person decided (with an offset)")
    source: Source | None = Field(default=None, description="Where the record comes from")


class ConsentBatchIn(Strict):
    records: list[ConsentRecordIn] = Field(
        min_length=1, max_length=MAX_BATCH, description="1 to 10,000 records, all or nothing"
    )

    @model_validator(mode="after")
    def _email_keys(self) -> ConsentBatchIn:
        bad = first_bad_email_key([r.subject for r in self.records])
        if bad is not None:
            problem = subject_problem(self.records[bad].subject)
            raise ValueError(f"records[{bad}].subject: {problem}")
        return self


class ConsentBatchOut(BaseModel):
    recorded: int = Field(description="Records appended to the ledger")


class EligibilityIn(Strict):
    purpose: EligibilityPurpose
    category: Category
    subjects: list[Subject] = Field(min_length=1, max_length=MAX_BATCH)
    as_of: UtcDatetime | None = Field(
        default=None, description="Answer as the ledger stood then (default: now)"
    )

    @model_validator(mode="after")
    def _email_keys(self) -> EligibilityIn:
        _check_email_keys(self.subjects, "subjects")
        return self


class EligibilityResult(BaseModel):
    subject: str
    eligible: bool
    reason: Reason


class EligibilityOut(BaseModel):
    as_of: datetime
    policy_version: str
    results: list[EligibilityResult]


class SubjectIn(Strict):
    subject: Subject

    @model_validator(mode="after")
    def _email_key(self) -> SubjectIn:
        _check_email_keys([self.subject], "subject")
        return self


class ConsentOut(BaseModel):
    category: str
    purpose: str
    granted: bool
    recorded_at: datetime
    received_at: datetime
    source: str | None


class ExclusionEventOut(BaseModel):
    case_id: uuid.UUID
    kind: str
    at: datetime
    reason: str | None


class OptOutOut(BaseModel):
    source: Literal["gpc", "request"]
    case_id: uuid.UUID | None
    observed_at: datetime
    recorded_at: datetime
    lifted_at: datetime | None


class HistoryOut(BaseModel):
    subject: str
    consents: list[ConsentOut] = Field(description="Newest first")
    consents_truncated: bool
    exclusions: list[ExclusionEventOut] = Field(description="Oldest first")
    excluded: bool
    opt_outs: list[OptOutOut] = Field(
        default_factory=list, description="GPC signals and opt_out requests, newest first"
    )
    opted_out: bool = Field(default=False, description="An opt-out is in force")


class ChangeOut(BaseModel):
    cursor: str
    at: datetime
    subject: str
    type: Literal["consent", "exclusion"]
    category: str | None = None
    purpose: str | None = None
    granted: bool | None = None
    exclusion: str | None = None
    excluded: bool | None = None


class ChangesOut(BaseModel):
    changes: list[ChangeOut]
    next_cursor: str = Field(description="Pass back as `cursor` to continue (also when empty)")
    has_more: bool


class SuppressionOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    status: Literal["active", "withdrawn"]
    personal_data: str | None = Field(description="The data to suppress; null once withdrawn")
    models: list[str]
    published_at: datetime
    withdrawn_at: datetime | None
    cursor: str


class SuppressionsOut(BaseModel):
    suppressions: list[SuppressionOut]
    next_cursor: str
    has_more: bool


class GpcSignalIn(Strict):
    subject: Subject
    observed_at: UtcDatetime = Field(description="When the site saw the signal (with an offset)")

    @model_validator(mode="after")
    def _email_key(self) -> GpcSignalIn:
        _check_email_keys([self.subject], "subject")
        return self


class GpcSignalOut(BaseModel):
    subject: str
    opted_out: bool = Field(description="Always true: the subject is opted out")
    recorded: bool = Field(
        description="false when this subject's GPC opt-out was already on record"
    )
