"""What a request presents: the credential in its headers, a stream ticket in its query, and
whether a value has a JWT's shape. Pure functions of the request's data, shared by the Lambda
authorizer and the services."""

from __future__ import annotations

from collections.abc import Mapping

# The one route a stream ticket opens, on both surfaces (API Gateway resource paths), GET only.
STREAM_RESOURCES = frozenset(
    {"/api/v1/{tenant_id}/executions/{id}/logs/stream", "/api/executions/{id}/logs/stream"}
)


def credential_from_headers(headers: Mapping[str, str | None]) -> str | None:
    """The credential in `Authorization: Bearer` or `X-API-Key`, header names in any case."""
    lowered = {k.lower(): v for k, v in headers.items() if v is not None}
    auth = lowered.get("authorization")
    if auth is not None:
        scheme, _, value = auth.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        return value.strip()
    api_key = lowered.get("x-api-key")
    if api_key is not None and api_key.strip():
        return api_key.strip()
    return None


def stream_ticket_in(
    method: str | None, resource: str | None, query: Mapping[str, list[str]] | None
) -> str | None:
    """The `ticket` query parameter of a GET on a run's log stream; None on any other request.

    A ticket given twice is returned as an empty string, which no ticket matches.
    """
    if method != "GET" or resource not in STREAM_RESOURCES or not query:
        return None
    values = query.get("ticket") or []
    if not values:
        return None
    return values[0] if len(values) == 1 else ""


def looks_like_jwt(value: str) -> bool:
    parts = value.split(".")
    return len(parts) == 3 and value.startswith("eyJ") and all(parts)
