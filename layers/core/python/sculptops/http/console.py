"""The console's public routes: its page, its bundle's files and its sign-in settings.

Served by the identity function beside Swagger UI (functions/identity/handler.py), from the
same origin as the API: no CORS, one deploy, one CSP. The bundle is `web/`'s production build,
written into `static/console/` by `make console` (index.html and hashed `assets/*`). The app
routes with the URL's fragment (`/#/tokens`), so `/` is the only page there is.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse

from sculptops.domain.errors import NotFound
from sculptops.http.deps import ContainerDep
from sculptops.settings import Settings

log = logging.getLogger(__name__)

CONSOLE_DIR = Path(__file__).parent / "static" / "console"
API_BASE = "/api/v1"
# The bundle is text only (Vite inlines small images as data: URIs): each file type it may hold,
# all of which Mangum passes to API Gateway as text (the identity handler lists svg as text).
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
# Hashed names never change content: a browser keeps them for a year without asking again,
# which is what keeps the Lambda invocations per visit to the page and its config.
IMMUTABLE = "public, max-age=31536000, immutable"
_BASE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
# A stage in the URL (`/prod` on an execute-api host): a path segment API Gateway allows.
_PREFIX_RE = re.compile(r"^(/[A-Za-z0-9._~-]+)*$")


def content_security_policy(connect: tuple[str, ...] = ()) -> str:
    """The page's policy: this origin only, plus the origins it must fetch from (`connect`)."""
    connect_src = " ".join(("'self'", *connect))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect_src}; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'"
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _foreign_token_origin(settings: Settings, request: Request) -> tuple[str, ...]:
    """The token endpoint's origin when it is not this one: the page POSTs the code there."""
    endpoint = settings.oidc_token_endpoint
    if endpoint is None:
        return ()
    if urlsplit(endpoint).netloc == request.headers.get("host", ""):
        return ()  # the dev identity provider, on the local stack's own origin: 'self'
    return (_origin(endpoint),)


def _event(request: Request) -> dict[str, Any]:
    event = request.scope.get("aws.event")
    return event if isinstance(event, dict) else {}


def stage_prefix(request: Request) -> str:
    """What precedes the route in the browser's URL: `/prod` on an execute-api URL, else "".

    API Gateway's `requestContext.path` is the path as requested (stage included); `path` is
    the route's.
    """
    event = _event(request)
    context = event.get("requestContext")
    path = event.get("path")
    full = context.get("path") if isinstance(context, dict) else None
    if not isinstance(full, str) or not isinstance(path, str) or not full.endswith(path):
        return ""
    prefix = full[: len(full) - len(path)].rstrip("/")
    return prefix if _PREFIX_RE.fullmatch(prefix) else ""


def console_config(settings: Settings, prefix: str = "") -> dict[str, Any] | list[str]:
    """What the page needs to sign in, or the names of the settings that are missing."""
    required = {
        "SCULPTOPS_OIDC_ISSUER": settings.oidc_issuer,
        "SCULPTOPS_OIDC_AUTHORIZATION_ENDPOINT": settings.oidc_authorization_endpoint,
        "SCULPTOPS_OIDC_TOKEN_ENDPOINT": settings.oidc_token_endpoint,
        "SCULPTOPS_CONSOLE_CLIENT_ID": settings.console_client_id,
    }
    missing = [name for name, value in required.items() if value is None]
    if missing:
        return missing
    return {
        "oidc": {
            "issuer": settings.oidc_issuer,
            "authorization_endpoint": settings.oidc_authorization_endpoint,
            "token_endpoint": settings.oidc_token_endpoint,
            "client_id": settings.console_client_id,
            "scope": settings.console_scope,
            "end_session_endpoint": settings.oidc_end_session_endpoint,
        },
        "api_base": f"{prefix}{API_BASE}",
    }


public = APIRouter(include_in_schema=False)


@public.get("/", response_model=None)
def index(request: Request, c: ContainerDep) -> HTMLResponse | RedirectResponse:
    """The console's page."""
    full = (_event(request).get("requestContext") or {}).get("path")
    if isinstance(full, str) and full not in ("", "/") and not full.endswith("/"):
        # `/prod` (a stage without its slash): the page's relative URLs need `/prod/`.
        return RedirectResponse(f"{full.rsplit('/', 1)[-1]}/", status_code=308)
    page = CONSOLE_DIR / "index.html"
    if not page.is_file():
        log.error("the console is not built: run `make console`")
        raise NotFound("the console is not built")
    csp = content_security_policy(_foreign_token_origin(c.settings, request))
    return HTMLResponse(
        page.read_text(encoding="utf-8"),
        headers={**_BASE_HEADERS, "Content-Security-Policy": csp, "Cache-Control": "no-cache"},
    )


@public.get("/assets/{name}")
def asset(name: str) -> FileResponse:
    """One file of the console's bundle, by its exact (hashed) name."""
    folder = CONSOLE_DIR / "assets"
    # Only a name the folder lists: nothing a client writes ever becomes a path of its own.
    try:
        listed = {entry.name for entry in folder.iterdir() if entry.is_file()}
    except OSError:
        listed = set()
    suffix = Path(name).suffix if name in listed else ""
    if suffix not in CONTENT_TYPES:
        raise NotFound("no such asset")
    return FileResponse(
        folder / name,
        media_type=CONTENT_TYPES[suffix],
        headers={**_BASE_HEADERS, "Cache-Control": IMMUTABLE},
    )


@public.get("/console/config.json")
def config(request: Request, c: ContainerDep) -> JSONResponse:
    """The console's sign-in settings (a public client: nothing secret)."""
    found = console_config(c.settings, stage_prefix(request))
    if isinstance(found, list):
        log.error("the console cannot sign in: %s not set", ", ".join(found))
        return JSONResponse(
            {"message": f"The console is not configured: set {', '.join(found)}"},
            status_code=503,
            headers={**_BASE_HEADERS, "Cache-Control": "no-store"},
        )
    return JSONResponse(found, headers={**_BASE_HEADERS, "Cache-Control": "no-cache"})


routers = [public]
