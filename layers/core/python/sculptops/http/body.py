"""Input hygiene at the edge: every request is bounded and every string in it is text.

One pure ASGI middleware, before FastAPI and pydantic see anything; the rules themselves are
pure functions in `sculptops.http.input_rules`:

- the body is read as received (chunked or not) and counted: past MAX_BODY_BYTES it stops
  reading and answers 413, whatever Content-Length said;
- a JSON body (Content-Type `application/json`, `*/*+json`, or none, as FastAPI decides) is
  parsed once with strict rules: valid UTF-8, nesting at most MAX_DEPTH (checked on the raw text
  before the parser recurses), no NaN/Infinity, no lone surrogate and no NUL in any key or
  value, no control character in a key, no key twice in one object (a parser keeps one of
  the values: the other would go unchecked). A refusal is 422 naming the field, in the same
  shape as `sculptops.http.errors`;
- the query string must decode to UTF-8 text without NUL (422), the path likewise (404), and
  no header may hold a NUL (422; HTTP servers refuse one, a Lambda event might carry one);
- the original bytes are then replayed to the app unchanged.

Invalid JSON syntax is left to the app, which refuses it where a body is expected.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from sculptops.http.input_rules import (
    MAX_DEPTH,
    Refused,
    check_json,
    check_target,
    decode_query,
    json_depth,
)
from sculptops.observability import scrub

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "TOO_LARGE",
    "InputGuard",
    "Refused",
    "check_json",
    "decode_query",
    "json_depth",
    "refusal_body",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Not FastAPI's `FastAPI(max_body_size=...)` (starlette's RequestBodyLimitMiddleware): it sits
# outside every middleware of ours, so its 413 is `Content Too Large` in text/plain without the
# security headers, and for a Content-Length over the limit it replaces whatever answer starts
# with that one. This guard must read the body before the app does (JSON depth, text rules), so
# it counts the bytes itself and answers 413 in our JSON shape, inside SecurityHeaders.
MAX_BODY_BYTES = 1024 * 1024
TOO_LARGE = f"Request body over {MAX_BODY_BYTES // 1024} KiB"


def _is_json(scope: Scope) -> bool:
    """FastAPI parses a body as JSON when it has no Content-Type or a JSON one."""
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            media: bytes = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or (
                media.startswith(b"application/") and media.endswith(b"+json")
            )
    return True


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


# ---- the middleware ----


async def _answer(send: Send, status: int, body: dict[str, Any]) -> None:
    raw = json.dumps(body, ensure_ascii=True).encode("ascii")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


def refusal_body(exc: Refused) -> dict[str, Any]:
    if exc.status != 422:
        return {"message": exc.message}
    field = scrub(exc.field)  # keys as sent, clipped: a pasted token would still fit
    return {
        "message": f"Invalid request: {field}: {exc.message}",
        "errors": [{"field": field, "in": exc.where, "message": exc.message}],
    }


class InputGuard:
    """Bound and check every request before the app parses it (see the module docstring)."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_target(scope)
            length = _content_length(scope)
            if length is not None and length > self.max_bytes:
                raise Refused(413, "body", TOO_LARGE)
            body, disconnected = await self._read(receive)
            if body and _is_json(scope):
                check_json(body)
        except Refused as exc:
            await _answer(send, exc.status, refusal_body(exc))
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            if disconnected:
                return {"type": "http.disconnect"}
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> tuple[bytes, bool]:
        """The whole body, counting as it arrives; Refused(413) as soon as it is too long."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks), True
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise Refused(413, "body", TOO_LARGE)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), False
