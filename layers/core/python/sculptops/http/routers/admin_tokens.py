"""The admins' view of every token that can act in the tenant; revoke one (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from sculptops.domain.governance import TenantToken, TokenState
from sculptops.http.deps import CallerDep, GovernanceDep
from sculptops.http.governance_schemas import TenantTokenList
from sculptops.http.surfaces import SURFACES, Surface, route
from sculptops.services.governance import LIMIT_MAX, REASON_MAX


def token_out(entry: TenantToken) -> dict[str, Any]:
    t = entry.token
    return {
        "id": t.id,
        "owner": t.owner,
        "name": t.name,
        "ceiling": t.ceiling,
        "created_at": t.created_at,
        "last_used_at": t.last_used_at,
        "expiry_date": t.expires_at,
        "state": entry.state,
    }


def list_tenant_tokens(
    caller: CallerDep,
    governance: GovernanceDep,
    user_id: Annotated[str | None, Query(max_length=254)] = None,
    state: TokenState | None = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = LIMIT_MAX,
) -> dict[str, Any]:
    """Every member's token that can act in this tenant, newest first: never a value."""
    page = governance.tenant_tokens(caller, user_id, state, cursor, limit)
    return {"tokens": [token_out(t) for t in page.tokens], "next_cursor": page.next_cursor}


def revoke_tenant_token(
    caller: CallerDep,
    governance: GovernanceDep,
    token_id: str,
    reason: Annotated[str | None, Query(max_length=REASON_MAX)] = None,
) -> Response:
    """Revoke a member's token at once; the owner is notified, the audit log says why."""
    governance.revoke_token(caller, token_id, reason)
    return Response(status_code=204)


def register(surface: Surface) -> APIRouter:
    router = surface.router("admin tokens")
    route(
        router,
        "GET",
        "/admin/tokens",
        slash_too=True,
        response_model=surface.model(TenantTokenList),
        summary="List Tenant Tokens",
    )(list_tenant_tokens)
    route(
        router,
        "DELETE",
        "/admin/tokens/{token_id}",
        status_code=204,
        response_class=Response,
        summary="Revoke Tenant Token",
    )(revoke_tenant_token)
    return router


routers = [register(s) for s in SURFACES]
