"""Tenant governance: members and roles, the token policy, the admins' view of tokens, the audit
log and each user's notifications.

Every change is written with its audit event in one transaction (the store's job), and is in
force on the next request: the authorizer reads the user (memberships) and the tenant (policy)
by key, strongly consistent, on every request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sculptops.domain import ids
from sculptops.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from sculptops.domain.governance import (
    AuditPage,
    AuditType,
    Member,
    Notification,
    NotificationPage,
    TenantToken,
    TenantTokenPage,
    TokenState,
    admins_after,
    check_policy,
    lifetime_exceeds,
    new_event,
    normalise_email,
    state_of,
)
from sculptops.domain.identity import Caller, CredentialKind, Tenant, TokenPolicy, User
from sculptops.domain.roles import Role
from sculptops.domain.tokens import StoredToken, descendants
from sculptops.ports import Clock, GovernanceStore, IdentityStore, TokenStore

LIMIT_MAX = 100
# A filtered list reads at most this many index pages per request, then returns a cursor.
PAGES_MAX = 20
REASON_MAX = 200


@dataclass(frozen=True)
class PolicyChange:
    policy: TokenPolicy
    tokens_stopped: int  # tokens usable here before the change and refused from now on


def _limit(limit: int) -> None:
    if not 1 <= limit <= LIMIT_MAX:
        raise InvalidInput("limit", f"must be between 1 and {LIMIT_MAX}")


def _cursor(cursor: str | None, prefix: str) -> None:
    if cursor is not None and not ids.is_id(cursor, prefix):
        raise InvalidInput("cursor", "is not a cursor this API returned")


def _tenant(caller: Caller) -> str:
    if caller.tenant is None:
        raise Forbidden("this route needs a tenant")
    return caller.tenant


class GovernanceService:
    def __init__(
        self,
        *,
        store: GovernanceStore,
        tokens: TokenStore,
        identities: IdentityStore,
        clock: Clock,
    ) -> None:
        self._store = store
        self._tokens = tokens
        self._identities = identities
        self._clock = clock

    # ---- members ----

    def members(self, caller: Caller) -> list[Member]:
        """Who is in the caller's tenant, with which role (viewer+)."""
        caller.require(Role.VIEWER)
        members, _ = self._store.list_members(_tenant(caller))
        return sorted(members, key=lambda m: (m.email, m.user_id))

    def add_member(self, caller: Caller, email: str, role: Role) -> Member:
        """Add a person by email. A user record is made if none exists yet; its id is the
        email, which the first sign-in matches (the identity provider's verified email)."""
        caller.require(Role.ADMIN)
        tenant = _tenant(caller)
        address = normalise_email(email)
        members, revision = self._store.list_members(tenant)
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
        member = Member(after.id, after.email or address, after.name, role, now)
        event = new_event(
            caller,
            now,
            AuditType.MEMBER_ADDED,
            "member",
            target_user=after.id,
            details={"role": role.value, "email": address},
        )
        self._store.change_member(tenant, revision, before, after, member, event)
        # The user's existing tokens can act here from now on: index them for the admins' list.
        self._store.link_tokens(tenant, self._personal_tokens(after.id))
        return member

    def set_role(self, caller: Caller, user_id: str, role: Role) -> Member:
        """Change a member's role; in force on that user's next request, by every credential."""
        caller.require(Role.ADMIN)
        tenant = _tenant(caller)
        members, revision = self._store.list_members(tenant)
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
        self._store.change_member(tenant, revision, before, after, member, event)
        return member

    def remove_member(self, caller: Caller, user_id: str) -> None:
        """Remove a member; their credentials are refused here from their next request on."""
        caller.require(Role.ADMIN)
        tenant = _tenant(caller)
        members, revision = self._store.list_members(tenant)
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
        self._store.change_member(tenant, revision, before, after, None, event)
        self._store.unlink_user(tenant, user_id)

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

    def _personal_tokens(self, owner: str) -> list[StoredToken]:
        found: list[StoredToken] = []
        cursor: str | None = None
        while True:
            page = self._tokens.list_for_owner(owner, cursor, 1000)
            found.extend(t for t in page.tokens if t.kind is CredentialKind.TOKEN)
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor

    # ---- token policy ----

    def policy(self, caller: Caller) -> TokenPolicy:
        caller.require(Role.ADMIN)
        return self._tenant_record(_tenant(caller)).token_policy

    def set_policy(
        self, caller: Caller, admins_only: bool, max_days: int, default_days: int | None
    ) -> PolicyChange:
        """Replace the tenant's token policy. A token whose lifetime exceeds the new maximum is
        refused with 401 here from the next request on; the answer says how many that stopped."""
        caller.require(Role.ADMIN)
        tenant = self._tenant_record(_tenant(caller))
        check_policy(max_days, default_days)
        before = tenant.token_policy
        after = TokenPolicy(admins_only=admins_only, max_days=max_days, default_days=default_days)
        now = self._clock.now()
        stopped = [
            t
            for t in self._all_tenant_tokens(tenant.slug)
            if not t.expired(now)
            and lifetime_exceeds(t, after.max_days)
            and not lifetime_exceeds(t, before.max_days)
        ]
        event = new_event(
            caller,
            now,
            AuditType.POLICY_CHANGED,
            "policy",
            target_id=tenant.slug,
            details={
                "admins_only": after.admins_only,
                "max_lifetime_days": after.max_days,
                "default_lifetime_days": after.default_days,
                "previous_max_lifetime_days": before.max_days,
                "tokens_stopped": len(stopped),
            },
        )
        self._store.set_policy(tenant.slug, after, event)
        self._store.put_events(
            new_event(
                caller,
                now,
                AuditType.TOKEN_REFUSED_BY_POLICY,
                "token",
                target_id=t.id,
                target_user=t.owner,
                details={"name": t.name, "max_lifetime_days": after.max_days},
            )
            for t in stopped
        )
        return PolicyChange(policy=after, tokens_stopped=len(stopped))

    def _tenant_record(self, slug: str) -> Tenant:
        tenant = self._identities.get_tenant(slug)
        if tenant is None:
            raise NotFound(f"tenant {slug} not found")
        return tenant

    def _all_tenant_tokens(self, tenant: str) -> list[StoredToken]:
        found: list[StoredToken] = []
        cursor: str | None = None
        while True:
            page = self._store.tenant_tokens(tenant, cursor, LIMIT_MAX)
            found.extend(page.tokens)
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor

    # ---- the admins' view of tokens ----

    def tenant_tokens(
        self,
        caller: Caller,
        user_id: str | None,
        state: TokenState | None,
        cursor: str | None,
        limit: int,
    ) -> TenantTokenPage:
        """Every personal token that can act in the tenant: its members' tokens, newest first.
        Never a value or a digest."""
        caller.require(Role.ADMIN)
        tenant = _tenant(caller)
        _limit(limit)
        _cursor(cursor, "tok")
        members = {m.user_id for m in self._store.list_members(tenant)[0]}
        max_days = self._tenant_record(tenant).token_policy.max_days
        now = self._clock.now()
        shown: list[TenantToken] = []
        for _ in range(PAGES_MAX):
            page = self._store.tenant_tokens(tenant, cursor, limit)
            for token in page.tokens:
                if token.owner not in members or (user_id and token.owner != user_id):
                    continue
                current = state_of(token, max_days, now)
                if state is not None and current is not state:
                    continue
                shown.append(TenantToken(token, current))
                if len(shown) == limit:
                    more = token is not page.tokens[-1] or page.next_cursor is not None
                    return TenantTokenPage(shown, token.id if more else None)
            if page.next_cursor is None:
                return TenantTokenPage(shown, None)
            cursor = page.next_cursor
        return TenantTokenPage(shown, cursor)  # bounded work: the client asks for more

    def revoke_token(self, caller: Caller, token_id: str, reason: str | None) -> None:
        """Revoke a member's token (and every token it minted); the owner is notified and the
        audit log says who and why."""
        caller.require(Role.ADMIN)
        tenant = _tenant(caller)
        if reason is not None and len(reason) > REASON_MAX:
            raise InvalidInput("reason", f"must be at most {REASON_MAX} characters")
        token = self._store.tenant_token(tenant, token_id) if ids.is_id(token_id, "tok") else None
        members = {m.user_id for m in self._store.list_members(tenant)[0]}
        if token is None or token.owner not in members:
            raise NotFound(f"token {token_id} not found in {tenant}")
        now = self._clock.now()
        why = f" Reason: {reason}" if reason else ""
        event = new_event(
            caller,
            now,
            AuditType.TOKEN_REVOKED_BY_ADMIN,
            "token",
            target_id=token.id,
            target_user=token.owner,
            details={"name": token.name, "reason": reason or None},
        )
        notice = Notification(
            id=ids.sortable_id("ntf", int(now.timestamp() * 1000)),
            user_id=token.owner,
            type=AuditType.TOKEN_REVOKED_BY_ADMIN.value,
            created_at=now,
            message=(
                f"Your token {token.name!r} ({token.id}) was revoked by {caller.subject},"
                f" an admin of {tenant}.{why}"
            ),
            token_id=token.id,
            tenant=tenant,
        )
        if not self._store.revoke_by_admin(tenant, token, event, notice):
            raise NotFound(f"token {token_id} not found in {tenant}")
        self._tokens.delete_many(descendants(self._personal_tokens(token.owner), [token.id]))

    # ---- audit log and notifications ----

    def audit_events(
        self,
        caller: Caller,
        cursor: str | None,
        limit: int,
        type_: AuditType | None,
        actor: str | None,
    ) -> AuditPage:
        caller.require(Role.ADMIN)
        _limit(limit)
        _cursor(cursor, "evt")
        return self._store.list_events(_tenant(caller), cursor, limit, type_, actor)

    def notifications(self, caller: Caller, cursor: str | None, limit: int) -> NotificationPage:
        """The caller's own notifications, newest first."""
        if caller.kind is CredentialKind.AGENT:
            raise Forbidden("agent tokens have no notifications")
        _limit(limit)
        _cursor(cursor, "ntf")
        return self._store.list_notifications(caller.subject, cursor, limit)
