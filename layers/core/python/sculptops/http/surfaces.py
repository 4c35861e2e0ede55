"""The two URL surfaces of every operation.

- canonical: `/api/v1/{tenant_id}/...`, snake_case JSON;
- compatibility: `/api/...`, the same operation on the caller's active tenant, camelCase JSON,
  so that clients written to the older docs work unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Path, Security
from pydantic import BaseModel

from sculptops.http.schemas import ErrorOut, camel


@dataclass(frozen=True)
class Surface:
    prefix: str
    camel: bool
    tag_suffix: str

    def model(self, model: type[BaseModel]) -> type[BaseModel]:
        return camel(model) if self.camel else model

    def tag(self, name: str) -> str:
        return f"{name}{self.tag_suffix}"

    def router(self, tag: str, *, with_prefix: bool = True) -> APIRouter:
        """A router for this surface: prefix, tag, security schemes and `{tenant_id}` declared."""
        from sculptops.http.caller import api_key_scheme, bearer_scheme

        deps: list[Any] = [Security(bearer_scheme), Security(api_key_scheme)]
        if "{tenant_id}" in self.prefix:
            deps.append(Depends(tenant_path))
        return APIRouter(
            prefix=self.prefix if with_prefix else "", tags=[self.tag(tag)], dependencies=deps
        )


def tenant_path(
    tenant_id: str = Path(
        description="A tenant slug, or `active` for your active tenant",
        min_length=1,
        max_length=40,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
    ),
) -> str:
    return tenant_id


CANONICAL = Surface(prefix="/api/v1/{tenant_id}", camel=False, tag_suffix="")
COMPAT = Surface(prefix="/api", camel=True, tag_suffix=" (compatibility)")
SURFACES = (CANONICAL, COMPAT)
# Canonical JSON on a route without `{tenant_id}`, such as /api/v1/me.
TENANTLESS = Surface(prefix="/api/v1", camel=False, tag_suffix="")

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Missing, malformed, unknown, expired or revoked"},
    403: {"model": ErrorOut, "description": "Authenticated, but not allowed"},
    404: {"model": ErrorOut, "description": "No such resource in this tenant, or no such route"},
    413: {"model": ErrorOut, "description": "The request body is over 1 MiB"},
    422: {"model": ErrorOut, "description": "Bad input; `errors` names the fields"},
    429: {
        "model": ErrorOut,
        "description": "Too many requests or failed sign-ins; see Retry-After",
    },
    503: {"model": ErrorOut, "description": "A dependency is busy; retry after Retry-After"},
}


def route(
    router: APIRouter,
    method: str,
    path: str,
    *,
    slash_too: bool = False,
    **kwargs: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a route; with `slash_too`, also its trailing-slash twin (no redirects)."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        responses = {**ERRORS, **kwargs.pop("responses", {})}
        router.add_api_route(path, func, methods=[method], responses=responses, **kwargs)
        if slash_too:
            twin = path[:-1] if path.endswith("/") else f"{path}/"
            router.add_api_route(twin, func, methods=[method], include_in_schema=False, **kwargs)
        return func

    return decorate
