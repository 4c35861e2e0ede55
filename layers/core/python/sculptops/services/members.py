"""A tenant's members and their roles: list (viewer+), add, change a role, remove (admins).

Each change is one transaction with its audit event, serialised by the tenant's membership
revision, and never leaves the tenant without an admin. A member's personal tokens are indexed
in the tenant (the admins' list) on add and dropped from it on remove.
"""

from __future__ import annotations

from dataclasses import replace

from sculptops.domain.errors import Conflict, NotFound
from sculptops.domain.governance import AuditType, Member, admins_after, new_event, normalise_email
from sculptops.domain.identity import Caller, User
from sculptops.domain.roles import Role
from sculptops.ports import Clock, IdentityStore, MemberStore, TokenLedger, TokenStore
from sculptops.services.governance_common import personal_tokens, tenant_of


class MemberService:
    def __init__(
        self,
        *,
        members: MemberStore,
        ledger: TokenLedger,
        tokens: TokenStore,
        identities: IdentityStore,
        clock: Clock,
    ) -> None:
        self._members = members
        self._ledger = ledger
        self._tokens = tokens
        self._identities = identities
        self._clock = clock

    def members(self, caller: Caller) -> list[Member]:
        """Who is in the caller's tenant, with which role (viewer+)."""
        caller.require(Role.VIEWER)
        members, _ = self._members.list_members(tenant_of(caller))
        return sorted(members, key=lambda m: (m.email, m.user_id))

    def add_member(self, caller: Caller, email: str, role: Role) -> Member:
        """Add a person by email. A user record is made if none exists yet; its id is the
        email, which the first sign-in matches (the identity provider's verified email)."""
        caller.require(Role.ADMIN)
        tenant = tenant_of(caller)
        address = normalise_email(email)
        members, revision = self._members.list_members(tenant)
        if any(address in (m.user_id, m.email) for m in members):
            raise Conflict(f"{address} is already a member of {tenant}")
        before = self._identities.get_user(address)
        now = self._clock.now()
        if before is None:
            after = User(
                id=address, email=address, name="", memberships={tenant: role}, active_tenant=tenant
            )
        else:
            after = replace(
                before,
                memberships={**before.memberships, tenant: role},
                active_tenant=before.active_tenant or tenant,
            )
        # Email and role only: the profile name a user has (from other tenants, from their
        # identity provider) is not revealed to whoever adds them by email.
        member = Member(after.id, after.email or address, "", role, now)
        event = new_event(
            caller,
            now,
            AuditType.MEMBER_ADDED,
            "member",
            target_user=after.id,
            details={"role": role.value, "email": address},
        )
        self._members.change_member(tenant, revision, before, after, member, event)
        # The user's existing tokens can act here from now on: index them for the admins' list.
        self._ledger.link_tokens(tenant, personal_tokens(self._tokens, after.id))
        return member

    def set_role(self, caller: Caller, user_id: str, role: Role) -> Member:
        """Change a member's role; in force on that user's next request, by every credential."""
        caller.require(Role.ADMIN)
        tenant = tenant_of(caller)
        members, revision = self._members.list_members(tenant)
        target = self._member(members, user_id, tenant)
        if target.role is role:
            return target
        if admins_after(members, user_id, role) == 0:
            raise Conflict(f"{user_id} is the last admin of {tenant}: make another admin first")
        before = self._user_in(user_id, tenant)
        after = replace(before, memberships={**before.memberships, tenant: role})
        member = replace(target, role=role)
        event = new_event(
            caller,
            self._clock.now(),
            AuditType.MEMBER_ROLE_CHANGED,
            "member",
            target_user=user_id,
            details={"from": target.role.value, "to": role.value},
        )
        self._members.change_member(tenant, revision, before, after, member, event)
        return member

    def remove_member(self, caller: Caller, user_id: str) -> None:
        """Remove a member; their credentials are refused here from their next request on."""
        caller.require(Role.ADMIN)
        tenant = tenant_of(caller)
        members, revision = self._members.list_members(tenant)
        target = self._member(members, user_id, tenant)
        if admins_after(members, user_id, None) == 0:
            raise Conflict(f"{user_id} is the last admin of {tenant}: make another admin first")
        before = self._user_in(user_id, tenant)
        remaining = {k: v for k, v in before.memberships.items() if k != tenant}
        active = before.active_tenant if before.active_tenant != tenant else None
        if active is None and remaining:
            active = sorted(remaining)[0]
        after = replace(before, memberships=remaining, active_tenant=active)
        event = new_event(
            caller,
            self._clock.now(),
            AuditType.MEMBER_REMOVED,
            "member",
            target_user=user_id,
            details={"role": target.role.value},
        )
        self._members.change_member(tenant, revision, before, after, None, event)
        self._ledger.unlink_user(tenant, user_id)

    @staticmethod
    def _member(members: list[Member], user_id: str, tenant: str) -> Member:
        found = next((m for m in members if m.user_id == user_id), None)
        if found is None:
            raise NotFound(f"member {user_id} not found in {tenant}")
        return found

    def _user_in(self, user_id: str, tenant: str) -> User:
        user = self._identities.get_user(user_id)
        if user is None or tenant not in user.memberships:
            raise NotFound(f"member {user_id} not found in {tenant}")
        return user
