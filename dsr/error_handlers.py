"""One map from errors to responses. JSON under /api, an HTML page elsewhere. Validation errors
never echo the submitted values (they may be personal data)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from dsr.domain.errors import WorkflowError
from dsr.errors import CONCURRENT_CHANGE, DsrError, RateLimited, for_workflow

log = logging.getLogger("dsr.errors")

UNSTORABLE_TEXT = "the input contains characters that cannot be stored (such as a NUL byte)"
# PostgreSQL's "character not in repertoire" (a NUL in text) and "untranslatable character" (a
# \u0000 escape in JSON): always caused by the input, never by the server.
_UNSTORABLE_SQLSTATES = frozenset({"22021", "22P05"})
# What FastAPI answers (400) when decoding a JSON body raises anything but a JSONDecodeError.
_FASTAPI_BODY_ERROR = "There was an error parsing the body"


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(("/api/", "/drp/")) and path not in ("/openapi.json",)


def _respond(
    request: Request, status: int, message: str, code: str, extra: dict[str, Any] | None = None
) -> Response:
    headers = {}
    if status == 429 and extra and "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    response: Response
    if _wants_html(request) and hasattr(request.app.state, "render_error"):
        response = request.app.state.render_error(request, status, message)
    else:
        body: dict[str, Any] = {"detail": message, "code": code}
        if extra and "errors" in extra:
            body["errors"] = extra["errors"]
        response = JSONResponse(body, status_code=status)
    # A person's browser or script needs Retry-After as much as an API client does.
    response.headers.update(headers)
    return response


def _clean_errors(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ()) if p != "body"]
        msg = str(e.get("msg", "invalid"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        out.append({"field": ".".join(loc) or None, "message": msg})
    return out


def install(app: FastAPI) -> None:
    @app.exception_handler(DsrError)
    async def dsr_error(request: Request, exc: DsrError) -> Response:
        extra = {"retry_after": exc.retry_after} if isinstance(exc, RateLimited) else None
        return _respond(request, exc.status_code, exc.message, exc.code, extra)

    @app.exception_handler(WorkflowError)
    async def workflow_error(request: Request, exc: WorkflowError) -> Response:
        mapped = for_workflow(exc)
        return _respond(request, mapped.status_code, exc.message, mapped.code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = _clean_errors(list(exc.errors()))
        first = errors[0] if errors else {"field": None, "message": "invalid input"}
        message = (
            f"{first['field']}: {first['message']}" if first["field"] else str(first["message"])
        )
        return _respond(request, 422, message, "invalid", {"errors": errors})

    _install_database_errors(app)


def _install_database_errors(app: FastAPI) -> None:
    """Conflicts and unstorable text: what the database refuses, answered in plain words."""

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, _exc: StaleDataError) -> Response:
        return _respond(request, 409, CONCURRENT_CHANGE, "conflict")

    @app.exception_handler(IntegrityError)
    async def integrity(request: Request, _exc: IntegrityError) -> Response:
        # Concurrent appends to one case timeline collide on (case_id, seq): the loser retries.
        log.info("integrity conflict on %s", request.url.path)
        return _respond(request, 409, CONCURRENT_CHANGE, "conflict")

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> Response:
        # A safety net behind the schemas' control-character checks, so text that reaches the
        # database without passing one is a 422, not a 500. Never log str(exc): it carries the
        # statement's parameters, which may be personal data.
        if getattr(exc.orig, "sqlstate", None) not in _UNSTORABLE_SQLSTATES:
            raise exc
        log.warning("unstorable text refused on %s", request.url.path)
        return _respond(request, 422, UNSTORABLE_TEXT, "invalid")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail) if exc.detail else "error"
        if exc.status_code == 400 and message == _FASTAPI_BODY_ERROR:
            # A body FastAPI could not decode at all (not UTF-8, nested past the parser's
            # depth) is bad input like any malformed JSON: the same 422 and code.
            return _respond(request, 422, "the body is not valid JSON", "invalid")
        if exc.status_code == 404 and message == "Not Found":
            message = "not found"
        # 413 from the streamed-body limit (dsr.middleware.BodyTooLarge) keeps the code the
        # Content-Length check answers with, so clients see one shape for both.
        code = "payload_too_large" if exc.status_code == 413 else "http_error"
        resp = _respond(request, exc.status_code, message, code)
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp
