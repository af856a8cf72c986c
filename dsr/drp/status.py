"""The Exercise Status object (spec §3.03) of a DRP request, from its case as it is now.

`expected_by` is the case's respond_by from the deadline engine (moved by an extension, a
paused clock or an overturned appeal); `processing_details` says why when it moved. A request
waiting for the consumer's own confirmation is in_progress/need_user_verification, and its
`user_verification_url` is our page for that request (dsr.web.drp_page)."""

from __future__ import annotations

from typing import Any

from dsr.cases.models import Case
from dsr.domain.vocabulary import CaseStatus, DenialReason
from dsr.drp.models import DrpRequest

S = CaseStatus
_IN_PROGRESS = frozenset({S.OPEN, S.IN_PROGRESS, S.AWAITING_INFO, S.APPEALED, S.APPEAL_IN_REVIEW})
_DENIALS = {
    DenialReason.IDENTITY_NOT_VERIFIED: "insuf_verification",
    DenialReason.FRAUDULENT: "suspected_fraud",
    DenialReason.NOT_COVERED: "claim_not_covered",
    DenialReason.EXCEPTION_APPLIES: "claim_not_covered",
    DenialReason.OUTSIDE_JURISDICTION: "outside_jurisdiction",
    DenialReason.MANIFESTLY_UNFOUNDED_OR_EXCESSIVE: "too_many_requests",
    DenialReason.OTHER: "other",
}
_DENIALS_BY_CODE = {code.value: reason for code, reason in _DENIALS.items()}
# Why a request of ours has no case: what processing_details says to the agent.
_NO_CASE_DETAILS = {
    "claim_not_covered": "this right is not offered through the Data Rights Protocol here",
    "outside_jurisdiction": "requests are taken under the ccpa regime or voluntarily",
}


def verification_url(base_url: str, drp: DrpRequest) -> str:
    return f"{base_url.rstrip('/')}/drp/verify/{drp.id}"


def _state(case: Case) -> tuple[str, str | None, str | None]:
    status = CaseStatus(case.status)
    if status is S.PENDING_VERIFICATION:
        return "in_progress", "need_user_verification", None
    if status in _IN_PROGRESS:
        details = "awaiting more information" if status is S.AWAITING_INFO else None
        return "in_progress", None, details
    if status is S.FULFILLED:
        return "fulfilled", None, None
    if status is S.PARTIALLY_FULFILLED:
        return "fulfilled", None, "partially fulfilled"
    if status is S.WITHDRAWN:
        return "revoked", None, None
    if status is S.UNVERIFIED:
        return "denied", "insuf_verification", "the consumer did not confirm the request in time"
    if status is S.DUPLICATE:
        return "denied", "other", "a duplicate of an earlier request"
    # denied, or a refusal upheld on appeal
    return "denied", _DENIALS_BY_CODE.get(case.decision_reason_code or "", "other"), None


def status_object(drp: DrpRequest, case: Case | None, base_url: str) -> dict[str, Any]:
    out: dict[str, Any] = {"request_id": str(drp.id)}
    if drp.agent_request_id is not None:
        out["agent_request_id"] = drp.agent_request_id
    out["received_at"] = drp.received_at.isoformat()
    if case is None:
        denial = drp.reason or "other"
        out.update(
            status=drp.status or "denied",
            reason=denial,
            processing_details=_NO_CASE_DETAILS.get(denial),
        )
        return out
    status, reason, details_text = _state(case)
    if case.extended and status == "in_progress":
        details_text = "the deadline was extended, as the law allows"
    out.update(
        status=status,
        reason=reason,
        expected_by=case.respond_by.isoformat(),
        processing_details=details_text,
    )
    if reason == "need_user_verification":
        out["user_verification_url"] = verification_url(base_url, drp)
    return out
