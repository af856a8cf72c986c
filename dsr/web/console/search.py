"""Finding cases: by reference, or by the requester's e-mail address. A POST, so an address never
reaches a URL or an access log; each case an address finds is recorded in its access log (which
cases a person has is personal data)."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from dsr.cases import access_log, repository
from dsr.cases.models import Case
from dsr.cases.schemas import CaseSummary
from dsr.db.types import utcnow
from dsr.deps import SessionDep, SettingsDep
from dsr.domain.due import Due
from dsr.web.console.queue import summaries
from dsr.web.console.render import page
from dsr.web.console.session import FormUser
from dsr.web.forms import FormModel

router = APIRouter()
# DSR-K7Q2-M9XD, typed with or without the prefix and dashes, in any case.
REFERENCE = re.compile(r"^(?:DSR)?-?([0-9A-Z]{4})-?([0-9A-Z]{4})$")


class SearchForm(FormModel):
    q: str = ""
    email: str = ""  # the field's name before it took references too


def as_reference(text: str) -> str | None:
    match = REFERENCE.match(text.strip().upper().replace(" ", ""))
    return f"DSR-{match.group(1)}-{match.group(2)}" if match else None


@router.post("/search", response_class=HTMLResponse)
async def search(
    request: Request,
    principal: FormUser,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[SearchForm, Form()],
) -> HTMLResponse:
    text = (form.q or form.email).strip()[:254]
    error = None
    found: list[Case] = []
    by = "email" if "@" in text else "reference"
    if by == "email":
        found = await repository.by_email(session, text)
    elif reference := as_reference(text):
        found = await repository.by_reference(session, reference)
    else:
        error = (
            "Enter a case reference, like DSR-K7Q2-M9XD, or the requester's full e-mail "
            "address, like name@example.org."
        )
    items: list[CaseSummary] = []
    dues: dict[uuid.UUID, Due] = {}
    if error is None:
        items, dues = await summaries(session, settings, found)
        if by == "email":
            await access_log.record(
                session, principal=principal, case_ids=[c.id for c in found],
                kind="console_search", now=utcnow(),
            )  # fmt: skip
    return page(
        request,
        "search.html",
        {
            "nav": "queue",
            "text": text,
            "by": by,
            "error": error,
            "items": items,
            "dues": dues,
            "searched": error is None,
        },
        principal,
        status=422 if error else 200,
    )
