"""Who am I, plus the public routes: health, the OpenAPI document and Swagger UI."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse

from sculptops.bootstrap import container
from sculptops.domain.errors import NotFound
from sculptops.domain.identity import Caller
from sculptops.http.caller import CallerDep
from sculptops.http.schemas import Health, MeOut
from sculptops.http.surfaces import CANONICAL, COMPAT, TENANTLESS, Surface, route

log = logging.getLogger(__name__)

# Swagger UI 5 (npm `swagger-ui-dist`, pinned in package.json), copied here by `make swagger`, and
# the page's own init script: everything the docs page loads comes from this origin.
_STATIC = Path(__file__).parents[1] / "static"
_SWAGGER_ASSETS = {
    "swagger-ui-bundle.js": _STATIC / "swagger" / "swagger-ui-bundle.js",
    "swagger-ui.css": _STATIC / "swagger" / "swagger-ui.css",
    "favicon-32x32.png": _STATIC / "swagger" / "favicon-32x32.png",
    "swagger-init.js": _STATIC / "swagger-init.js",
}
# No inline script anywhere: the init lives in swagger-init.js. Swagger UI sets inline styles and
# uses data: images (its icons); it fetches nothing but the OpenAPI document.
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors 'none'"
)
_NOSNIFF = {"X-Content-Type-Options": "nosniff"}


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
    return HTMLResponse(
        (_STATIC / "docs.html").read_text(encoding="utf-8"),
        headers={"Content-Security-Policy": DOCS_CSP, **_NOSNIFF},
    )


@public.get("/api/v1/docs/")
def docs_slash() -> RedirectResponse:
    """The trailing-slash twin: back to the page, whose relative URLs need the slashless path."""
    # Relative, so it also works under an API Gateway stage prefix.
    return RedirectResponse("../docs", status_code=308, headers=_NOSNIFF)


@public.get("/api/v1/docs/assets/{name}")
def docs_asset(name: str) -> FileResponse:
    """One of Swagger UI's static files."""
    path = _SWAGGER_ASSETS.get(name)
    if path is None:
        raise NotFound("no such asset")
    if not path.is_file():
        log.error("Swagger UI asset %s is missing: build with `make swagger`", name)
        raise NotFound("no such asset")
    return FileResponse(path, headers=_NOSNIFF)


routers = [
    public,
    build_me_router(TENANTLESS, "/api/v1/me"),
    build_me_router(CANONICAL, "/api/v1/{tenant_id}/me"),
    build_me_router(COMPAT, "/api/me"),
]
