"""The FastAPI app factory shared by every HTTP function."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, FastAPI

from sculptops import __version__
from sculptops.http import errors

DESCRIPTION = """
SculptOps runs Ansible playbooks for teams.

Authenticate with `Authorization: Bearer <token>` (a personal API token, an agent token or an
OIDC access token) or `X-API-Key: <token>`. Every route but the docs and `/health` needs it.
Revocation is immediate: the gateway does not cache authorizer results.

`/api/v1/{tenant_id}/...` is canonical (snake_case; `{tenant_id}` is a slug or `active`); `/api/...`
is the same operation on your active tenant with camelCase JSON.
"""


MAX_BODY_BYTES = 1024 * 1024


class BodyLimit:
    """413 for a request body over MAX_BODY_BYTES, before anything parses it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers") or []).get(b"content-length")
            if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
                from fastapi.responses import JSONResponse

                response = JSONResponse(
                    status_code=413,
                    content={"message": f"Request body over {MAX_BODY_BYTES // 1024} KiB"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


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
    app.add_middleware(BodyLimit)
    return app


def all_routers() -> list[APIRouter]:
    """Every function's routers, for the one OpenAPI document of the whole API."""
    from sculptops.http.routers import agents, catalog, executions, identity, tokens

    return [
        *identity.routers,
        *tokens.routers,
        *catalog.routers,
        *executions.routers,
        *agents.routers,
    ]


@functools.cache
def openapi_document() -> dict[str, Any]:
    return create_app(all_routers()).openapi()
