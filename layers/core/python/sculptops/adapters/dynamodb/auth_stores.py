"""The token and identity stores the authorizer is given: its hot path on `AuthReads`
(botocore, no pynamodb), anything rarer (reuse detection's writes) on the pynamodb stores,
built and imported on first use only."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sculptops.adapters.dynamodb.auth_reads import AuthReads
from sculptops.domain.identity import Tenant, User
from sculptops.domain.tokens import StoredToken, TokenPage
from sculptops.settings import Settings

if TYPE_CHECKING:
    from sculptops.ports import IdentityStore, TokenLedger, TokenStore


class PynamoStores:
    """The pynamodb stores, built (and pynamodb imported) on first use only."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._built: tuple[Any, Any, Any] | None = None

    def _build(self) -> tuple[Any, Any, Any]:
        with self._lock:
            if self._built is None:
                from sculptops.adapters.dynamodb.identity import DynamoIdentityStore
                from sculptops.adapters.dynamodb.models import build_connection, build_models
                from sculptops.adapters.dynamodb.token_ledger import DynamoTokenLedger
                from sculptops.adapters.dynamodb.tokens import DynamoTokenStore
                from sculptops.domain.token_format import TokenHasher

                s = self._settings
                models = build_models(s)
                keys = TokenHasher(s.token_pepper)
                ledger = DynamoTokenLedger(
                    models.Identity, models.Token, build_connection(s), s.audit_retention_days, keys
                )
                self._built = (
                    DynamoTokenStore(models.Token),
                    DynamoIdentityStore(models.Identity, keys),
                    ledger,
                )
            return self._built

    def tokens(self) -> TokenStore:
        store: TokenStore = self._build()[0]
        return store

    def identities(self) -> IdentityStore:
        store: IdentityStore = self._build()[1]
        return store

    def ledger(self) -> TokenLedger:
        ledger: TokenLedger = self._build()[2]
        return ledger


_LEDGER_METHODS = frozenset(
    {
        "create",
        "revoke",
        "block",
        "rotate",
        "revoke_all",
        "link_tokens",
        "unlink_user",
        "tenant_tokens",
        "tenant_token",
    }
)


class LazyLedger:
    """The TokenLedger, built on first use: only reuse detection writes through it here."""

    def __init__(self, full: Callable[[], TokenLedger]) -> None:
        self._full = full

    def __getattr__(self, name: str) -> Any:
        # Only the port's methods: a probe for anything else (`after_restore`) builds nothing.
        if name not in _LEDGER_METHODS:
            raise AttributeError(name)
        return getattr(self._full(), name)


class AuthTokenStore:
    """TokenStore for the authorizer: its reads and last-use write on botocore directly, the
    rest (writes of reuse detection) on the pynamodb store, built on first use."""

    def __init__(self, reads: AuthReads, full: Callable[[], TokenStore]) -> None:
        self._reads = reads
        self._full = full

    def warm(self) -> None:
        self._reads.warm()

    def get(self, digest: str) -> StoredToken | None:
        return self._reads.get_token(digest)

    def find(self, owner: str, token_id: str) -> StoredToken | None:
        return self._reads.find_token(owner, token_id)

    def record_use(self, token: StoredToken, when: datetime, ips: tuple[str, ...]) -> bool:
        return self._reads.record_use(token, when, ips)

    def put(self, token: StoredToken) -> None:
        self._full().put(token)

    def list_for_owner(self, owner: str, cursor: str | None, limit: int) -> TokenPage:
        return self._full().list_for_owner(owner, cursor, limit)

    def delete(self, token: StoredToken) -> bool:
        return self._full().delete(token)

    def delete_many(self, tokens: Iterable[StoredToken]) -> int:
        return self._full().delete_many(tokens)

    def shorten_overlap(self, token: StoredToken, until: datetime) -> bool:
        return self._full().shorten_overlap(token, until)


class AuthIdentityStore:
    """IdentityStore for the authorizer: reads on botocore directly, writes on pynamodb."""

    def __init__(self, reads: AuthReads, full: Callable[[], IdentityStore]) -> None:
        self._reads = reads
        self._full = full

    def warm(self) -> None:
        self._reads.warm()

    def get_user(self, user_id: str) -> User | None:
        return self._reads.get_user(user_id)

    def get_tenant(self, slug: str) -> Tenant | None:
        return self._reads.get_tenant(slug)

    def put_user(self, user: User) -> None:
        self._full().put_user(user)

    def put_tenant(self, tenant: Tenant) -> None:
        self._full().put_tenant(tenant)

    def revoke_tokens_before(self, user_id: str, when: datetime) -> None:
        self._full().revoke_tokens_before(user_id, when)
