"""The two URL surfaces of every operation.

- canonical: `/api/v1/{tenant_id}/...`, snake_case JSON;
- compatibility: `/api/...`, the same operation on the caller's active tenant, camelCase JSON,
  so that clients written to the older docs work unchanged.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from fastapi import APIRouter, Depends, Path, Security
from fastapi import Query as QueryParam
from fastapi.params import Query
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.alias_generators import to_camel

from sculptops.http.casing import camel
from sculptops.http.schemas import ErrorOut


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
            prefix=self.prefix if with_prefix else "",
            tags=[self.tag(tag)],
            dependencies=deps,
            route_class=_route_class(self),
        )


@functools.cache
def _route_class(surface: Surface) -> type[APIRoute]:
    """An APIRoute that knows its surface, so that one handler serves both surfaces."""
    return type("SurfaceRoute", (APIRoute,), {"surface": surface})


def surface_of(route: object) -> Surface:
    """The surface of a route registered through `Surface.router` (see `deps.SurfaceDep`)."""
    surface = getattr(route, "surface", None)
    if not isinstance(surface, Surface):
        raise LookupError("the route was not registered through a Surface's router")
    return surface


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
    """Register a route; with `slash_too`, also its trailing-slash twin (no redirects).

    One handler serves every surface: on the camelCase one, its snake_case query parameters
    are named in camelCase (`_camel_queries`), and `deps.SurfaceDep` tells it which surface.
    """
    surface = getattr(router.route_class, "surface", None)

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        endpoint = _camel_queries(func) if isinstance(surface, Surface) and surface.camel else func
        responses = {**ERRORS, **kwargs.pop("responses", {})}
        router.add_api_route(path, endpoint, methods=[method], responses=responses, **kwargs)
        if slash_too:
            twin = path[:-1] if path.endswith("/") else f"{path}/"
            router.add_api_route(
                twin, endpoint, methods=[method], include_in_schema=False, **kwargs
            )
        return func

    return decorate


def _camel_queries(func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` as the camelCase surface declares it: a snake_case query parameter without an
    alias of its own is named in camelCase (`playbook_id` -> `?playbookId=`)."""
    try:
        signature = inspect.signature(func, eval_str=True)
    except NameError:  # a name only for type checkers: FastAPI does without it too
        return func
    params = [_camel_query(p) for p in signature.parameters.values()]
    if params == list(signature.parameters.values()):
        return func
    endpoint: Callable[..., Any]
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def endpoint(*args: Any, **kwargs: Any) -> Any:
            return await func(*args, **kwargs)
    else:

        @functools.wraps(func)
        def endpoint(*args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

    endpoint.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    return endpoint


def _camel_query(param: inspect.Parameter) -> inspect.Parameter:
    if "_" not in param.name or get_origin(param.annotation) is not Annotated:
        return param
    base, *extras = get_args(param.annotation)
    query = next((e for e in extras if isinstance(e, Query)), None)
    if query is None or query.alias not in (None, param.name):
        return param
    # A second Query after the first: FastAPI and pydantic merge them, the later alias wins.
    alias = QueryParam(alias=to_camel(param.name))
    return param.replace(annotation=Annotated[(base, *extras, alias)])
