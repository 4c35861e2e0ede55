"""Who am I: /api/v1/me, /api/v1/{tenant_id}/me and /api/me.

The public routes the identity function also serves (health, docs) are in http/docs.py.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sculptops.http.deps import CallerDep, IdentityDep
from sculptops.http.schemas import MeOut
from sculptops.http.surfaces import CANONICAL, COMPAT, TENANTLESS, Surface, route


def me(caller: CallerDep, identity: IdentityDep) -> dict[str, Any]:
    """The caller: user, tenants and roles, active tenant, and the credential in use."""
    found = identity.me(caller)
    user = found.user
    return {
        "user": {"id": user.id, "email": user.email, "name": user.name} if user else None,
        "tenants": [{"slug": m.tenant, "name": m.name, "role": m.role} for m in found.memberships],
        "active_tenant": user.active_tenant if user else caller.tenant,
        "tenant": caller.tenant,
        "role": caller.role,
        "credential": {
            "kind": caller.kind.value,
            "id": caller.credential_id,
            "name": caller.credential_name,
            "expiry_date": caller.expires_at,
            "ceiling": caller.ceiling,
        },
    }


def register(surface: Surface, path: str) -> APIRouter:
    """Who-am-I on one surface, at `path` (the router has no prefix)."""
    router = surface.router("identity", with_prefix=False)
    route(router, "GET", path, response_model=surface.model(MeOut), summary="Who Am I")(me)
    return router


routers = [
    register(TENANTLESS, "/api/v1/me"),
    register(CANONICAL, "/api/v1/{tenant_id}/me"),
    register(COMPAT, "/api/me"),
]
