"""Where a request came from, read from the API Gateway event: for the audit log.

`requestContext.identity.sourceIp` is the address API Gateway saw (never X-Forwarded-For or any
other header a client can write), `.userAgent` and `requestContext.requestId` likewise.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from sculptops.domain.identity import RequestOrigin

_MAX = 256  # a user agent is bounded before it is stored


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    clean = "".join(c for c in value if c.isprintable())
    return clean[:_MAX] or None


def request_origin(request: Request) -> RequestOrigin:
    event = request.scope.get("aws.event")
    if not isinstance(event, dict):
        return RequestOrigin()
    context = event.get("requestContext") or {}
    identity = context.get("identity") or {} if isinstance(context, dict) else {}
    if not isinstance(identity, dict):
        identity = {}
    return RequestOrigin(
        source_ip=_text(identity.get("sourceIp")),
        user_agent=_text(identity.get("userAgent")),
        request_id=_text(context.get("requestId")) if isinstance(context, dict) else None,
    )


OriginDep = Annotated[RequestOrigin, Depends(request_origin)]
