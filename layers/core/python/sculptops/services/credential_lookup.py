"""How the authenticator finds a token and its owner: with a CredentialReader, the token, the
user under the owner key the value carries and the request's tenant in one request; without
one (or for a value without an owner key), one read after another. The owner read with the
token is used only if it is the stored token's owner."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sculptops.domain.errors import NotAuthenticated
from sculptops.domain.identity import Tenant, User
from sculptops.domain.token_format import TokenHasher
from sculptops.domain.tokens import StoredToken

if TYPE_CHECKING:  # annotations only: the authorizer imports this on its cold start
    from sculptops.ports import CredentialReader, IdentityStore, TokenStore


@dataclass(frozen=True)
class TenantRead:
    """The request's tenant as read together with the token (one request): `tenant` is None
    when no such tenant exists. `act_in` uses it for that slug instead of reading again."""

    slug: str
    tenant: Tenant | None


@dataclass(frozen=True)
class OwnerRead:
    """The user item under the owner key a token value carries, read with the token: `user` is
    None when there is none. Trusted only for a token whose stored owner has that key."""

    key: str
    user: User | None


class CredentialLookup:
    def __init__(
        self,
        tokens: TokenStore,
        identities: IdentityStore,
        hasher: TokenHasher,
        reads: CredentialReader | None,
    ) -> None:
        self._tokens = tokens
        self._identities = identities
        self._hasher = hasher
        self._reads = reads

    def read(
        self, digest: str, key: str | None, slug: str | None
    ) -> tuple[StoredToken | None, OwnerRead | None, TenantRead | None]:
        """The token by digest; with a reader, in the same request the user under `key` and
        the tenant `slug` (each None when not asked for)."""
        if self._reads is None or (key is None and slug is None):
            return self._tokens.get(digest), None, None
        stored, user, tenant = self._reads.token_owner_tenant(digest, key, slug)
        return (
            stored,
            OwnerRead(key, user) if key is not None else None,
            TenantRead(slug, tenant) if slug is not None else None,
        )

    def owner(self, stored: StoredToken, key: str | None, read: OwnerRead | None) -> User:
        """The token's owner: the user read with it when the value carried the owner key (which
        must be the stored owner's), else read now by the stored owner's id."""
        if key is not None and not hmac.compare_digest(key, self._hasher.owner_key(stored.owner)):
            raise NotAuthenticated("unknown")  # a value whose owner key is not its owner's
        user = read.user if read is not None else self._identities.get_user(stored.owner)
        if user is None or user.id != stored.owner:
            raise NotAuthenticated("unknown-user")
        return user
