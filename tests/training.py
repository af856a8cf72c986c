"""Helpers for the training-eligibility tests: consent records, verified cases (verifying a
deletion, objection or output-removal request excludes its subject), eligibility questions, and
running an exclusion hook directly (only for what no API call reaches)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from dsr.cases.models import Case
from tests.helpers import Mailbox, auth, open_case


def email_key(address: str) -> str:
    return "email_sha256:" + hashlib.sha256(address.strip().lower().encode()).hexdigest()


def consent(
    subject: str, granted: bool = True, at: datetime | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "subject": subject,
        "category": extra.pop("category", "prompts"),
        "purpose": extra.pop("purpose", "base_model_training"),
        "granted": granted,
        "recorded_at": (at or datetime(2026, 1, 1, tzinfo=UTC)).isoformat(),
        **extra,
    }


async def post_consents(client: httpx.AsyncClient, token: str, *records: dict[str, Any]) -> None:
    r = await client.post("/api/v1/consents", json={"records": list(records)}, headers=auth(token))
    assert r.status_code == 201, r.text


async def verified_case(
    client: httpx.AsyncClient, app: FastAPI, mailbox: Mailbox, type: str = "deletion", **fields: Any
) -> Case:
    """A request submitted through the public API and verified through the e-mailed link."""
    if type == "output_removal":
        fields.setdefault(
            "output_removal",
            {"personal_data": "Ada's home address", "examples": ["Where?"], "models": ["chat-1"]},
        )
    case_id = await open_case(client, app, mailbox, type=type, **fields)
    async with app.state.sessionmaker() as session:
        case: Case | None = await session.get(Case, uuid.UUID(case_id))
        assert case is not None
        return case


async def run_hook(
    app: FastAPI, hook: Callable[..., Awaitable[None]], case: Case, *args: Any
) -> None:
    """Call a hook in its own transaction, as the case workflow does."""
    async with app.state.sessionmaker() as session, session.begin():
        await hook(session, case, datetime.now(UTC), *args)


async def eligibility(
    client: httpx.AsyncClient, token: str, subjects: list[str], **body: Any
) -> httpx.Response:
    payload = {"purpose": "base_model_training", "category": "prompts", "subjects": subjects}
    payload.update(body)
    return await client.post("/api/v1/training/eligibility", json=payload, headers=auth(token))


def reasons(response: httpx.Response) -> list[tuple[str, bool, str]]:
    assert response.status_code == 200, response.text
    return [(r["subject"], r["eligible"], r["reason"]) for r in response.json()["results"]]
