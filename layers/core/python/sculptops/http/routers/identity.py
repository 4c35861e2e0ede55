"""Who am I, plus the public routes: health, the OpenAPI document and Swagger UI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from sculptops.bootstrap import container
from sculptops.domain.errors import NotFound
from sculptops.domain.identity import Caller
from sculptops.http.caller import CallerDep
from sculptops.http.schemas import Health, MeOut
from sculptops.http.surfaces import CANONICAL, COMPAT, TENANTLESS, Surface, route

_SWAGGER_ASSETS = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}


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

    @route(router, "GET", path, response_model=surface.model(MeOut), summary="Who am I")
    def me(caller: CallerDep) -> dict[str, Any]:
        """The caller: user, tenants and roles, active tenant, and the credential in use."""
        return _me(caller)

    return router


public = APIRouter(include_in_schema=False)


@public.get("/health", response_model=Health)
def health() -> dict[str, str]:
    """Liveness: answers without credentials."""
    return {"status": "ok"}


@public.get("/api/v1/openapi.json")
def openapi() -> JSONResponse:
    """The OpenAPI document of the whole API."""
    from sculptops.http.app import openapi_document

    return JSONResponse(openapi_document())


@public.get("/api/v1/docs")
def docs() -> HTMLResponse:
    """Swagger UI, with its assets served from here (no third-party CDN)."""
    # Relative URLs, so the page also works under an API Gateway stage prefix.
    return get_swagger_ui_html(
        openapi_url="openapi.json",
        title="SculptOps API",
        swagger_js_url="docs/assets/swagger-ui-bundle.js",
        swagger_css_url="docs/assets/swagger-ui.css",
        swagger_favicon_url="docs/assets/favicon-32x32.png",
        swagger_ui_parameters={"persistAuthorization": False},
    )


@public.get("/api/v1/docs/assets/{name}")
def docs_asset(name: str) -> FileResponse:
    """One of Swagger UI's static files."""
    import swagger_ui_bundle

    if name not in _SWAGGER_ASSETS:
        raise NotFound("no such asset")
    return FileResponse(Path(swagger_ui_bundle.swagger_ui_path) / name)


routers = [
    public,
    build_me_router(TENANTLESS, "/api/v1/me"),
    build_me_router(CANONICAL, "/api/v1/{tenant_id}/me"),
    build_me_router(COMPAT, "/api/me"),
]
