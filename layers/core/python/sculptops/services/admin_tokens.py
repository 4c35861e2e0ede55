"""The admins' view of a tenant's tokens: every personal token of its members, with its state,
and revocation by an admin (the owner is notified; the audit log says who and why).

An admin's revoke acts in the admin's tenant only. A user's token works in every tenant the user
belongs to; when the owner belongs to other tenants too, the token (with its rotation family and
what it minted) is blocked in this tenant and keeps working there. When this is the owner's only
tenant, the token and what it minted are deleted. Either way each token that stops working gets
its own audit event.
"""

from __future__ import annotations

from datetime import datetime

from sculptops.domain import ids
from sculptops.domain.admission import is_blocked, lineage
from sculptops.domain.errors import InvalidInput, NotFound
from sculptops.domain.governance import (
    AuditEvent,
    AuditType,
    Notification,
    TenantToken,
    TenantTokenPage,
    TokenState,
    new_event,
    state_of,
)
from sculptops.domain.identity import Caller
from sculptops.domain.roles import Role
from sculptops.domain.rotation import UseState, family_taken_along, use_state
from sculptops.domain.tokens import StoredToken
from sculptops.ports import Clock, IdentityStore, MemberStore, TokenLedger, TokenStore
from sculptops.services.governance_common import (
    PAGES_MAX,
    REASON_MAX,
    check_cursor,
    check_limit,
    personal_tokens,
    revoke_each,
    tenant_of,
    tenant_record,
)


class AdminTokenService:
    def __init__(
        self,
        *,
        ledger: TokenLedger,
        members: MemberStore,
        tokens: TokenStore,
        identities: IdentityStore,
        clock: Clock,
    ) -> None:
        self._ledger = ledger
        self._members = members
        self._tokens = tokens
        self._identities = identities
        self._clock = clock

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
        tenant = tenant_of(caller)
        check_limit(limit)
        check_cursor(cursor, "tok")
        members = {m.user_id for m in self._members.list_members(tenant)[0]}
        record = tenant_record(self._identities, tenant)
        max_days = record.token_policy.max_days
        now = self._clock.now()
        shown: list[TenantToken] = []
        for _ in range(PAGES_MAX):
            page = self._ledger.tenant_tokens(tenant, cursor, limit)
            for token in page.tokens:
                if token.owner not in members or (user_id and token.owner != user_id):
                    continue
                if use_state(token, now) is UseState.REUSED:
                    continue  # rotated away, its overlap over: works no more (owner's list too)
                blocked = is_blocked(record, token.id, lineage(token))
                current = state_of(token, max_days, now, blocked)
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
        """Revoke a member's token, and every token it minted, in this tenant: blocked here if
        the owner belongs to other tenants too, deleted if this is their only one. The owner
        is notified; the audit log has an event for each token that stopped working here."""
        caller.require(Role.ADMIN)
        tenant = tenant_of(caller)
        if reason is not None and len(reason) > REASON_MAX:
            raise InvalidInput("reason", f"must be at most {REASON_MAX} characters", "query")
        if not ids.is_id(token_id, "tok"):
            raise InvalidInput("token_id", "is not a token id (tok_ and 24 hex digits)", "path")
        token = self._ledger.tenant_token(tenant, token_id)
        members = {m.user_id for m in self._members.list_members(tenant)[0]}
        if token is None or token.owner not in members:
            raise NotFound(f"token {token_id} not found in {tenant}")
        if is_blocked(tenant_record(self._identities, tenant), token.id, lineage(token)):
            raise NotFound(f"token {token_id} not found in {tenant}")  # revoked here already
        owner = self._identities.get_user(token.owner)
        elsewhere = owner is not None and any(t != tenant for t in owner.memberships)
        now = self._clock.now()
        # The whole rotation family goes, as a block here would (by family id), and all it minted.
        stopped = family_taken_along(personal_tokens(self._tokens, token.owner), token)
        minted = stopped[1:]
        events = [self._event(caller, tenant, t, token, reason, elsewhere, now) for t in stopped]
        notice = self._notice(caller, tenant, token, reason, elsewhere, len(minted), now)
        if elsewhere:
            blocked = {i for t in stopped for i in (t.id, t.family_id)}
            done = self._ledger.block(tenant, token, blocked, events, notice)
        else:
            done = revoke_each(self._ledger, stopped, events, notice, unlink_from=[tenant])
        if not done:
            raise NotFound(f"token {token_id} not found in {tenant}")
        if not elsewhere:
            # A rotation that committed while the family was being revoked made a value the
            # first look missed: look again, and revoke what is new (the rotation checks too).
            gone = {t.id for t in stopped}
            again = family_taken_along(personal_tokens(self._tokens, token.owner), token)
            late = [t for t in again if t.id not in gone]
            if late:
                late_events = [
                    self._event(caller, tenant, t, token, reason, elsewhere, now) for t in late
                ]
                revoke_each(self._ledger, late, late_events, unlink_from=[tenant])

    @staticmethod
    def _event(
        caller: Caller,
        tenant: str,
        token: StoredToken,
        asked: StoredToken,
        reason: str | None,
        elsewhere: bool,
        now: datetime,
    ) -> AuditEvent:
        details: dict[str, str | int | bool | None] = {
            "name": token.name,
            "reason": reason or None,
            "tenant": tenant,
            # blocked in this tenant only (the owner's other tenants still accept it), or gone
            "scope": "tenant" if elsewhere else "deleted",
        }
        if token is not asked:
            details["minted_by"] = token.created_by
            details["revoked_with"] = asked.id
        return new_event(
            caller,
            now,
            AuditType.TOKEN_REVOKED_BY_ADMIN,
            "token",
            target_id=token.id,
            target_user=token.owner,
            details=details,
        )

    @staticmethod
    def _notice(
        caller: Caller,
        tenant: str,
        token: StoredToken,
        reason: str | None,
        elsewhere: bool,
        minted: int,
        now: datetime,
    ) -> Notification:
        where = (
            f" in tenant {tenant} only; it still works in your other tenants"
            if elsewhere
            else f" in tenant {tenant}, your only tenant: it is deleted"
        )
        also = f" The {minted} token(s) it minted went with it." if minted else ""
        why = f" Reason: {reason}" if reason else ""
        return Notification(
            id=ids.sortable_id("ntf", int(now.timestamp() * 1000)),
            user_id=token.owner,
            type=AuditType.TOKEN_REVOKED_BY_ADMIN.value,
            created_at=now,
            message=(
                f"Your token {token.name!r} ({token.id}) was revoked by {caller.subject},"
                f" an admin of {tenant},{where}.{also}{why}"
            ),
            token_id=token.id,
            tenant=tenant,
        )
