"""The one place where domain errors become HTTP status codes.

Bodies are `{"message": ...}` like API Gateway's own, plus `errors` naming fields for 422. A
validation error never echoes the input back: it could be a credential pasted in the wrong field.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from sculptops.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    Unavailable,
)

log = logging.getLogger(__name__)


def error_body(message: str, **extra: object) -> dict[str, object]:
    return {"message": message, **extra}


# Union members and validators that pydantic adds to an error's location: not field names.
_TYPE_TAGS = {"datetime", "date", "int", "str", "float", "bool", "list", "dict", "none"}


def _field(loc: tuple[int | str, ...]) -> str:
    parts = []
    for p in loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc:
        text = str(p)
        if text in _TYPE_TAGS or "[" in text or text.startswith("function-"):
            continue
        parts.append(text)
    return ".".join(parts) or "body"


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        where = str(loc[0]) if loc else "body"
        msg = str(err.get("msg", "invalid"))
        if err.get("type") == "json_invalid":
            msg = "the body is not valid JSON"
        elif loc == ("body",) and err.get("type") in ("model_attributes_type", "dict_type"):
            msg = "the body must be a JSON object, sent with Content-Type: application/json"
        elif err.get("type") == "missing":
            msg = "is required"
        errors.append({"field": _field(loc), "in": where, "message": msg})
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return JSONResponse(
        status_code=422,
        content=error_body(f"Invalid request: {first['field']}: {first['message']}", errors=errors),
    )


async def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidInput)
    return JSONResponse(
        status_code=422,
        content=error_body(
            f"Invalid request: {exc.field}: {exc.detail}",
            errors=[{"field": exc.field, "message": exc.detail}],
        ),
    )


def _simple(status: int, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        message = getattr(exc, "message", str(exc))
        return JSONResponse(status_code=status, content=error_body(message), headers=headers)

    return handle


async def _unauthenticated(_: Request, __: Exception) -> JSONResponse:
    return JSONResponse(
        status_code=401,
        content=error_body("Unauthorized"),
        headers={"WWW-Authenticate": "Bearer"},
    )


async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Unavailable)
    log.warning("dependency unavailable: %s", type(exc.__cause__).__name__)
    return JSONResponse(
        status_code=503,
        content=error_body(exc.message),
        headers={"Retry-After": str(exc.retry_after)},
    )


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI's "error parsing the body" (not UTF-8, not JSON): bad input like any other.
        return JSONResponse(
            status_code=422,
            content=error_body(
                "Invalid request: body: the body is not valid JSON",
                errors=[{"field": "body", "message": "the body is not valid JSON"}],
            ),
        )
    messages = {404: "Not Found", 405: "Method Not Allowed"}
    return JSONResponse(
        status_code=exc.status_code,
        content=error_body(messages.get(exc.status_code, str(exc.detail))),
        headers=getattr(exc, "headers", None),
    )


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    # A bug. Log the type and where, never the request.
    log.error("unhandled %s", type(exc).__name__, exc_info=exc)
    return JSONResponse(status_code=500, content=error_body("Internal server error"))


def install(app: FastAPI) -> None:
    """Register every mapping on an app."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(InvalidInput, _invalid)
    app.add_exception_handler(NotAuthenticated, _unauthenticated)
    app.add_exception_handler(Forbidden, _simple(403))
    app.add_exception_handler(NotFound, _simple(404))
    app.add_exception_handler(Conflict, _simple(409))
    app.add_exception_handler(Unavailable, _unavailable)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
