"""Users, tenants, memberships and the authenticated caller."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sculptops.domain.errors import Forbidden
from sculptops.domain.redaction import scrub
from sculptops.domain.roles import Role

# Path segments that can never be a tenant slug, since they are routes of their own.
RESERVED_SLUGS = frozenset({"active", "me", "docs", "openapi.json", "health", "dev"})
_SLUG_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
ACTIVE = "active"


def is_valid_slug(slug: str) -> bool:
    return bool(_SLUG_RE.fullmatch(slug)) and slug not in RESERVED_SLUGS


@dataclass(frozen=True)
class TokenPolicy:
    """A tenant's rules for personal API tokens."""

    admins_only: bool = False
    max_days: int = 366
    # The expiry of a token created without one; None: max_days.
    default_days: int | None = None


@dataclass(frozen=True)
class Tenant:
    slug: str
    name: str
    token_policy: TokenPolicy = field(default_factory=TokenPolicy)
    # Personal tokens an admin of this tenant revoked here while their owner belongs to other
    # tenants too: refused here only (ids of the token, its rotation family, what it minted).
    blocked_tokens: frozenset[str] = frozenset()


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    memberships: dict[str, Role]
    active_tenant: str | None = None
    # Every personal token created at or before this instant is revoked ("revoke all").
    tokens_revoked_before: datetime | None = None

    def role_in(self, tenant: str) -> Role | None:
        return self.memberships.get(tenant)


@dataclass(frozen=True)
class RequestOrigin:
    """Where a request came from, as API Gateway saw it (never a client-supplied header)."""

    source_ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None

    def __post_init__(self) -> None:
        # A user agent is whatever the client sent: a pasted token or JWT in it is redacted
        # before it can reach the audit log.
        if self.user_agent:
            object.__setattr__(self, "user_agent", scrub(self.user_agent))


class CredentialKind(StrEnum):
    TOKEN = "token"  # a personal API token
    AGENT = "agent"  # an agent token, bound to one tenant
    JWT = "jwt"  # an OIDC access token
    TICKET = "ticket"  # a stream ticket: one run's log stream, read-only (domain.stream_ticket)


@dataclass(frozen=True)
class Principal:
    """Who is calling and with which credential, before any tenant is considered."""

    kind: CredentialKind
    subject: str  # user id, or agent id for agent tokens
    user: User | None
    credential_id: str | None = None  # token id; None for a JWT
    credential_name: str | None = None
    expires_at: datetime | None = None
    ceiling: Role | None = None
    agent_tenant: str | None = None
    created_at: datetime | None = None  # a token's creation, for the tenant's lifetime policy
    # A token's own expiry, for that policy too: `expires_at` is when it stops working, sooner
    # for the old value of a rotation (its overlap's end).
    lifetime_ends: datetime | None = None
    # A personal token's rotation family and maker: a tenant's block of either stops it too.
    lineage: tuple[str, ...] = ()


@dataclass(frozen=True)
class Caller:
    """A principal acting in one tenant with one effective role."""

    kind: CredentialKind
    subject: str
    tenant: str | None  # None only on tenant-less routes such as /api/v1/me
    role: Role | None
    credential_id: str | None = None
    credential_name: str | None = None
    expires_at: datetime | None = None
    ceiling: Role | None = None
    # Where the request came from (API Gateway's view), for the audit log; None outside HTTP.
    origin: RequestOrigin | None = None

    def require(self, minimum: Role) -> None:
        """Raise Forbidden unless the caller holds at least `minimum` in the tenant."""
        if self.tenant is None or self.role is None:
            raise Forbidden("this route needs a tenant")
        if not self.role.at_least(minimum):
            raise Forbidden(f"requires the {minimum.value} role in tenant {self.tenant}")
