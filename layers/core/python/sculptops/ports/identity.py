"""Ports of authentication: the clock, personal/agent tokens, users and tenants, JWTs."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # annotations only: the authorizer imports this module on its cold start
    from sculptops.domain.identity import Tenant, User
    from sculptops.domain.tokens import StoredToken, TokenPage


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class TokenStore(Protocol):
    def get(self, digest: str) -> StoredToken | None:
        """Strongly consistent read by digest on the primary key."""
        ...

    def put(self, token: StoredToken) -> None:
        """Store a new token; fails if the digest exists."""
        ...

    def list_for_owner(self, owner: str, cursor: str | None, limit: int) -> TokenPage:
        """The owner's tokens, newest first."""
        ...

    def find(self, owner: str, token_id: str) -> StoredToken | None:
        """One of the owner's tokens by id."""
        ...

    def delete(self, token: StoredToken) -> bool:
        """Delete one token; False when it was already gone."""
        ...

    def delete_many(self, tokens: Iterable[StoredToken]) -> int:
        """Delete tokens in batches; returns how many were deleted."""
        ...

    def record_use(self, token: StoredToken, when: datetime, ips: tuple[str, ...]) -> bool:
        """Set last_used_at and last_used_ips in one conditional write: only if the token
        exists and its last_used_at is still `token.last_used_at` (the value read). False when
        that no longer holds (a concurrent use won, or the token is gone)."""
        ...

    def shorten_overlap(self, token: StoredToken, until: datetime) -> bool:
        """Move a rotated-away token's overlap end back to `until`, in one conditional write:
        only if it exists, is still replaced by `token.superseded_by` and its overlap ends
        later. False when any of that no longer holds (nothing to shorten)."""
        ...


class CredentialReader(Protocol):
    def token_owner_tenant(
        self, digest: str, owner_key: str | None, slug: str | None
    ) -> tuple[StoredToken | None, User | None, Tenant | None]:
        """The token by digest, the user whose owner key (token_format.TokenHasher.owner_key)
        this is, and the tenant by slug, all strongly consistent and by primary key, in one request
        (DynamoDB: one BatchGetItem across both tables). A part not asked for (None) or not
        found is None."""
        ...


class IdentityStore(Protocol):
    def get_user(self, user_id: str) -> User | None:
        """Strongly consistent read of a user with their memberships."""
        ...

    def put_user(self, user: User) -> None: ...

    def get_tenant(self, slug: str) -> Tenant | None: ...

    def put_tenant(self, tenant: Tenant) -> None: ...

    def revoke_tokens_before(self, user_id: str, when: datetime) -> None:
        """Move the user's revocation watermark forward (never back)."""
        ...


class AccessTokenVerifier(Protocol):
    def verify(self, jwt: str) -> dict[str, Any]:
        """Verified claims of an OIDC access token; NotAuthenticated otherwise."""
        ...
