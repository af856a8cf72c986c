"""Helpers for the manual-system tests: a manual system, an open case, and the owner's task link
from the e-mail."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

import httpx
from fastapi import FastAPI

from tests.fulfilment_helpers import register_system, task_of
from tests.helpers import Mailbox, deliver, link_in, open_case, token_of


@dataclass(frozen=True)
class ManualTask:
    system_id: str
    case_id: str
    task_id: str
    link: str  # the task page's URL from the owner's e-mail (path and query)
    token: str


async def manual_task(
    client: httpx.AsyncClient,
    app: FastAPI,
    mailbox: Mailbox,
    admin: str,
    name: str = "crm",
    identities: tuple[str, ...] = ("email",),
    **case_fields: object,
) -> ManualTask:
    """A manual system registered, a case opened, and the link its owner was e-mailed."""
    system_id = await register_system(
        client, admin, name, integration="manual", identities=list(identities)
    )
    case_id = await open_case(client, app, mailbox, **case_fields)
    await deliver(app)
    task = await task_of(app, case_id, system_id)
    url = link_in(mailbox.last_to(f"{name}-owner@example.com"), f"/tasks/{task.id}")
    parsed = urlparse(url)
    return ManualTask(
        system_id=system_id,
        case_id=case_id,
        task_id=str(task.id),
        link=f"{parsed.path}?{parsed.query}",
        token=token_of(url),
    )
