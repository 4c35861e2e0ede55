"""Personal API tokens: create (value shown once), list, delete one, revoke all.

A token's ceiling governs token management too (DESIGN §3): a token with a ceiling lists, deletes
and revokes only tokens whose ceiling is at most its own; a JWT session or a token without a
ceiling manages all of its owner's tokens. Deleting a token deletes every token it minted,
transitively; a child minted while its parent is being deleted is caught by `_confirm_parent`.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sculptops.domain import ids, token_format
from sculptops.domain.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from sculptops.domain.governance import AuditEvent, AuditType, new_event
from sculptops.domain.identity import Caller, CredentialKind, Tenant
from sculptops.domain.roles import Role
from sculptops.domain.tokens import (
    DAYS_MAX,
    DAYS_MIN,
    NAME_MAX,
    StoredToken,
    TokenPage,
    descendants,
    may_manage,
)
from sculptops.ports import Clock, GovernanceStore, IdentityStore, TokenStore

LIST_LIMIT_DEFAULT = 100
LIST_LIMIT_MAX = 1000
ABOVE_CEILING = "this token cannot manage a token with a higher ceiling"


@dataclass(frozen=True)
class NewToken:
    name: str
    expiry_date: datetime | date | None = None
    expires_in_days: int | None = None
    ceiling: Role | None = None


@dataclass(frozen=True)
class CreatedToken:
    token: StoredToken
    value: str  # shown once, in the create response only


def _as_utc(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except (OverflowError, ValueError):  # year 9999 at -01:00, year 1 at +01:00
            raise InvalidInput("expiry_date", "is out of range once converted to UTC") from None
    # A bare date means the end of that day, UTC.
    return datetime.combine(value, time(23, 59, 59), tzinfo=UTC)


class TokenService:
    def __init__(
        self,
        *,
        tokens: TokenStore,
        identities: IdentityStore,
        hasher: token_format.TokenHasher,
        clock: Clock,
        prefix: str,
        governance: GovernanceStore | None = None,
    ) -> None:
        # With a governance store, each change is written with its audit event in one
        # transaction, and new tokens are indexed in their owner's tenants (admins' list).
        self._governance = governance
        self._tokens = tokens
        self._identities = identities
        self._hasher = hasher
        self._clock = clock
        self._prefix = prefix

    def create(self, caller: Caller, request: NewToken) -> CreatedToken:
        """Create a personal token for the caller. The value is returned once, never stored."""
        tenant = self._tenant_of(caller)
        if caller.kind is CredentialKind.AGENT:
            raise Forbidden("agent tokens cannot create personal tokens")
        if tenant.token_policy.admins_only and caller.role is not Role.ADMIN:
            raise Forbidden(f"tenant {tenant.slug} lets only admins create tokens")
        name = request.name.strip()
        if not 1 <= len(name) <= NAME_MAX:
            raise InvalidInput("name", f"must be 1 to {NAME_MAX} characters")
        now = self._clock.now()
        expires_at = self._expiry(caller, tenant, request, now)
        ceiling = self._ceiling(caller, request.ceiling)
        value = token_format.generate(self._prefix)
        token = StoredToken(
            digest=self._hasher.digest(value),
            id=ids.sortable_id("tok", int(now.timestamp() * 1000)),
            kind=CredentialKind.TOKEN,
            owner=caller.subject,
            name=name,
            created_at=now,
            expires_at=expires_at,
            tenant=tenant.slug,
            ceiling=ceiling,
            created_by=caller.credential_id,
        )
        if self._governance is None:
            self._tokens.put(token)
        else:
            owner = self._identities.get_user(caller.subject)
            event = new_event(
                caller,
                now,
                AuditType.TOKEN_CREATED,
                "token",
                target_id=token.id,
                target_user=token.owner,
                details={"name": token.name, "ceiling": ceiling.value if ceiling else None},
            )
            tenants = sorted(owner.memberships) if owner is not None else [tenant.slug]
            self._governance.create_token(token, tenants, event)
        self._confirm_parent(caller, token)
        return CreatedToken(token=token, value=value)

    def _confirm_parent(self, caller: Caller, child: StoredToken) -> None:
        """Undo a mint whose parent was deleted or revoked while the child was being written.

        Checked after the put, with strongly consistent reads: a parent deleted before this point
        is seen here, and one deleted after it finds the child when it cascades. The
        authorizer's hot path gains no read.
        """
        if caller.kind is not CredentialKind.TOKEN or caller.credential_id is None:
            return
        parent = self._tokens.find(caller.subject, caller.credential_id)
        alive = parent is not None and self._tokens.get(parent.digest) is not None
        if alive and parent is not None:
            user = self._identities.get_user(caller.subject)
            watermark = user.tokens_revoked_before if user is not None else None
            alive = user is not None and (watermark is None or parent.created_at > watermark)
        if not alive:
            self._tokens.delete(child)
            raise NotAuthenticated("parent-revoked")

    def _tenant_of(self, caller: Caller) -> Tenant:
        if caller.tenant is None:
            raise Forbidden("this route needs a tenant")
        tenant = self._identities.get_tenant(caller.tenant)
        if tenant is None:
            raise NotFound(f"tenant {caller.tenant} not found")
        return tenant

    @staticmethod
    def _expiry(caller: Caller, tenant: Tenant, request: NewToken, now: datetime) -> datetime:
        if request.expiry_date is not None and request.expires_in_days is not None:
            raise InvalidInput(
                "expiry_date", "give either expiry_date or expires_in_days, not both"
            )
        latest = now + timedelta(days=tenant.token_policy.max_days)
        if request.expires_in_days is not None:
            days = request.expires_in_days
            if not DAYS_MIN <= days <= min(DAYS_MAX, tenant.token_policy.max_days):
                top = min(DAYS_MAX, tenant.token_policy.max_days)
                raise InvalidInput("expires_in_days", f"must be between {DAYS_MIN} and {top}")
            expires_at = now + timedelta(days=days)
            field = "expires_in_days"
        elif request.expiry_date is not None:
            expires_at = _as_utc(request.expiry_date)
            field = "expiry_date"
            if expires_at <= now:
                raise InvalidInput("expiry_date", "must be in the future")
            if expires_at > latest:
                raise InvalidInput(
                    "expiry_date",
                    f"must be at most {tenant.token_policy.max_days} days from now",
                )
        else:
            default = tenant.token_policy.default_days
            expires_at = now + timedelta(days=default) if default else latest
            field = ""
        parent_expiry = caller.expires_at if caller.kind is CredentialKind.TOKEN else None
        if parent_expiry is not None and expires_at > parent_expiry:
            if field:
                raise InvalidInput(
                    field,
                    "a token cannot create a token that outlives it; choose an earlier expiry",
                )
            expires_at = parent_expiry
        return expires_at

    @staticmethod
    def _ceiling(caller: Caller, requested: Role | None) -> Role | None:
        if caller.kind is not CredentialKind.TOKEN or caller.ceiling is None:
            return requested
        if requested is None:
            return caller.ceiling
        if requested.rank > caller.ceiling.rank:
            raise InvalidInput(
                "ceiling", f"must not be above {caller.ceiling.value}, the ceiling of this token"
            )
        return requested

    def list(self, caller: Caller, cursor: str | None, limit: int) -> TokenPage:
        """The caller's tokens it may manage, newest first; never a value or a digest."""
        self._personal(caller)
        if not 1 <= limit <= LIST_LIMIT_MAX:
            raise InvalidInput("limit", f"must be between 1 and {LIST_LIMIT_MAX}")
        if cursor is not None and not ids.is_id(cursor, "tok"):
            raise InvalidInput("cursor", "is not a cursor this API returned")
        ceiling = _manages_up_to(caller)
        if ceiling is None:
            return self._tokens.list_for_owner(caller.subject, cursor, limit)
        shown: builtins.list[StoredToken] = []
        while True:  # bounded: every page moves the cursor on, and the owner's tokens are finite
            page = self._tokens.list_for_owner(caller.subject, cursor, limit)
            for token in page.tokens:
                if may_manage(ceiling, token):
                    shown.append(token)
                    if len(shown) == limit:
                        more = token is not page.tokens[-1] or page.next_cursor is not None
                        return TokenPage(shown, token.id if more else None)
            if page.next_cursor is None:
                return TokenPage(shown, None)
            cursor = page.next_cursor

    def delete(self, caller: Caller, token_id: str) -> None:
        """Delete one of the caller's tokens and every token it minted; refused from now on."""
        self._personal(caller)
        token = self._tokens.find(caller.subject, token_id) if ids.is_id(token_id, "tok") else None
        if token is None:
            raise NotFound(f"token {token_id} not found")
        if not may_manage(_manages_up_to(caller), token):
            raise Forbidden(ABOVE_CEILING)
        if self._governance is not None and caller.tenant is not None:
            event = new_event(
                caller,
                self._clock.now(),
                AuditType.TOKEN_DELETED,
                "token",
                target_id=token.id,
                target_user=token.owner,
                details={"name": token.name},
            )
            if not self._governance.delete_token(token, event):
                raise NotFound(f"token {token_id} not found")
            self._tokens.delete_many(descendants(self._all_of(token.owner), [token.id]))
            return
        if not self.delete_with_descendants(token):
            raise NotFound(f"token {token_id} not found")

    def delete_with_descendants(self, token: StoredToken) -> bool:
        """Delete a token, then every token it minted, transitively. False if it was gone.

        The token goes first, so that it can mint nothing more while its children are found.
        """
        deleted = self._tokens.delete(token)
        doomed = descendants(self._all_of(token.owner), [token.id])
        self._tokens.delete_many(doomed)
        return deleted

    def revoke_all(self, caller: Caller) -> int:
        """Revoke every token the caller may manage.

        A JWT session or a token without a ceiling revokes all of the owner's tokens at once by
        watermark, then deletes them. A token with a ceiling deletes only the tokens whose
        ceiling is at most its own (itself included) and the tokens they minted; the watermark,
        which would revoke tokens above it, is left alone.
        """
        self._personal(caller)
        ceiling = _manages_up_to(caller)
        if ceiling is not None:
            everything = self._all_of(caller.subject)
            mine = [t for t in everything if may_manage(ceiling, t)]
            doomed = {t.id: t for t in mine}
            doomed.update((t.id, t) for t in descendants(everything, [*doomed]))
            deleted_count = self._tokens.delete_many(doomed.values())
            if self._governance is not None and caller.tenant is not None:
                self._governance.put_events([self._revoked_all(caller, deleted_count)])
            return deleted_count
        if self._governance is not None and caller.tenant is not None:
            now = self._clock.now()
            self._governance.revoke_all(caller.subject, now, self._revoked_all(caller, None, now))
        else:
            self._identities.revoke_tokens_before(caller.subject, self._clock.now())
        deleted = 0
        cursor: str | None = None
        while True:
            page = self._tokens.list_for_owner(caller.subject, cursor, LIST_LIMIT_MAX)
            deleted += self._tokens.delete_many(page.tokens)
            if page.next_cursor is None:
                return deleted
            cursor = page.next_cursor

    def _revoked_all(
        self, caller: Caller, count: int | None, now: datetime | None = None
    ) -> AuditEvent:
        return new_event(
            caller,
            now or self._clock.now(),
            AuditType.TOKENS_REVOKED_ALL,
            "token",
            target_user=caller.subject,
            details={"ceiling": caller.ceiling.value if caller.ceiling else None, "count": count},
        )

    def _all_of(self, owner: str) -> builtins.list[StoredToken]:
        # `builtins.`: in this class, `list` is the method above.
        found: builtins.list[StoredToken] = []
        cursor: str | None = None
        while True:
            page = self._tokens.list_for_owner(owner, cursor, LIST_LIMIT_MAX)
            found.extend(page.tokens)
            if page.next_cursor is None:
                return found
            cursor = page.next_cursor

    @staticmethod
    def _personal(caller: Caller) -> None:
        if caller.kind is CredentialKind.AGENT:
            raise Forbidden("agent tokens have no personal tokens")


def _manages_up_to(caller: Caller) -> Role | None:
    """The highest ceiling the caller may manage; None for no limit (a JWT, an unlimited token)."""
    return caller.ceiling
