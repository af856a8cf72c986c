"""Schema limits equal column limits (issue 12, defect 6): input the schema accepts must never
reach a column too small for it and fail as a 500. Every string and integer the API and console
routes take (JSON bodies, form bodies, path and query parameters, walked from the routes
themselves) is either mapped here to the column it is stored in, or named as not stored in a
bounded column; a new field fails this test until it is one or the other."""

from __future__ import annotations

import types
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from dsr.auth.models import ApiToken
from dsr.bodies import READ_BY_ROUTES
from dsr.cases.data_system_models import CaseTask, DataSystem
from dsr.cases.models import Case, CaseEvent
from dsr.consent.models import ConsentRecord, OptOut
from dsr.drp.models import DrpAgent
from dsr.main import create_app
from dsr.notifications.models import OutboxMessage
from dsr.settings import Settings

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1


def column(model: Any, name: str) -> sa.Column[Any]:
    return model.__table__.c[name]  # type: ignore[no-any-return]


# Where each field is stored. Keys are "Model.field" (a body) or "path:param" (a parameter).
STORED_IN: dict[str, list[sa.Column[Any]]] = {
    "RequestIn.email": [column(Case, "email")],
    "RequestIn.full_name": [column(Case, "full_name")],
    "RequestIn.account_id": [column(Case, "account_id")],
    "RequestIn.jurisdiction": [column(Case, "jurisdiction_input")],
    "RequestIn.language": [column(Case, "language")],
    "StaffCaseIn.email": [column(Case, "email")],
    "StaffCaseIn.full_name": [column(Case, "full_name")],
    "StaffCaseIn.account_id": [column(Case, "account_id")],
    "StaffCaseIn.jurisdiction": [column(Case, "jurisdiction_input")],
    "StaffCaseIn.language": [column(Case, "language")],
    "AgentIn.name": [column(Case, "agent_name")],
    "AgentIn.email": [column(Case, "agent_email")],
    "ActionIn.action": [column(CaseEvent, "action")],
    "AppealActionIn.action": [column(CaseEvent, "action")],
    "ActionIn.reason_code": [column(Case, "decision_reason_code")],
    "BulkIn.reason_code": [column(Case, "decision_reason_code")],
    "ActionIn.expected_version": [column(Case, "version")],
    "AppealActionIn.expected_version": [column(Case, "version")],
    # A task closed on its page is recorded as done by "owner of NAME" (web/task_page.py).
    "DataSystemIn.name": [column(DataSystem, "name"), column(CaseEvent, "actor_id")],
    "DataSystemIn.owner_email": [column(DataSystem, "owner_email")],
    "DataSystemIn.webhook_url": [column(DataSystem, "webhook_url")],
    "DataSystemIn.connection_env": [column(DataSystem, "connection_env")],
    "ConsentRecordIn.subject": [column(ConsentRecord, "subject")],
    "ConsentRecordIn.source": [column(ConsentRecord, "source")],
    # An opt-out's dedup key is "gpc:" + subject, or "request:<case id>:" + subject.
    "GpcSignalIn.subject": [column(OptOut, "subject"), column(OptOut, "dedup_key")],
    "TaskCompleteIn.records_affected": [column(CaseTask, "records_affected")],
    "/api/v1/notifications/{message_id}/retry:message_id": [column(OutboxMessage, "id")],
    "/notifications/{message_id}/retry:message_id": [column(OutboxMessage, "id")],
    "/agents/{agent_id}/disable:agent_id": [column(DrpAgent, "id")],
    "/agents/{agent_id}/enable:agent_id": [column(DrpAgent, "id")],
}
# What a stored value carries beyond the field itself.
PREFIX = {
    "DataSystemIn.name": {column(CaseEvent, "actor_id"): len("owner of ")},
    "GpcSignalIn.subject": {column(OptOut, "dedup_key"): len("request:") + 36 + 1},
}

# Text and JSON columns, values only looked up or hashed, and the console's form models (whose
# values are all validated by the JSON models above before anything is stored).
NOT_IN_A_BOUNDED_COLUMN = (
    ".details", ".reason", ".explanation", ".text", ".note", ".purposes", ".recipients",
    ".retention", ".source", ".assignee", ".website", ".token", ":token", ":cursor", ":reason",
    ".categories[]", ".examples[]", ".models[]", ".personal_data", ".inaccurate_data",
    ".corrected_data", ".subjects[]", "SubjectIn.subject", "Form.", ":limit", ":totp",
    ".dataset", "SqlTestIn.",  # a Text column; a dry run's identities are only looked up
    # DRP: ids only looked up (an agent id too long for its column is an unknown agent, 403);
    # redirect_to is only shown as a link (dsr.web.drp_page).
    "/drp/v1/agent/{agent_id}", "/drp/v1/data-rights-request/{request_id}", ":redirect_to",
)  # fmt: skip


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for r in routes:
        if isinstance(r, APIRoute):
            yield r
        elif hasattr(r, "original_router"):  # an included router (FastAPI >= 0.160)
            yield from _routes(r.original_router.routes)


