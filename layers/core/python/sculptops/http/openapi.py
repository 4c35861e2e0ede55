"""The one OpenAPI document of the whole API, built from every function's routers."""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter

from sculptops.http.app import create_app
from sculptops.http.routers import agents, catalog, credentials, executions, identity, tokens


def all_routers() -> list[APIRouter]:
    """Every function's API routers (the docs routes are not part of the document)."""
    return [
        *identity.routers,
        *tokens.routers,
        *catalog.routers,
        *executions.routers,
        *agents.routers,
        *credentials.routers,
    ]


@functools.cache
def openapi_document() -> dict[str, Any]:
    return create_app(all_routers()).openapi()
