"""The one OpenAPI document of the whole API, built from every function's routers."""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter

from sculptops.http.app import create_app
from sculptops.http.routers import (
    admin_tokens,
    agents,
    audit,
    catalog,
    credentials,
    executions,
    identity,
    members,
    notifications,
    token_policy,
    tokens,
)


def all_routers() -> list[APIRouter]:
    """Every function's API routers (the docs routes are not part of the document)."""
    return [
        *identity.routers,
        *tokens.routers,
        *catalog.routers,
        *executions.routers,
        *agents.routers,
        *credentials.routers,
        *members.routers,
        *token_policy.routers,
        *admin_tokens.routers,
        *audit.routers,
        *notifications.routers,
    ]


@functools.cache
def openapi_document() -> dict[str, Any]:
    return create_app(all_routers()).openapi()
