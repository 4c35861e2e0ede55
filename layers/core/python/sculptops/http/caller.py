"""The caller of a request, from the context that the authorizer gave API Gateway.

Functions trust only that context (injected by the gateway into the proxy event), never a
header the client sent. No context at all means the function was reached without the
authorizer: refuse.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPBearer

from sculptops.domain import caller_context
from sculptops.domain.errors import Forbidden, NotAuthenticated
from sculptops.domain.identity import ACTIVE, Caller
from sculptops.http.origin import request_origin

# Declared for the OpenAPI document (Swagger UI's "Authorize" button); their values are not used.
bearer_scheme = HTTPBearer(auto_error=False, description="A personal API token or OIDC JWT")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="A token")


def _authorizer_context(request: Request) -> Any:
    event = request.scope.get("aws.event")
    if not isinstance(event, dict):
        raise NotAuthenticated("no-authorizer-context")
    context = event.get("requestContext")
    return context.get("authorizer") if isinstance(context, dict) else None


def get_caller(request: Request) -> Caller:
    """The authenticated caller, checked against the `{tenant_id}` of the path."""
    caller = caller_context.decode(_authorizer_context(request))
    path_tenant = request.path_params.get("tenant_id")
    if path_tenant is not None and path_tenant not in (ACTIVE, caller.tenant):
        # The authorizer resolved another tenant than the path names: never act across.
        raise Forbidden(f"not a member of tenant {path_tenant}")
    # For the audit log: API Gateway's view of the request, never a client header.
    return replace(caller, origin=request_origin(request))


CallerDep = Annotated[Caller, Depends(get_caller)]
