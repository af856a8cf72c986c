"""Large bodies, read after authentication and parsed once (issue 12, defect 1).

A route that accepts a large JSON body (the bulk consent and eligibility calls, up to 16 MB)
declares no body parameter, since FastAPI would read and parse it before any dependency has
checked the caller's token; it authenticates through its dependencies, then calls `json_body`.
The body is gathered into one bytearray and validated by pydantic straight from the bytes
(`model_validate_json`): no joined copy, no decoded str, no intermediate dicts and lists, which
is where the memory of a 16 MB body used to multiply."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from dsr.middleware import allow_large_body

M = TypeVar("M", bound=BaseModel)
# The models routes read themselves, by their schema's title: tests/unit/test_schema_limits.py
# checks their fields against the columns as it does declared bodies.
READ_BY_ROUTES: dict[str, type[BaseModel]] = {}


async def read_body(request: Request) -> bytearray:
    """The whole body in one buffer, counted against the request's limit as it streams."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
    return body


async def json_body(request: Request, model: type[M]) -> M:
    """The body as `model`, for a caller the route has already authenticated. Errors answer
    422 as a declared body's would (fields named, values never echoed)."""
    allow_large_body(request)
    raw = await read_body(request)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None


def json_body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` that documents the body a route reads itself: the model's JSON schema
    with its definitions inlined (their `#/$defs/…` references mean nothing inside OpenAPI)."""
    schema = model.model_json_schema()
    READ_BY_ROUTES[schema["title"]] = model
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline(schema)}},
        }
    }
