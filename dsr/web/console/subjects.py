"""A subject's consent history and exclusion history (issue 5: "a staff view shows a subject's
consent history"), over the same service as POST /api/v1/consents/history.

Staff type a subject key, or an e-mail address that is hashed here to its `email_sha256:` key.
Both travel in a POST body and the page links only to cases by id: a key, even a hash, is
personal data, so it must not reach a URL, the browser history or an access log."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth.principal import Principal
from dsr.cases import access_log
from dsr.cases import repository as cases
from dsr.consent import service
from dsr.db.types import utcnow
from dsr.deps import SessionDep
from dsr.domain.eligibility import EMAIL_PREFIX, email_sha256, subject_problem
from dsr.web.console.render import page
from dsr.web.console.session import ConsoleUser, FormUser
from dsr.web.forms import FormModel

router = APIRouter()

_ADDRESS = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")  # the shape only: it is hashed, never mailed
MAX_INPUT = 254  # the longest e-mail address; longer than any subject key too
EXCLUSION_KINDS = {
    "provisional": "Excluded (request verified)",
    "permanent": "Excluded for good (request fulfilled)",
    "lifted": "Exclusion lifted",
}
LIFT_REASONS = {
    "identity_not_verified": "denied: identity not verified",
    "withdrawn": "request withdrawn",
}
NOT_A_KEY = (
    "Enter a subject key such as account:<id> or email_sha256:<64 hex digits>, "
    "or the person's full e-mail address."
)


def subject_key(typed: str) -> tuple[str | None, str | None]:
    """(the key to look up, a problem). A well-formed key is taken as it is; anything else shaped
    like an e-mail address is hashed to its key as README, "Training eligibility" says (trimmed, lower-cased). The
    two cannot be confused: a key needs a colon, which an address cannot have before its @."""
    if not typed:
        return None, NOT_A_KEY
    if subject_problem(typed) is None:
        return typed, None
    if typed.startswith(EMAIL_PREFIX):
        return None, "An email_sha256 key needs 64 lower-case hex digits."
    if _ADDRESS.fullmatch(typed) and typed.isprintable():
        return EMAIL_PREFIX + email_sha256(typed), None
    return None, NOT_A_KEY


async def _references(session: AsyncSession, case_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Case references for the links' text (a case may be gone from a pruned test database)."""
    out = {}
    for case_id in case_ids:
        case = await cases.get(session, case_id)
        out[case_id] = case.reference if case is not None else str(case_id)
    return out


def _page(
    request: Request, principal: Principal, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    base = {
        "nav": "subjects",
        "typed": "",
        "error": None,
        "history": None,
        "kinds": EXCLUSION_KINDS,
        "lift_reasons": LIFT_REASONS,
    }
    return page(request, "subject.html", {**base, **context}, principal, status=status)


class SubjectForm(FormModel):
    subject: str = ""  # an e-mail address or a subject key


@router.get("/subjects", response_class=HTMLResponse)
async def subject_form(request: Request, principal: ConsoleUser) -> HTMLResponse:
    return _page(request, principal, {})


@router.post("/subjects", response_class=HTMLResponse)
async def subject_history(
    request: Request,
    principal: FormUser,
    session: SessionDep,
    form: Annotated[SubjectForm, Form()],
) -> HTMLResponse:
    typed = form.subject.strip()[:MAX_INPUT]
    key, problem = subject_key(typed)
    if key is None:
        return _page(request, principal, {"typed": typed, "error": problem}, status=422)
    history = await service.history(session, key)
    case_ids = {e.case_id for e in history.exclusions}
    case_ids |= {o.case_id for o in history.opt_outs if o.case_id is not None}
    references = await _references(session, case_ids)
    # A person's history names their cases: each named case is in its access log.
    await access_log.record(
        session,
        principal=principal,
        case_ids=[cid for cid, ref in references.items() if ref != str(cid)],  # cases that exist
        kind="console_subject",
        now=utcnow(),
    )
    return _page(
        request,
        principal,
        {
            "typed": typed,
            "key": key,
            "from_email": key != typed,
            "history": history,
            "references": references,
        },
    )