def _leaves(
    t: Any, meta: list[Any], where: str, seen: set[type]
) -> Iterator[tuple[str, Any, list[Any]]]:
    origin = get_origin(t)
    if origin is Annotated:
        first, *rest = get_args(t)
        # Annotated[int, Field(ge=…)] keeps its constraints in the FieldInfo's own metadata.
        flat = [c for m in rest for c in (m.metadata if isinstance(m, FieldInfo) else [m])]
        yield from _leaves(first, meta + flat, where, seen)
    elif origin in (Union, types.UnionType):
        for arg in get_args(t):
            if arg is not type(None):
                yield from _leaves(arg, meta, where, seen)
    elif origin in (list, set, frozenset):
        yield from _leaves(get_args(t)[0], [], where + "[]", seen)
    elif isinstance(t, type) and issubclass(t, BaseModel):
        if t not in seen:
            seen.add(t)
            for name, f in t.model_fields.items():
                yield from _leaves(f.annotation, list(f.metadata), f"{t.__name__}.{name}", seen)
    else:
        yield where, t, meta


def _bound(meta: list[Any], attr: str) -> int | None:
    values = [getattr(m, attr) for m in meta if getattr(m, attr, None) is not None]
    if attr == "lt":
        values = [getattr(m, attr) - 1 for m in meta if getattr(m, attr, None) is not None]
    return min(values) if values else None


def fields(tmp_path: Path) -> list[tuple[str, Any, list[Any]]]:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db", secret_key="x"))
    seen: set[type] = set()
    out: list[tuple[str, Any, list[Any]]] = []
    for route in _routes(app.routes):
        d = route.dependant
        for p in d.path_params + d.query_params + d.body_params:
            info = p.field_info
            out += _leaves(info.annotation, list(info.metadata), f"{route.path}:{p.name}", seen)
        # A large body is read by the route itself, after authentication (dsr/bodies.py).
        extra = (route.openapi_extra or {}).get("requestBody", {}).get("content", {})
        title = extra.get("application/json", {}).get("schema", {}).get("title")
        if title in READ_BY_ROUTES:
            out += _leaves(READ_BY_ROUTES[title], [], f"{route.path}:body", seen)
    return out


def _max(col: sa.Column[Any]) -> int:
    return INT64_MAX if isinstance(col.type, sa.BigInteger) else INT32_MAX


def test_every_field_fits_the_column_it_is_stored_in(tmp_path: Path) -> None:
    problems = []
    for where, t, meta in fields(tmp_path):
        if t is str or (isinstance(t, type) and issubclass(t, str) and not issubclass(t, Enum)):
            if where in STORED_IN:
                limit = _bound(meta, "max_length")
                for col in STORED_IN[where]:
                    if col.type.length is None:  # type: ignore[attr-defined]
                        continue  # TEXT, such as a sealed column (dsr.db.sealed_columns): no limit
                    room = col.type.length - PREFIX.get(where, {}).get(col, 0)  # type: ignore[attr-defined]
                    if limit is None or limit > room:
                        problems.append(f"{where}: max_length {limit}, {col} holds {room}")
            elif not any(marker in where for marker in NOT_IN_A_BOUNDED_COLUMN):
                problems.append(f"{where}: a string with no column named in this test")
        elif t is int:
            top = min((_max(c) for c in STORED_IN.get(where, [])), default=INT32_MAX)
            high = _bound(meta, "le") or _bound(meta, "lt")
            low = _bound(meta, "ge") if _bound(meta, "ge") is not None else _bound(meta, "gt")
            if high is None or high > top or low is None or low < -top - 1:
                problems.append(f"{where}: integer bounds [{low}, {high}], column holds {top}")
    assert problems == [], "\n".join(problems)


def test_token_names_fit_where_they_are_recorded() -> None:
    """A service token's name is recorded as who closed a task and who acted on a case."""
    name = ApiToken.__table__.c["name"].type.length  # type: ignore[attr-defined]
    assert name <= column(CaseTask, "closed_by").type.length  # type: ignore[attr-defined]
    assert name <= column(CaseEvent, "actor_id").type.length  # type: ignore[attr-defined]


@pytest.mark.parametrize("key", sorted(STORED_IN))
def test_the_mapping_names_real_fields(key: str, tmp_path: Path) -> None:
    assert key in {where for where, _, _ in fields(tmp_path)}
