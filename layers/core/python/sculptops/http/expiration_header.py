"""`SculptOps-Token-Expiration` on answers authorized by a personal token that expires soon.

As GitHub's `GitHub-Authentication-Token-Expiration`: a client (a CI job, a script) sees that
its token is about to stop working, in the answers it already reads. The expiry comes from the
authorizer's context (`domain.caller_context`), as every other fact about the caller does; no
read is added. Answers to a JWT session, an agent token or an unauthenticated route carry none.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sculptops.domain import caller_context
from sculptops.domain.errors import NotAuthenticated
from sculptops.domain.expiry_notices import WARN_BEFORE, header_time
from sculptops.domain.identity import CredentialKind

HEADER = "SculptOps-Token-Expiration"
_NAME = HEADER.lower().encode("latin-1")


def expiration_value(context: Any, now: datetime) -> str | None:
    """The header's value for this authorizer context at `now`, or None for no header."""
    if not isinstance(context, dict):
        return None
    try:
        caller = caller_context.decode(context)
    except NotAuthenticated:
        return None
    expires = caller.expires_at
    if caller.kind is not CredentialKind.TOKEN or expires is None:
        return None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if expires - now > WARN_BEFORE:
        return None
    return header_time(expires.astimezone(UTC))


def _authorizer_context(scope: Any) -> Any:
    event = scope.get("aws.event")
    context = event.get("requestContext") if isinstance(event, dict) else None
    return context.get("authorizer") if isinstance(context, dict) else None


class ExpirationHeader:
    """ASGI middleware: adds the header to every answer of a token that expires within 7 days."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        value = None
        if scope["type"] == "http":
            value = expiration_value(_authorizer_context(scope), datetime.now(UTC))
        if value is None:
            await self.app(scope, receive, send)
            return
        raw = value.encode("latin-1")

        async def send_with_header(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers") or [] if bytes(h[0]).lower() != _NAME]
                headers.append((_NAME, raw))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_header)
