"""The admins' view of every token that can act in the tenant; revoke one (admin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from sculptops.domain.governance import TenantToken, TokenState
from sculptops.http.deps import AdminTokensDep, CallerDep
from sculptops.http.fields import Label
from sculptops.http.governance_schemas import TenantTokenList
from sculptops.http.surfaces import SURFACES, Surface, route
from sculptops.services.governance_common import LIMIT_MAX, REASON_MAX

# Bounded before anything else and never echoed; its shape (`tok_` + 24 hex digits) is checked
# by the service after the caller's role, before any read.
TokenId = Annotated[str, Path(max_length=64)]


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
    admin: AdminTokensDep,
    user_id: Annotated[str | None, Query(max_length=254)] = None,
    state: TokenState | None = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=LIMIT_MAX)] = LIMIT_MAX,
) -> dict[str, Any]:
    """Every member's token that can act in this tenant, newest first: never a value."""
    page = admin.tenant_tokens(caller, user_id, state, cursor, limit)
    return {"tokens": [token_out(t) for t in page.tokens], "next_cursor": page.next_cursor}


def revoke_tenant_token(
    caller: CallerDep,
    admin: AdminTokensDep,
    token_id: TokenId,
    reason: Annotated[Label | None, Query(max_length=REASON_MAX)] = None,
) -> Response:
    """Revoke a member's token at once; the owner is notified, the audit log says why."""
    admin.revoke_token(caller, token_id, reason)
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
