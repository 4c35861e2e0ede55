"""Ports: what the core needs from the outside world, as Protocols.

Adapters (DynamoDB through pynamodb, the OIDC provider over HTTPS) implement them; tests pass
in-memory fakes of the same Protocols.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

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

    def touch(self, digest: str, when: datetime) -> None:
        """Record last use, only if the token still exists."""
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
