"""The one place where domain errors become HTTP status codes.

Bodies are `{"message": ...}` like API Gateway's own, plus `errors` naming fields for 422, and
`{"message": "Forbidden", "reason": ...}` for 403 like the authorizer's gateway response. A
validation error never echoes the input back: it could be a credential pasted in the wrong field.
Every message from the core goes through `public`: an id that is not id-shaped is dropped (it is
what the caller typed, maybe a token), and anything shaped like a credential is redacted.
"""

from __future__ import annotations

import logging
import re

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
from sculptops.observability import scrub

log = logging.getLogger(__name__)

# What the services name in a message: `tok_`, `exe_`, `pb_`, `inv_`, `agt_` + 24 hex digits.
_ID = re.compile(r"[a-z]{2,5}_[0-9a-f]{24}")
# "token X not found", "member X not found in demo"
_NOT_FOUND = re.compile(r"(\w+) (.+) not found( in [a-z0-9-]+)?", re.DOTALL)
_NONE_IN = re.compile(r"no (\w+) (.+) in ([a-z0-9-]+)", re.DOTALL)  # "no playbook X in demo"


def public(message: str) -> str:
    """A core message as a client may see it: no echoed non-id, nothing credential-shaped."""
    found = _NOT_FOUND.fullmatch(message)
    if found and found.group(1) != "tenant" and not _ID.fullmatch(found.group(2)):
        message = f"{found.group(1)} not found{found.group(3) or ''}"
    none_in = _NONE_IN.fullmatch(message)
    if none_in and not _ID.fullmatch(none_in.group(2)):
        message = f"no such {none_in.group(1)} in {none_in.group(3)}"
    return scrub(message)


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
            # pydantic puts the character offset in the location: not a field name.
            msg, loc = "the body is not valid JSON", ("body",)
        elif loc == ("body",) and err.get("type") in ("model_attributes_type", "dict_type"):
            msg = "the body must be a JSON object, sent with Content-Type: application/json"
        elif err.get("type") == "missing":
            msg = "is required"
        field = scrub(_field(loc))  # keys as sent: one could be a pasted token
        errors.append({"field": field, "in": where, "message": public(msg)})
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return JSONResponse(
        status_code=422,
        content=error_body(f"Invalid request: {first['field']}: {first['message']}", errors=errors),
    )


def _spelled(request: Request, field: str, where: str) -> str:
    """A body or query field as the request's surface spells it: camelCase on `/api/...`.
    Only the field itself: what follows it (`extra_vars.ansible_become`) is a key the caller
    chose, named as sent."""
    from pydantic.alias_generators import to_camel

    from sculptops.http.surfaces import surface_of

    try:
        camel = surface_of(request.scope.get("route")).camel
    except LookupError:
        return field
    if not camel or where == "path":
        return field
    head, dot, rest = field.partition(".")
    return f"{to_camel(head)}{dot}{rest}"


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidInput)
    field, detail = scrub(_spelled(request, exc.field, exc.where)), public(exc.detail)
    return JSONResponse(
        status_code=422,
        content=error_body(
            f"Invalid request: {field}: {detail}",
            errors=[{"field": field, "in": exc.where, "message": detail}],
        ),
    )


def _simple(status: int, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        message = public(getattr(exc, "message", str(exc)))
        return JSONResponse(status_code=status, content=error_body(message), headers=headers)

    return handle


async def _forbidden(_: Request, exc: Exception) -> JSONResponse:
    # The shape of the authorizer's 403 (gateway response ACCESS_DENIED): DESIGN §3.
    reason = public(getattr(exc, "message", str(exc)))
    return JSONResponse(status_code=403, content=error_body("Forbidden", reason=reason))


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
        content=error_body(messages.get(exc.status_code) or public(str(exc.detail))),
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
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(NotFound, _simple(404))
    app.add_exception_handler(Conflict, _simple(409))
    app.add_exception_handler(Unavailable, _unavailable)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
