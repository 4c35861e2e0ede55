"""The caller of a request, from the context that the authorizer gave API Gateway.

Functions trust only that context (injected by the gateway into the proxy event), never a
header the client sent. No context at all means the function was reached without the
authorizer: refuse.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPBearer

from sculptops.domain.errors import Forbidden, NotAuthenticated
from sculptops.domain.identity import ACTIVE, Caller, CredentialKind
from sculptops.domain.roles import Role

# Declared for the OpenAPI document (Swagger UI's "Authorize" button); their values are not used.
bearer_scheme = HTTPBearer(auto_error=False, description="A personal API token or OIDC JWT")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="A token")


def _authorizer_context(request: Request) -> dict[str, Any]:
    event = request.scope.get("aws.event")
    if not isinstance(event, dict):
        raise NotAuthenticated("no-authorizer-context")
    context = (event.get("requestContext") or {}).get("authorizer")
    if not isinstance(context, dict) or not context.get("kind") or not context.get("subject"):
        raise NotAuthenticated("no-authorizer-context")
    return context


def caller_from_context(context: dict[str, Any]) -> Caller:
    try:
        return Caller(
            kind=CredentialKind(context["kind"]),
            subject=str(context["subject"]),
            tenant=str(context.get("tenant") or "") or None,
            role=Role(context["role"]) if context.get("role") else None,
            credential_id=str(context.get("credential_id") or "") or None,
            credential_name=str(context.get("credential_name") or "") or None,
            expires_at=(
                datetime.fromisoformat(context["expires_at"]) if context.get("expires_at") else None
            ),
            ceiling=Role(context["ceiling"]) if context.get("ceiling") else None,
        )
    except (KeyError, ValueError) as exc:
        raise NotAuthenticated("bad-authorizer-context") from exc


def get_caller(request: Request) -> Caller:
    """The authenticated caller, checked against the `{tenant_id}` of the path."""
    caller = caller_from_context(_authorizer_context(request))
    path_tenant = request.path_params.get("tenant_id")
    if path_tenant is not None and path_tenant not in (ACTIVE, caller.tenant):
        # The authorizer resolved another tenant than the path names: never act across.
        raise Forbidden(f"not a member of tenant {path_tenant}")
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]
