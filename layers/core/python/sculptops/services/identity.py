"""Who the caller is: user, tenants and roles, active tenant, and the credential in use."""

from __future__ import annotations

from dataclasses import dataclass

from sculptops.domain.errors import NotAuthenticated
from sculptops.domain.identity import Caller, CredentialKind, User
from sculptops.domain.roles import Role
from sculptops.ports import IdentityStore


@dataclass(frozen=True)
class Membership:
    tenant: str
    name: str
    role: Role


@dataclass(frozen=True)
class Me:
    caller: Caller
    user: User | None
    memberships: list[Membership]


class IdentityService:
    def __init__(self, *, identities: IdentityStore) -> None:
        self._identities = identities

    def me(self, caller: Caller) -> Me:
        """The caller, their tenants (each with the role a request there would have)."""
        if caller.kind is CredentialKind.AGENT:
            return Me(caller=caller, user=None, memberships=[])
        user = self._identities.get_user(caller.subject)
        if user is None:
            raise NotAuthenticated("unknown-user")
        memberships = []
        for slug, role in sorted(user.memberships.items()):
            tenant = self._identities.get_tenant(slug)
            memberships.append(
                Membership(
                    tenant=slug,
                    name=tenant.name if tenant else slug,
                    role=Role.lowest(role, caller.ceiling),
                )
            )
        return Me(caller=caller, user=user, memberships=memberships)
