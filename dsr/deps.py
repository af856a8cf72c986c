"""FastAPI dependencies shared by routers: settings, the transactional session, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from dsr.auth import sessions as staff_sessions
from dsr.auth.principal import Principal
from dsr.auth.roles import Role, Scope
from dsr.auth.service import principal_for_token, staff_principal
from dsr.auth.sessions import SESSION_ID
from dsr.db.types import utcnow
from dsr.errors import DsrError, Forbidden, Unauthorized
from dsr.http import require_csrf_header
from dsr.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the endpoint returns normally, before the
    response is sent (scope="function"), so an acknowledged request is on disk; rolled back on
    any exception, except errors that must keep what they recorded (a failed guess of a link)."""
    factory = request.app.state.sessionmaker
    async with request.app.state.transaction_turn, factory() as session:
        txn = await session.begin()
        try:
            yield session
        except DsrError as exc:
            await (txn.commit() if exc.keep_changes else txn.rollback())
            raise
        except BaseException:
            await txn.rollback()
            raise
        await txn.commit()
        if session.info.pop("outbox_enqueued", False):
            request.app.state.outbox_wakeup.set()  # the worker sends at once instead of polling


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="A staff access token or a service token")


async def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is not None:
        principal = await principal_for_token(session, credentials.credentials, utcnow())
        if principal is None:
            raise Unauthorized("the bearer token is not valid or has expired")
        return principal
    sid = request.session.get(SESSION_ID) if "session" in request.scope else None
    if sid:
        settings = get_settings(request)
        user = await staff_sessions.user_of(session, sid=sid, now=utcnow(), settings=settings)
        if user is not None:
            # A browser sends the session cookie with any request to this site: unsafe methods
            # also need the console's CSRF token in a header, which another site cannot read.
            await require_csrf_header(request)
            return staff_principal(user)
    raise Unauthorized("authentication required")


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_role(*roles: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def check(principal: PrincipalDep) -> Principal:
        if not principal.is_staff or not principal.has_role(*roles):
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this needs one of the roles: admin, {allowed}")
        return principal

    return check


def require_scope(scope: str) -> Callable[..., Coroutine[Any, Any, Principal]]:
    async def check(principal: PrincipalDep) -> Principal:
        if not principal.has_scope(scope) or principal.is_system:
            # A data system's token reaches its own tasks only (dsr.fulfilment.router).
            raise Forbidden(f"this needs a token with the scope {scope}")
        return principal

    return check


async def require_system(principal: PrincipalDep) -> Principal:
    """The task API's caller: a data system's own token. Tokens not bound to a system, staff
    included, get 403: the tasks carry the requester's identities, which only the system that
    must act on them may read (staff see tasks on the case, /api/v1/cases/{id}/tasks)."""
    if not principal.is_system or not principal.has_scope(Scope.tasks_write.value):
        raise Forbidden(
            "this needs a data system's token: dsr tokens create --scope tasks:write "
            "--data-system NAME"
        )
    return principal


SystemPrincipal = Annotated[Principal, Depends(require_system)]


STAFF_ROLES = (Role.ADMIN, Role.HANDLER, Role.REVIEWER, Role.AUDITOR)
AnyStaff = Annotated[Principal, Depends(require_role(*STAFF_ROLES))]
Handler = Annotated[Principal, Depends(require_role(Role.HANDLER))]
