"""The admin's Access page (issue 12, defect 10): staff users deactivated and reactivated, service
tokens revoked, each taking effect at once; POST forms with CSRF; admins only."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlmodel import select

from dsr.auth.models import ApiToken, StaffUser
from tests.helpers import (
    PASSWORD,
    Console,
    auth,
    csrf_in,
    login,
    make_service_token,
)

ELIGIBILITY = {"purpose": "model_evaluation", "category": "prompts", "subjects": ["account:1"]}


async def id_of(app: FastAPI, model: type[StaffUser] | type[ApiToken], where: object) -> str:
    async with app.state.sessionmaker() as session:
        return str((await session.exec(select(model).where(where))).one().id)  # type: ignore[arg-type]


async def test_admins_deactivate_and_reactivate_staff_in_the_console(
    app: FastAPI, client: httpx.AsyncClient, console: Console
) -> None:
    handler = await console("handler")
    admin = await console("admin")
    r = await client.post(
        "/api/v1/auth/token", data={"username": "handler@example.com", "password": PASSWORD}
    )
    token = r.json()["access_token"]
    user_id = await id_of(app, StaffUser, StaffUser.email == "handler@example.com")
    url = f"/console/access/users/{user_id}"

    assert (await handler.get("/console/access")).status_code == 403
    csrf = csrf_in((await handler.get("/console")).text)
    assert (await handler.post(f"{url}/deactivate", data={"csrf_token": csrf})).status_code == 403

    page = await admin.get("/console/access")
    assert page.status_code == 200
    assert f'action="{url}/deactivate"' in page.text
    assert (await admin.post(f"{url}/deactivate")).status_code == 403  # no CSRF token
    assert (await handler.get("/console")).status_code == 200

    r = await admin.post(f"{url}/deactivate", data={"csrf_token": csrf_in(page.text)})
    assert (r.status_code, r.headers["location"]) == (303, "/console/access")
    after = await handler.get("/console")
    assert (after.status_code, after.headers["location"]) == (303, "/console/login")
    assert (await client.get("/api/v1/cases", headers=auth(token))).status_code == 401
    page = await admin.get("/console/access")
    assert "The user was deactivated." in page.text
    assert f'action="{url}/reactivate"' in page.text

    r = await admin.post(f"{url}/reactivate", data={"csrf_token": csrf_in(page.text)})
    assert r.status_code == 303
    again = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    async with again:
        assert (await login(again, "handler@example.com")).status_code == 303
    assert (await client.get("/api/v1/cases", headers=auth(token))).status_code == 401

    admin_id = await id_of(app, StaffUser, StaffUser.email == "admin@example.com")
    page = await admin.get("/console/access")
    r = await admin.post(
        f"/console/access/users/{admin_id}/deactivate", data={"csrf_token": csrf_in(page.text)}
    )
    assert r.status_code == 409
    assert "The last active admin cannot be deactivated" in r.text
    assert (await admin.get("/console/access")).status_code == 200


async def test_admins_revoke_service_tokens_in_the_console(
    app: FastAPI, client: httpx.AsyncClient, console: Console
) -> None:
    admin = await console("admin")
    token = await make_service_token(app, "trainer", "training:read")
    r = await client.post("/api/v1/training/eligibility", json=ELIGIBILITY, headers=auth(token))
    assert r.status_code == 200, r.text
    token_id = await id_of(app, ApiToken, ApiToken.name == "trainer")

    page = await admin.get("/console/access")
    assert "trainer" in page.text
    assert "training:read" in page.text
    assert token not in page.text
    url = f"/console/access/tokens/{token_id}/revoke"
    assert f'action="{url}"' in page.text
    assert (await admin.post(url, data={"csrf_token": "0" * 40})).status_code == 403
    r = await client.post("/api/v1/training/eligibility", json=ELIGIBILITY, headers=auth(token))
    assert r.status_code == 200

    r = await admin.post(url, data={"csrf_token": csrf_in(page.text)})
    assert (r.status_code, r.headers["location"]) == (303, "/console/access")
    r = await client.post("/api/v1/training/eligibility", json=ELIGIBILITY, headers=auth(token))
    assert r.status_code == 401
    page = await admin.get("/console/access")
    assert "The token was revoked." in page.text
    assert f'action="{url}"' not in page.text
    assert "<td>revoked</td>" in page.text
