"""Whether a personal token may act in a tenant now: the tenant admins' blocks (by the token's
own id or its lineage) and the tenant's lifetime policy. Apart from the rest of governance
(domain.governance re-exports it): the authorizer checks this on every request and needs
nothing else of it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sculptops.domain.errors import Forbidden, NotAuthenticated
from sculptops.domain.identity import Tenant
from sculptops.domain.roles import Role
from sculptops.domain.tokens import StoredToken


def lineage(token: StoredToken) -> tuple[str, ...]:
    """The ids besides its own whose block in a tenant stops the token there too: its rotation
    family (a rotated successor of a blocked token), the token that minted it and, from its
    stored lineage, every token above it in the minting tree and their rotation families. All
    of it is on the token's item: the check costs no read of its own. A token stored before
    lineage existed has only its family and its maker, as before."""
    ids_ = (token.family, token.created_by, *(token.lineage or ()), *token.lineage_families)
    return tuple(dict.fromkeys(i for i in ids_ if i and i != token.id))


def is_blocked(tenant: Tenant, token_id: str, token_lineage: tuple[str, ...] = ()) -> bool:
    blocked = tenant.blocked_tokens
    return bool(blocked) and (token_id in blocked or any(i in blocked for i in token_lineage))


def check_token_in(
    tenant: Tenant,
    role: Role,
    token_id: str,
    token_lineage: tuple[str, ...],
    created_at: datetime,
    expires_at: datetime | None,
) -> None:
    """Whether a personal token may act in the tenant now, as its owner with `role` there: the
    one rule for every way it is presented (the token itself, a stream ticket it asked for).

    NotAuthenticated (401) once an admin of the tenant revoked it here, or when its lifetime,
    creation to expiry, exceeds the tenant's maximum (as GitHub enforces its lifetime
    policies); Forbidden (403) for a non-admin's token where only admins may use tokens.
    """
    if is_blocked(tenant, token_id, token_lineage):
        raise NotAuthenticated("blocked")
    max_life = timedelta(days=tenant.token_policy.max_days)
    if expires_at is None or expires_at - created_at > max_life:
        raise NotAuthenticated("policy")
    if tenant.token_policy.admins_only and role is not Role.ADMIN:
        raise Forbidden(f"tenant {tenant.slug} lets only admins use API tokens")
