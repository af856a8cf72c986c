"""An sql system in the console: the dataset is checked against the live database when saved,
a missing column is shown beside the dataset field, an unindexed edge is a warning after the
confirmation, and the database URL is never on a page."""

from __future__ import annotations

import html

import pytest
from fastapi import FastAPI

from tests.api.test_console_systems import stored
from tests.helpers import Console, csrf_in
from tests.sql_targets import DATASET, Target

ENV = "CONSOLE_CHAT_URL"


def sql_form(token: str, **changes: str | list[str]) -> dict[str, str | list[str]]:
    return {
        "csrf_token": token,
        "name": "chat",
        "owner_email": "db-owner@example.com",
        "request_types": ["access", "deletion"],
        "integration": "sql",
        "identities": ["email", "account_id"],
        "connection_env": ENV,
        "dataset": DATASET,
        **changes,
    }


async def test_an_sql_system_is_checked_when_saved_and_warned_about(
    app: FastAPI, console: Console, chat_db: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, chat_db.url)
    admin = await console("admin")
    token = csrf_in((await admin.get("/console/data-systems")).text)
    wrong = DATASET.replace("[comment]", "[remark]")
    r = await admin.post("/console/data-systems", data=sql_form(token, dataset=wrong))
    assert r.status_code == 422
    assert "column &#39;remark&#39; does not exist in table &#39;feedback&#39;" in r.text
    assert 'id="ds-dataset-error"' in r.text or 'aria-invalid="true"' in r.text

    drop = "DROP INDEX feedback_account_id"
    if chat_db.kind == "mariadb":
        drop = (
            "ALTER TABLE feedback DROP FOREIGN KEY feedback_account, DROP INDEX feedback_account_id"
        )
    await chat_db.execute(drop)
    r = await admin.post("/console/data-systems", data=sql_form(token), follow_redirects=True)
    assert r.status_code == 200, r.text
    text = html.unescape(r.text)
    assert "The data system chat was added. Warning: feedback.account_id has no index" in text
    system = await stored(app, "chat")
    assert (system.integration, system.connection_env) == ("sql", ENV)
    page = (await admin.get(f"/console/data-systems/{system.id}")).text
    assert chat_db.url not in page
    assert ENV in page
