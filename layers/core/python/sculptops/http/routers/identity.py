"""Who am I: /api/v1/me, /api/v1/{tenant_id}/me and /api/me.

The public routes the identity function also serves (health, docs) are in routers/docs.py.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sculptops.bootstrap import container
from sculptops.domain.identity import Caller
from sculptops.http.caller import CallerDep
from sculptops.http.schemas import MeOut
from sculptops.http.surfaces import CANONICAL, COMPAT, TENANTLESS, Surface, route


def _me(caller: Caller) -> dict[str, Any]:
    me = container().identity.me(caller)
    user = me.user
    return {
        "user": {"id": user.id, "email": user.email, "name": user.name} if user else None,
        "tenants": [{"slug": m.tenant, "name": m.name, "role": m.role} for m in me.memberships],
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


def build_me_router(surface: Surface, path: str) -> APIRouter:
    router = surface.router("identity", with_prefix=False)

    @route(router, "GET", path, response_model=surface.model(MeOut), summary="Who Am I")
    def me(caller: CallerDep) -> dict[str, Any]:
        """The caller: user, tenants and roles, active tenant, and the credential in use."""
        return _me(caller)

    return router


routers = [
    build_me_router(TENANTLESS, "/api/v1/me"),
    build_me_router(CANONICAL, "/api/v1/{tenant_id}/me"),
    build_me_router(COMPAT, "/api/me"),
]
