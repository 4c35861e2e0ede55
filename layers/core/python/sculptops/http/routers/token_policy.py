"""A tenant's token policy: admins only, maximum and default lifetime (admin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sculptops.domain.identity import TokenPolicy
from sculptops.http.deps import CallerDep, TokenPolicyDep
from sculptops.http.governance_schemas import TokenPolicyChanged, TokenPolicyIn, TokenPolicyOut
from sculptops.http.surfaces import SURFACES, Surface, route


def policy_out(policy: TokenPolicy) -> dict[str, Any]:
    return {
        "admins_only": policy.admins_only,
        "max_lifetime_days": policy.max_days,
        "default_lifetime_days": policy.default_days,
    }


def get_token_policy(caller: CallerDep, policies: TokenPolicyDep) -> dict[str, Any]:
    """The tenant's token policy."""
    return policy_out(policies.policy(caller))


def put_token_policy(
    caller: CallerDep, policies: TokenPolicyDep, body: TokenPolicyIn
) -> dict[str, Any]:
    """Replace the token policy; says how many tokens the new maximum just stopped."""
    change = policies.set_policy(
        caller, body.admins_only, body.max_lifetime_days, body.default_lifetime_days
    )
    return {**policy_out(change.policy), "tokens_stopped": change.tokens_stopped}


def register(surface: Surface) -> APIRouter:
    router = surface.router("token policy")
    m = surface.model
    route(
        router,
        "GET",
        "/settings/token-policy",
        response_model=m(TokenPolicyOut),
        summary="Get Token Policy",
    )(get_token_policy)
    route(
        router,
        "PUT",
        "/settings/token-policy",
        response_model=m(TokenPolicyChanged),
        summary="Set Token Policy",
    )(put_token_policy)
    return router


routers = [register(s) for s in SURFACES]
