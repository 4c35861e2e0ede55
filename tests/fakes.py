"""In-memory fakes of the core's ports: the same Protocols the DynamoDB adapters implement."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sculptops.domain.errors import NotAuthenticated
from sculptops.domain.identity import Tenant, User
from sculptops.domain.tokens import StoredToken, TokenPage


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


class FakeTokenStore:
    def __init__(self) -> None:
        self.items: dict[str, StoredToken] = {}
        self.reads = 0
        self.fail_with: Exception | None = None

    def _maybe_fail(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with

    def get(self, digest: str) -> StoredToken | None:
        self._maybe_fail()
        self.reads += 1
        return self.items.get(digest)

    def put(self, token: StoredToken) -> None:
        self._maybe_fail()
        assert token.digest not in self.items
        self.items[token.digest] = token

    def list_for_owner(self, owner: str, cursor: str | None, limit: int) -> TokenPage:
        self._maybe_fail()
        mine = sorted((t for t in self.items.values() if t.owner == owner), key=lambda t: t.id)
        mine.reverse()
        if cursor:
            mine = [t for t in mine if t.id < cursor]
        page = mine[:limit]
        return TokenPage(page, page[-1].id if len(mine) > limit else None)

    def find(self, owner: str, token_id: str) -> StoredToken | None:
        self._maybe_fail()
        return next((t for t in self.items.values() if t.owner == owner and t.id == token_id), None)

    def delete(self, token: StoredToken) -> bool:
        self._maybe_fail()
        current = self.items.get(token.digest)
        if current is None or current.owner != token.owner:
            return False
        del self.items[token.digest]
        return True

    def delete_many(self, tokens: Iterable[StoredToken]) -> int:
        self._maybe_fail()
        n = 0
        for t in tokens:
            self.items.pop(t.digest, None)
            n += 1
        return n

    def touch(self, digest: str, when: datetime) -> None:
        self._maybe_fail()
        if digest in self.items:
            self.items[digest] = replace(self.items[digest], last_used_at=when)


class FakeIdentityStore:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.tenants: dict[str, Tenant] = {}
        self.fail_with: Exception | None = None

    def get_user(self, user_id: str) -> User | None:
        if self.fail_with is not None:
            raise self.fail_with
        return self.users.get(user_id)

    def put_user(self, user: User) -> None:
        self.users[user.id] = user

    def get_tenant(self, slug: str) -> Tenant | None:
        return self.tenants.get(slug)

    def put_tenant(self, tenant: Tenant) -> None:
        self.tenants[tenant.slug] = tenant

    def revoke_tokens_before(self, user_id: str, when: datetime) -> None:
        user = self.users[user_id]
        if user.tokens_revoked_before is None or user.tokens_revoked_before < when:
            self.users[user_id] = replace(user, tokens_revoked_before=when)


class FakeJwtVerifier:
    """Accepts the JWTs a test registered in `valid` (token -> claims); refuses anything else."""

    def __init__(self) -> None:
        self.valid: dict[str, dict[str, Any]] = {}

    def verify(self, jwt: str) -> dict[str, Any]:
        claims = self.valid.get(jwt)
        if claims is None:
            raise NotAuthenticated("invalid-jwt")
        return claims
