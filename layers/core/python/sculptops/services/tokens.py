"""Personal API tokens: create (value shown once), list, delete one, revoke all.

A token's ceiling governs token management too (DESIGN §3): a token with a ceiling lists, deletes
and revokes only tokens whose ceiling is at most its own; a JWT session or a token without a
ceiling manages all of its owner's tokens. Deleting a token deletes every token it minted,
transitively; a child minted while its parent is being deleted is caught by `_confirm_parent`.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import date, datetime

from sculptops.domain import ids, token_format
from sculptops.domain.errors import (
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    Unavailable,
)
from sculptops.domain.governance import AuditEvent, AuditType, new_event
from sculptops.domain.identity import Caller, CredentialKind
from sculptops.domain.roles import Role
from sculptops.domain.rotation import UseState, taken_along, use_state
from sculptops.domain.tokens import (
    NAME_MAX,
    StoredToken,
    TokenPage,
    descendants,
    is_blank,
    may_manage,
)
from sculptops.ports import AuditLog, Clock, IdentityStore, TokenLedger, TokenStore
from sculptops.services import token_terms as terms
from sculptops.services.governance_common import revoke_each
from sculptops.services.rotation import Rotated, Rotation, TokenRotation

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


class TokenService:
    def __init__(
        self,
        *,
        tokens: TokenStore,
        identities: IdentityStore,
        hasher: token_format.TokenHasher,
        clock: Clock,
        prefix: str,
        ledger: TokenLedger | None = None,
        audit_log: AuditLog | None = None,
    ) -> None:
        # With a ledger, each change is written with its audit event in one transaction, and
        # new tokens are indexed in their owner's tenants (admins' list).
        self._ledger = ledger
        self._audit = audit_log
        self._tokens = tokens
        self._identities = identities
        self._hasher = hasher
        self._clock = clock
        self._prefix = prefix

    def create(self, caller: Caller, request: NewToken) -> CreatedToken:
        """Create a personal token for the caller. The value is returned once, never stored."""
        tenant = terms.tenant_of(caller, self._identities)
        terms.check_may_mint(caller, tenant)
        name = request.name.strip()
        if is_blank(name):
            raise InvalidInput("name", "must not be blank")
        if len(name) > NAME_MAX:
            raise InvalidInput("name", f"must be 1 to {NAME_MAX} characters")
        now = self._clock.now()
        # A token never mints one that outlives it.
        cap = caller.expires_at if caller.kind is CredentialKind.TOKEN else None
        expires_at = terms.expiry(tenant, request.expiry_date, request.expires_in_days, now, cap)
        ceiling = terms.ceiling(caller, request.ceiling)
        ancestors, families = terms.lineage_under(terms.minting_token(caller, self._tokens))
        value = token_format.generate(self._prefix, self._hasher.owner_key(caller.subject))
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
            lineage=ancestors,
            lineage_families=families,
        )
        if self._ledger is None:
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
            self._ledger.create(token, tenants, event)
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

    def list(self, caller: Caller, cursor: str | None, limit: int) -> TokenPage:
        """The caller's tokens it may manage, newest first; never a value or a digest."""
        self._personal(caller)
        if not 1 <= limit <= LIST_LIMIT_MAX:
            raise InvalidInput("limit", f"must be between 1 and {LIST_LIMIT_MAX}", "query")
        if cursor is not None and not ids.is_id(cursor, "tok"):
            raise InvalidInput("cursor", "is not a cursor this API returned", "query")
        ceiling = _manages_up_to(caller)
        now = self._clock.now()
        shown: builtins.list[StoredToken] = []
        while True:  # bounded: every page moves the cursor on, and the owner's tokens are finite
            page = self._tokens.list_for_owner(caller.subject, cursor, limit)
            for token in page.tokens:
                # A rotated-away token whose overlap is over works no more: not listed (its
                # item stays until its expiry, to detect a reuse).
                usable = use_state(token, now) is not UseState.REUSED
                if usable and may_manage(ceiling, token):
                    shown.append(token)
                    if len(shown) == limit:
                        more = token is not page.tokens[-1] or page.next_cursor is not None
                        return TokenPage(shown, token.id if more else None)
            if page.next_cursor is None:
                return TokenPage(shown, None)
            cursor = page.next_cursor

    def rotate(self, caller: Caller, token_id: str, request: Rotation) -> Rotated:
        """A new value for one of the caller's tokens (services.rotation); shown once."""
        if self._ledger is None:
            raise Unavailable("rotation needs the token ledger", 60)
        rotation = TokenRotation(
            self._tokens, self._identities, self._ledger, self._hasher, self._clock, self._prefix
        )
        return rotation.rotate(caller, token_id, request)

    def current(self, caller: Caller) -> StoredToken:
        """The personal token presenting this request (`GET /tokens/self`).

        NotFound for any other credential (an access token, an agent token): there is no
        token of this request to show.
        """
        token_id = self._presenting(caller)
        token = self._tokens.find(caller.subject, token_id)
        if token is None:
            raise NotFound("the token of this request is gone")
        return token

    def revoke_current(self, caller: Caller) -> None:
        """Delete the personal token presenting this request and every token it minted."""
        self.delete(caller, self._presenting(caller))

    @staticmethod
    def _presenting(caller: Caller) -> str:
        if caller.kind is not CredentialKind.TOKEN or caller.credential_id is None:
            raise NotFound("this request is not authenticated by a personal API token")
        return caller.credential_id

    def delete(self, caller: Caller, token_id: str) -> None:
        """Delete one of the caller's tokens and every token it minted; refused from now on."""
        self._personal(caller)
        token = self._tokens.find(caller.subject, token_id) if ids.is_id(token_id, "tok") else None
        if token is None:
            raise NotFound(f"token {token_id} not found")
        if not may_manage(_manages_up_to(caller), token):
            raise Forbidden(ABOVE_CEILING)
        if self._ledger is not None and caller.tenant is not None:
            now = self._clock.now()
            # One event per token that stops working: this one, the values it replaced in a
            # rotation, and every token any of them minted.
            doomed = taken_along(self._all_of(token.owner), token)
            events = [
                new_event(
                    caller,
                    now,
                    AuditType.TOKEN_DELETED,
                    "token",
                    target_id=t.id,
                    target_user=t.owner,
                    details={"name": t.name}
                    if t is token
                    else {"name": t.name, "minted_by": t.created_by, "deleted_with": token.id},
                )
                for t in doomed
            ]
            if not revoke_each(self._ledger, doomed, events):
                raise NotFound(f"token {token_id} not found")
            return
        if not self.delete_with_descendants(token):
            raise NotFound(f"token {token_id} not found")

    def delete_with_descendants(self, token: StoredToken) -> bool:
        """Delete a token, then every token it minted, transitively. False if it was gone.

        The token goes first, so that it can mint nothing more while its children are found.
        """
        deleted = self._tokens.delete(token)
        self._tokens.delete_many(taken_along(self._all_of(token.owner), token)[1:])
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
            if self._audit is not None and caller.tenant is not None:
                self._audit.put(self._revoked_all(caller, deleted_count))
            return deleted_count
        if self._ledger is not None and caller.tenant is not None:
            now = self._clock.now()
            self._ledger.revoke_all(caller.subject, now, self._revoked_all(caller, None, now))
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
