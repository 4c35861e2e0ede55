"""Personal API tokens: create (value shown once), list, delete one, revoke all."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from sculptops.bootstrap import container
from sculptops.domain.roles import Role
from sculptops.domain.tokens import StoredToken
from sculptops.http.caller import CallerDep
from sculptops.http.schemas import TokenCreate, TokenCreated, TokenList
from sculptops.http.surfaces import SURFACES, Surface, route
from sculptops.services.tokens import LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, NewToken


def _info(token: StoredToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "expiry_date": token.expires_at,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "ceiling": token.ceiling,
    }


def build_router(surface: Surface) -> APIRouter:
    router = surface.router("tokens")

    @route(
        router,
        "POST",
        "/tokens/",
        slash_too=True,
        status_code=201,
        response_model=surface.model(TokenCreated),
        summary="Create API Token",
    )
    def create_token(caller: CallerDep, body: TokenCreate) -> dict[str, Any]:
        """Create a personal API token; its value is in this response only."""
        created = container().tokens.create(
            caller,
            NewToken(
                name=body.name,
                expiry_date=body.expiry_date,
                expires_in_days=body.expires_in_days,
                ceiling=Role(body.ceiling) if body.ceiling else None,
            ),
        )
        out = _info(created.token)
        out.pop("last_used_at")
        return {**out, "token": created.value}

    @route(
        router,
        "GET",
        "/tokens/",
        slash_too=True,
        response_model=surface.model(TokenList),
        summary="List API Tokens",
    )
    def list_tokens(
        caller: CallerDep,
        cursor: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=LIST_LIMIT_MAX)] = LIST_LIMIT_DEFAULT,
    ) -> dict[str, Any]:
        """List the caller's tokens, newest first: never a value or a digest."""
        page = container().tokens.list(caller, cursor, limit)
        return {"tokens": [_info(t) for t in page.tokens], "next_cursor": page.next_cursor}

    @route(
        router,
        "DELETE",
        "/tokens/",
        slash_too=True,
        status_code=204,
        response_class=Response,
        summary="Revoke All API Tokens",
    )
    def revoke_all_tokens(caller: CallerDep) -> Response:
        """Revoke every token of the caller, at once; idempotent."""
        container().tokens.revoke_all(caller)
        return Response(status_code=204)

    @route(
        router,
        "DELETE",
        "/tokens/{token_id}",
        status_code=204,
        response_class=Response,
        summary="Delete API Token",
        responses={404: {"description": "No such token of yours"}},
    )
    def delete_token(caller: CallerDep, token_id: str) -> Response:
        """Delete one of the caller's tokens; it is refused from the next request on."""
        container().tokens.delete(caller, token_id)
        return Response(status_code=204)

    return router


routers = [build_router(s) for s in SURFACES]
