"""The public routes: health, the OpenAPI document of the whole API and Swagger UI.

Served by the identity function, beside who-am-I (functions/identity/handler.py). Not one of
`routers/`: it serves the document built from all of them (http/openapi.py), so it sits above.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse

from sculptops.domain.errors import NotFound
from sculptops.http.schemas import Health

log = logging.getLogger(__name__)

# Swagger UI 5 (npm `swagger-ui-dist`, pinned in package.json), copied here by `make swagger`, and
# the page's own init script: everything the docs page loads comes from this origin.
_STATIC = Path(__file__).parent / "static"
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

public = APIRouter(include_in_schema=False)


@public.get("/health", response_model=Health)
def health() -> dict[str, str]:
    """Liveness: answers without credentials."""
    return {"status": "ok"}


@public.get("/api/v1/openapi.json")
def openapi() -> JSONResponse:
    """The OpenAPI document of the whole API."""
    # Imported here: it imports every function's routers, which the identity function's cold
    # start need not pay for.
    from sculptops.http.openapi import openapi_document

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


routers = [public]
