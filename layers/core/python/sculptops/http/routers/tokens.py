"""Personal API tokens: create (value shown once), list, delete one, revoke all, rotate, self."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from sculptops.domain.roles import Role
from sculptops.domain.tokens import StoredToken
from sculptops.http.deps import CallerDep, TokensDep
from sculptops.http.schemas import TokenCreate, TokenCreated, TokenInfo, TokenList
from sculptops.http.surfaces import SURFACES, Surface, route
from sculptops.http.token_schemas import TokenRotate, TokenRotated
from sculptops.services.rotation import Rotation
from sculptops.services.tokens import LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, NewToken


def _info(token: StoredToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "expiry_date": token.expires_at,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "last_used_ips": list(token.last_used_ips),
        "ceiling": token.ceiling,
        "replaced_by": token.superseded_by,
        "works_until": token.valid_until if token.superseded_by else None,
    }


def create_token(caller: CallerDep, tokens: TokensDep, body: TokenCreate) -> dict[str, Any]:
    """Create a personal API token; its value is in this response only."""
    created = tokens.create(
        caller,
        NewToken(
            name=body.name,
            expiry_date=body.expiry_date,
            expires_in_days=body.expires_in_days,
            ceiling=Role(body.ceiling) if body.ceiling else None,
        ),
    )
    out = _info(created.token)
    for unset in ("last_used_at", "last_used_ips", "replaced_by", "works_until"):
        out.pop(unset)
    return {**out, "token": created.value}


def list_tokens(
    caller: CallerDep,
    tokens: TokensDep,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=LIST_LIMIT_MAX)] = LIST_LIMIT_DEFAULT,
) -> dict[str, Any]:
    """List the caller's tokens, newest first: never a value or a digest."""
    page = tokens.list(caller, cursor, limit)
    return {"tokens": [_info(t) for t in page.tokens], "next_cursor": page.next_cursor}


def revoke_all_tokens(caller: CallerDep, tokens: TokensDep) -> Response:
    """Revoke every token of the caller, at once; idempotent."""
    tokens.revoke_all(caller)
    return Response(status_code=204)


def delete_token(caller: CallerDep, tokens: TokensDep, token_id: str) -> Response:
    """Delete one of the caller's tokens; it is refused from the next request on."""
    tokens.delete(caller, token_id)
    return Response(status_code=204)


def rotate_token(
    caller: CallerDep, tokens: TokensDep, token_id: str, body: TokenRotate | None = None
) -> dict[str, Any]:
    """Rotate a token: a new value, same name and ceiling; the old one fails after the overlap."""
    request = body or TokenRotate()
    rotated = tokens.rotate(
        caller,
        token_id,
        Rotation(
            expiry_date=request.expiry_date,
            expires_in_days=request.expires_in_days,
            overlap_seconds=request.overlap_seconds,
        ),
    )
    out = _info(rotated.token)
    for unset in ("last_used_at", "last_used_ips", "replaced_by", "works_until"):
        out.pop(unset)
    return {
        **out,
        "token": rotated.value,
        "rotated_from": rotated.old.id,
        "old_valid_until": rotated.old.valid_until,
    }


def get_self(caller: CallerDep, tokens: TokensDep) -> dict[str, Any]:
    """The personal token of this request: id, name, ceiling, expiry, last use."""
    return _info(tokens.current(caller))


def delete_self(caller: CallerDep, tokens: TokensDep) -> Response:
    """Revoke the personal token of this request (and the tokens it minted)."""
    tokens.revoke_current(caller)
    return Response(status_code=204)


def register(surface: Surface) -> APIRouter:
    """The token routes of one surface."""
    router = surface.router("tokens")
    m = surface.model
    route(
        router,
        "POST",
        "/tokens/",
        slash_too=True,
        status_code=201,
        response_model=m(TokenCreated),
        summary="Create API Token",
    )(create_token)
    route(
        router,
        "GET",
        "/tokens/",
        slash_too=True,
        response_model=m(TokenList),
        summary="List API Tokens",
    )(list_tokens)
    route(
        router,
        "DELETE",
        "/tokens/",
        slash_too=True,
        status_code=204,
        response_class=Response,
        summary="Revoke All API Tokens",
    )(revoke_all_tokens)
    not_a_token = {404: {"description": "This request's credential is not a personal token"}}
    route(
        router,
        "GET",
        "/tokens/self",
        slash_too=True,
        response_model=m(TokenInfo),
        summary="Get The API Token Of This Request",
        responses=not_a_token,
    )(get_self)
    route(
        router,
        "DELETE",
        "/tokens/self",
        slash_too=True,
        status_code=204,
        response_class=Response,
        summary="Revoke The API Token Of This Request",
        responses=not_a_token,
    )(delete_self)
    route(
        router,
        "POST",
        "/tokens/{token_id}/rotate",
        status_code=201,
        response_model=m(TokenRotated),
        summary="Rotate API Token",
        responses={
            404: {"description": "No such token of yours"},
            409: {"description": "Rotated already, or expired"},
        },
    )(rotate_token)
    route(
        router,
        "DELETE",
        "/tokens/{token_id}",
        status_code=204,
        response_class=Response,
        summary="Delete API Token",
        responses={404: {"description": "No such token of yours"}},
    )(delete_token)
    return router


routers = [register(s) for s in SURFACES]
