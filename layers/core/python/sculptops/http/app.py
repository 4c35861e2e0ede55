"""The FastAPI app factory shared by every HTTP function."""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, FastAPI

from sculptops import __version__
from sculptops.http import errors
from sculptops.http.body import InputGuard
from sculptops.http.expiration_header import ExpirationHeader
from sculptops.http.headers import SecurityHeaders

DESCRIPTION = """
SculptOps runs Ansible playbooks for teams.

Authenticate with `Authorization: Bearer <token>` (a personal API token, an agent token or an
OIDC access token) or `X-API-Key: <token>`. Every route but the docs and `/health` needs it.
Revocation is immediate: the gateway does not cache authorizer results.

`/api/v1/{tenant_id}/...` is canonical (snake_case; `{tenant_id}` is a slug or `active`); `/api/...`
is the same operation on your active tenant with camelCase JSON.
"""


def create_app(routers: Iterable[APIRouter], *, title: str = "SculptOps API") -> FastAPI:
    """An app with the shared error handlers and the given routers; no docs of its own."""
    app = FastAPI(
        title=title,
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=False,
    )
    errors.install(app)
    for router in routers:
        app.include_router(router)
    # Body bytes as received, JSON depth, text rules: before anything parses (DESIGN §4).
    app.add_middleware(InputGuard)
    # SculptOps-Token-Expiration on answers of a token that expires within 7 days.
    app.add_middleware(ExpirationHeader)
    app.add_middleware(SecurityHeaders)  # outermost: every answer carries them, 413 included
    return app
